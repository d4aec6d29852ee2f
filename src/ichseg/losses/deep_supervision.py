"""Deep supervision: a weighted sum of a loss over every output head.

Heads come as a list of tensors at their own resolutions, or stacked as
``(B, heads, C, *spatial)`` the way MONAI's DynUNet returns them in training. The
target is resized to each head (nearest-exact); weights halve per level (1, 1/2, 1/4,
...) and are normalised to sum to 1, as in nnU-Net (MONAI's ``DeepSupervisionLoss``
does not normalise, which changes the loss scale with the number of heads).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def deep_supervision_weights(n_heads: int) -> list[float]:
    """nnU-Net's weights: 1, 1/2, 1/4, ... normalised.

    Example:
        >>> deep_supervision_weights(3)
        [0.5714285714285714, 0.2857142857142857, 0.14285714285714285]
    """
    raw = [0.5**level for level in range(n_heads)]
    return [w / sum(raw) for w in raw]


class DeepSupervision(nn.Module):
    """Wrap ``loss`` so that it accepts several output heads (the first is the main one).

    Example:
        >>> from ichseg.losses import build_loss
        >>> loss = DeepSupervision(build_loss("dice_ce"))
        >>> heads = torch.zeros(2, 3, 4, 8, 8, 4)  # batch, 3 heads, 4 classes
        >>> float(loss(heads, torch.zeros(2, 1, 8, 8, 4))) > 0
        True
    """

    def __init__(self, loss: nn.Module, weights: Sequence[float] | None = None) -> None:
        super().__init__()
        self.loss = loss
        self.weights = list(weights) if weights is not None else None

    def forward(self, prediction: torch.Tensor | Sequence[torch.Tensor], target: torch.Tensor) -> torch.Tensor:
        if isinstance(prediction, torch.Tensor):
            if prediction.ndim != target.ndim + 1:
                return self.loss(prediction, target)
            prediction = list(torch.unbind(prediction, dim=1))
        weights = self.weights[: len(prediction)] if self.weights else deep_supervision_weights(len(prediction))
        labels = target if target.is_floating_point() else target.float()  # nearest resizing needs floats
        total = prediction[0].new_zeros(())
        for weight, head in zip(weights, prediction):
            head_target = labels if head.shape[2:] == labels.shape[2:] else F.interpolate(
                labels, size=head.shape[2:], mode="nearest-exact")
            total = total + weight * self.loss(head, head_target)
        return total
