"""Losses MONAI lacks, written from their definitions (Ma et al., "Loss odyssey in
medical image segmentation", 2021; Abraham & Khan 2019 for Focal-Tversky)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from monai.losses import DiceLoss, TverskyLoss
from torch import nn


class FocalTverskyLoss(nn.Module):
    """Mean over classes of ``(1 - TI_c) ** gamma`` with Tversky index TI (alpha on false
    positives, beta on false negatives). gamma = 0.75 is Abraham & Khan's 1/γ with γ = 4/3.

    Example:
        >>> loss = FocalTverskyLoss(softmax=True, to_onehot_y=True)
        >>> logits = torch.tensor([[[[-9.0, 9.0]], [[9.0, -9.0]]]])  # (B=1, C=2, 1, 2)
        >>> float(loss(logits, torch.tensor([[[[1, 0]]]]))) < 1e-3
        True
    """

    def __init__(self, *, alpha: float = 0.3, beta: float = 0.7, gamma: float = 0.75, **tversky_options) -> None:
        super().__init__()
        if gamma <= 0:
            raise ValueError(f"gamma must be positive, got {gamma}")
        self.gamma = gamma
        self.tversky = TverskyLoss(alpha=alpha, beta=beta, reduction="none", **tversky_options)

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        per_class = self.tversky(prediction, target).clamp_min(0)  # 1 - TI per sample and class
        return (per_class**self.gamma).mean()


class TopKCrossEntropy(nn.Module):
    """Cross-entropy averaged over the ``k`` percent hardest voxels (softmax or sigmoid).

    Example:
        >>> loss = TopKCrossEntropy(k_percent=10)
        >>> logits = torch.zeros(1, 2, 4, 4)
        >>> round(float(loss(logits, torch.zeros(1, 1, 4, 4, dtype=torch.long))), 4)
        0.6931
    """

    def __init__(self, *, k_percent: float = 10.0, sigmoid: bool = False, weight: torch.Tensor | None = None) -> None:
        super().__init__()
        if not 0 < k_percent <= 100:
            raise ValueError(f"k_percent must be in (0, 100], got {k_percent}")
        self.k_percent, self.sigmoid = k_percent, sigmoid
        self.weight: torch.Tensor | None
        self.register_buffer("weight", None if weight is None else torch.as_tensor(weight, dtype=torch.float32))

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.sigmoid:
            voxel_loss = F.binary_cross_entropy_with_logits(prediction, target.float(), reduction="none")
        else:
            voxel_loss = F.cross_entropy(prediction, target[:, 0].long(), weight=self.weight, reduction="none")
        flat = voxel_loss.flatten()
        k = max(1, int(round(flat.numel() * self.k_percent / 100)))
        return flat.topk(k, sorted=False).values.mean()


class DiceTopKLoss(nn.Module):
    """Dice + TopK cross-entropy (the DC_topk loss of the Loss odyssey)."""

    def __init__(self, *, k_percent: float = 10.0, sigmoid: bool = False, weight=None, **dice_options) -> None:
        super().__init__()
        self.dice = DiceLoss(sigmoid=sigmoid, softmax=not sigmoid, to_onehot_y=not sigmoid, **dice_options)
        self.topk = TopKCrossEntropy(k_percent=k_percent, sigmoid=sigmoid, weight=weight)

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.dice(prediction, target) + self.topk(prediction, target)


class IgnoreEmptyDice(nn.Module):
    """Dice (or Jaccard) averaged only over sample-class pairs whose target is not empty.

    A patch without a class says nothing about that class's overlap; averaging its
    ~0 or ~1 term in would reward or punish at random. If no pair has foreground (a
    negative patch), all pairs are averaged, so false positives there still cost.
    """

    def __init__(self, **dice_options) -> None:
        super().__init__()
        self.dice = DiceLoss(reduction="none", **dice_options)

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        per_pair = self.dice(prediction, target).reshape(prediction.shape[0], -1)  # (B, C')
        if self.dice.to_onehot_y:
            classes = torch.arange(prediction.shape[1], device=target.device)
            present = (target == classes.view(1, -1, *[1] * (target.ndim - 2))).flatten(2).any(-1)
        else:
            present = target.flatten(2).any(-1)
        if not self.dice.include_background and present.shape[1] == per_pair.shape[1] + 1:
            present = present[:, 1:]
        return per_pair[present].mean() if present.any() else per_pair.mean()
