"""Semi-supervised trainers: labelled cases plus unlabelled images, registered by name
beside ``supervised`` (``ichseg train --trainer mean_teacher``).

| name | unsupervised term (on unlabelled patches) | paper weight |
|---|---|---|
| ``mean_teacher`` | MSE between the student's and the EMA teacher's softmax on noisy copies | 0.1 |
| ``cps`` | each of two networks learns the other's hard pseudo-labels (cross-entropy) | 1.5 |
| ``entropy_min`` | mean voxel entropy of the softmax | 0.1 |
| ``ict`` | MSE between the student's softmax of a mixup and the mixup of the EMA teacher's | 0.1 |
| ``self_training`` | rounds: the network's most confident pseudo-labels of unlabelled images, trained on | 1 |

The weight ramps up with Laine & Aila's sigmoid ``exp(-5 (1 - t)^2)`` over the first
``rampup`` share of the steps (self-training's rounds are its own schedule);
``unsupervised_weight`` replaces the paper's.
"""

from . import cross_pseudo_supervision, entropy_minimisation, interpolation_consistency, mean_teacher, self_training
from .base import SemiSupervisedTrainer, main_output, sigmoid_rampup

__all__ = ["SemiSupervisedTrainer", "cross_pseudo_supervision", "entropy_minimisation", "interpolation_consistency",
           "main_output", "mean_teacher", "self_training", "sigmoid_rampup"]
