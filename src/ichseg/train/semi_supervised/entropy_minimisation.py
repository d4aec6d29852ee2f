"""Entropy minimisation (Grandvalet & Bengio; BHSD's Task 2 row): confident predictions on
unlabelled voxels, the mean voxel entropy of the softmax as the unsupervised term."""

from __future__ import annotations

import torch

from ..trainer import TRAINERS
from .base import SemiSupervisedTrainer


def mean_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Mean over voxels of ``-sum_c p_c log p_c`` (channels on axis 1).

    Example:
        >>> round(float(mean_entropy(torch.zeros(1, 2, 4, 4))), 4)   # uniform over 2 classes: log 2
        0.6931
    """
    log_p = torch.log_softmax(logits.float(), dim=1)
    return -(log_p.exp() * log_p).sum(dim=1).mean()


@TRAINERS.register("entropy_min", description="semi-supervised: labelled loss + mean entropy on unlabelled patches")
class EntropyMinimisationTrainer(SemiSupervisedTrainer):
    paper_weight = 0.1

    def unsupervised_loss(self, logits: torch.Tensor, unlabelled: torch.Tensor) -> torch.Tensor:
        return mean_entropy(logits)
