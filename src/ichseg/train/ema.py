"""Exponential moving average of the weights with a warm-up of its decay.

A plain EMA with decay 0.999 still holds 0.999**n of its starting weights after n updates
(44 % after 827), so a short run from random weights evaluates and exports a model that is
mostly noise. The decay here grows with the number of updates ``n`` as
``min(decay, (1 + n) / (10 + n))`` (the warm-up of TensorFlow's and timm's EMA): the average
follows the weights closely at first and reaches ``decay`` after about ``10 / (1 - decay)`` updates.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.optim.swa_utils import AveragedModel


def warmed_up_decay(decay: float, updates: int) -> float:
    """Decay used for update number ``updates`` (counted from 0).

    Example:
        >>> round(warmed_up_decay(0.999, 0), 3), round(warmed_up_decay(0.999, 90), 3), warmed_up_decay(0.999, 10**6)
        (0.1, 0.91, 0.999)
    """
    return min(decay, (1 + updates) / (10 + updates))


def ema_model(network: torch.nn.Module, decay: float) -> AveragedModel:
    """``AveragedModel`` of ``network`` (batch-norm statistics averaged too) with a warmed-up decay.

    Example (the first update copies the weights, here 0; the next 100 see 1):
        >>> layer = torch.nn.Linear(1, 1, bias=False)
        >>> _ = torch.nn.init.zeros_(layer.weight)
        >>> average = ema_model(layer, 0.999)
        >>> average.update_parameters(layer)
        >>> _ = torch.nn.init.ones_(layer.weight)
        >>> for _ in range(100):
        ...     average.update_parameters(layer)
        >>> round(float(average.module.weight.detach()), 3)  # a plain 0.999 EMA: 1 - 0.999**100 = 0.095
        1.0
    """

    @torch.no_grad()
    def update(averaged: Sequence[torch.Tensor], current: Sequence[torch.Tensor],
               num_averaged: torch.Tensor | int) -> None:
        weight = 1.0 - warmed_up_decay(decay, int(num_averaged))
        for average, value in zip(averaged, current):
            if average.is_floating_point():
                average.lerp_(value, weight)
            else:  # integer buffers (batch norm's num_batches_tracked) are counters: take the current one
                average.copy_(value)

    # use_buffers: batch-norm statistics are averaged too (else the EMA copy keeps its initial ones)
    return AveragedModel(network, multi_avg_fn=update, use_buffers=True)
