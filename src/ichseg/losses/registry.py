"""The loss registry: ``name -> builder(**config) -> nn.Module(prediction, target)``.

Conventions (MONAI's): ``prediction`` are logits ``(B, C, *spatial)``. Multi-class
(softmax, default): ``target`` holds labels ``(B, 1, *spatial)``. Binary (``sigmoid=True``,
C = 1 or one map per independent class): ``target`` is binary with the prediction's shape.
Common options: ``class_weights`` (per-class weights), ``include_background``,
``batch`` (nnU-Net's batch Dice), ``ignore_empty`` (Dice/Jaccard only).
"""

from __future__ import annotations

import torch
from monai.losses import DiceCELoss, DiceFocalLoss, DiceLoss, FocalLoss, TverskyLoss
from torch import nn

from ..registry import Registry
from .written import DiceTopKLoss, FocalTverskyLoss, IgnoreEmptyDice, TopKCrossEntropy

LOSSES = Registry("loss")


def _activation(sigmoid: bool) -> dict:
    return {"sigmoid": sigmoid, "softmax": not sigmoid, "to_onehot_y": not sigmoid}


def _weights(class_weights):
    return None if class_weights is None else torch.as_tensor(class_weights, dtype=torch.float32)


def _dice_family(jaccard: bool, sigmoid, include_background, batch, ignore_empty, class_weights, config):
    options = _activation(sigmoid) | {"include_background": include_background, "batch": batch,
                                      "jaccard": jaccard, "weight": _weights(class_weights)} | config
    if ignore_empty:
        if batch:
            raise ValueError("ignore_empty works per sample; it cannot be combined with batch=True")
        return IgnoreEmptyDice(**options)
    return DiceLoss(**options)


@LOSSES.register("dice", description="soft Dice (MONAI DiceLoss)")
def build_dice(*, sigmoid=False, include_background=True, batch=False, ignore_empty=False, class_weights=None,
               **config):
    return _dice_family(False, sigmoid, include_background, batch, ignore_empty, class_weights, config)


@LOSSES.register("jaccard", description="soft Jaccard / IoU loss (MONAI DiceLoss, jaccard=True)")
def build_jaccard(*, sigmoid=False, include_background=True, batch=False, ignore_empty=False, class_weights=None,
                  **config):
    return _dice_family(True, sigmoid, include_background, batch, ignore_empty, class_weights, config)


@LOSSES.register("dice_ce", description="Dice + cross-entropy (MONAI DiceCELoss), nnU-Net's default")
def build_dice_ce(*, sigmoid=False, include_background=True, batch=False, class_weights=None, **config):
    return DiceCELoss(**_activation(sigmoid), include_background=include_background, batch=batch,
                      weight=_weights(class_weights), **config)


@LOSSES.register("dice_focal", description="Dice + focal (MONAI DiceFocalLoss), the viola recipe")
def build_dice_focal(*, sigmoid=False, include_background=True, batch=False, class_weights=None, gamma=2.0, **config):
    return DiceFocalLoss(**_activation(sigmoid), include_background=include_background, batch=batch, gamma=gamma,
                         weight=_weights(class_weights), **config)


@LOSSES.register("focal", description="focal loss (MONAI FocalLoss, gamma 2)")
def build_focal(*, sigmoid=False, include_background=True, class_weights=None, gamma=2.0, **config):
    return FocalLoss(include_background=include_background, to_onehot_y=not sigmoid, use_softmax=not sigmoid,
                     gamma=gamma, weight=_weights(class_weights), **config)


@LOSSES.register("tversky", description="Tversky loss (MONAI TverskyLoss, alpha 0.3 FP, beta 0.7 FN)")
def build_tversky(*, sigmoid=False, include_background=True, batch=False, alpha=0.3, beta=0.7, **config):
    return TverskyLoss(**_activation(sigmoid), include_background=include_background, batch=batch, alpha=alpha,
                       beta=beta, **config)


@LOSSES.register("focal_tversky", description="Focal-Tversky loss (Abraham & Khan), written here")
def build_focal_tversky(*, sigmoid=False, include_background=True, batch=False, alpha=0.3, beta=0.7, gamma=0.75,
                        **config):
    return FocalTverskyLoss(alpha=alpha, beta=beta, gamma=gamma, **_activation(sigmoid),
                            include_background=include_background, batch=batch, **config)


@LOSSES.register("dice_topk", description="Dice + TopK(10%) cross-entropy (Loss odyssey), written here")
def build_dice_topk(*, sigmoid=False, include_background=True, batch=False, k_percent=10.0, class_weights=None,
                    **config):
    return DiceTopKLoss(k_percent=k_percent, sigmoid=sigmoid, weight=_weights(class_weights),
                        include_background=include_background, batch=batch, **config)


class _CrossEntropy(nn.Module):
    def __init__(self, sigmoid: bool, weight) -> None:
        super().__init__()
        self.sigmoid = sigmoid
        self.loss = nn.BCEWithLogitsLoss(pos_weight=weight) if sigmoid else nn.CrossEntropyLoss(weight=weight)

    def forward(self, prediction, target):
        return self.loss(prediction, target.float()) if self.sigmoid else self.loss(prediction, target[:, 0].long())


@LOSSES.register("ce", description="cross-entropy (softmax) or binary cross-entropy (sigmoid)")
def build_ce(*, sigmoid=False, class_weights=None):
    return _CrossEntropy(sigmoid, _weights(class_weights))


@LOSSES.register("topk", description="TopK(10%) cross-entropy alone, written here")
def build_topk(*, sigmoid=False, k_percent=10.0, class_weights=None):
    return TopKCrossEntropy(k_percent=k_percent, sigmoid=sigmoid, weight=_weights(class_weights))


def build_loss(name: str, **config) -> nn.Module:
    """Build a registered loss.

    Example:
        >>> loss = build_loss("dice_ce")
        >>> logits, labels = torch.zeros(1, 3, 4, 4, 2), torch.zeros(1, 1, 4, 4, 2)
        >>> float(loss(logits, labels)) > 0
        True
    """
    return LOSSES.build(name, **config)
