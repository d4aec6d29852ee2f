"""Interpolation consistency training (Verma et al. 2019): on unlabelled patches the
student's softmax of a mixup ``l x1 + (1 - l) x2`` is pulled (MSE) towards the same mixup
of the EMA teacher's softmax of ``x1`` and ``x2``; ``l ~ Beta(a, a)``."""

from __future__ import annotations

import numpy as np
import torch

from ..trainer import TRAINERS
from .mean_teacher import MeanTeacherTrainer

MIXUP_ALPHA = 0.2


@TRAINERS.register("ict", description="semi-supervised: interpolation consistency (mixup of unlabelled patches "
                                      "vs the EMA teacher's mixed softmax)")
class InterpolationConsistencyTrainer(MeanTeacherTrainer):
    uses_weak_labels = False  # mixup moves voxels between patches
    paper_weight = 0.1

    def _share(self) -> float:
        # drawn from (seed, step): a resumed run mixes as an uninterrupted one
        return float(np.random.default_rng([self.config.seed, self.step]).beta(MIXUP_ALPHA, MIXUP_ALPHA))

    def student_input(self, unlabelled: torch.Tensor) -> torch.Tensor:
        share = self._share()
        return share * unlabelled + (1 - share) * unlabelled.roll(1, dims=0)  # each patch with the next

    def unsupervised_loss(self, logits: torch.Tensor, unlabelled: torch.Tensor) -> torch.Tensor:
        share = self._share()
        target = (share * self.teacher_probabilities(unlabelled)
                  + (1 - share) * self.teacher_probabilities(unlabelled.roll(1, dims=0)))
        return torch.mean((torch.softmax(logits, dim=1) - target) ** 2)
