"""Every registered loss: ~0 when perfect, larger when wrong, finite gradients."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from ichseg.losses import LOSSES, DeepSupervision, build_loss

NAMES = LOSSES.names()


def _labels(shape=(2, 1, 12, 12, 4), classes=3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    labels = torch.zeros(shape, dtype=torch.long)
    labels[:, :, 2:7, 3:9, 1:3] = 1
    labels[:, :, 8:11, 2:5, :] = 2 % classes
    labels[1, :, 0, 0, 0] = int(torch.randint(0, classes, (1,), generator=generator))
    return labels


def _logits(labels, classes, margin=20.0):
    one_hot = F.one_hot(labels[:, 0], classes).movedim(-1, 1).float()
    return margin * one_hot - margin / 2


@pytest.mark.parametrize("name", NAMES)
def test_softmax_perfect_wrong_and_gradients(name):
    loss = build_loss(name)
    labels = _labels()
    perfect = loss(_logits(labels, 3), labels)
    wrong_labels = (labels + 1) % 3
    logits = _logits(wrong_labels, 3).requires_grad_(True)
    wrong = loss(logits, labels)
    assert float(perfect) < 1e-3, float(perfect)
    assert float(wrong.detach()) > float(perfect) + 0.2
    wrong.backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0


@pytest.mark.parametrize("name", NAMES)
def test_sigmoid_binary(name):
    loss = build_loss(name, sigmoid=True)
    target = (_labels(classes=2) > 0).float()
    perfect = loss(40 * target - 20, target)
    logits = (20 - 40 * target).requires_grad_(True)
    wrong = loss(logits, target)
    assert float(perfect) < 1e-3 and float(wrong.detach()) > 0.2
    wrong.backward()
    assert torch.isfinite(logits.grad).all()


@pytest.mark.parametrize("name", ["dice", "dice_ce", "ce", "dice_topk", "dice_focal", "focal", "jaccard"])
def test_class_weights_change_the_loss(name):
    labels = _labels()
    logits = torch.randn(2, 3, 12, 12, 4, generator=torch.Generator().manual_seed(3))
    plain = float(build_loss(name)(logits, labels))
    weighted = float(build_loss(name, class_weights=[0.1, 1.0, 5.0])(logits, labels))
    assert plain != pytest.approx(weighted, rel=1e-3)


def test_ignore_empty_skips_absent_classes():
    labels = torch.zeros(1, 1, 8, 8, 2, dtype=torch.long)
    labels[..., 2:5, 2:5, :] = 1  # class 2 absent
    logits = _logits(labels, 3)
    logits[:, 2, 0, 0, 0] = 30.0  # one false-positive voxel of the absent class
    plain = float(build_loss("dice", include_background=False)(logits, labels))
    ignoring = float(build_loss("dice", include_background=False, ignore_empty=True)(logits, labels))
    assert plain > 0.4  # the absent class's Dice term is ~1
    assert ignoring < 1e-3  # only class 1, predicted perfectly, counts
    negative = torch.zeros_like(labels)
    assert float(build_loss("dice", ignore_empty=True, include_background=False)(logits, negative)) > 0.4
    with pytest.raises(ValueError, match="batch=True"):
        build_loss("dice", ignore_empty=True, batch=True)


def test_deep_supervision_weights_heads():
    labels = _labels()
    perfect = _logits(labels, 3)
    wrong = _logits((labels + 1) % 3, 3)
    loss = DeepSupervision(build_loss("dice_ce"))
    stacked_good = torch.stack([perfect, perfect, wrong], dim=1)  # the last head is wrong
    stacked_bad = torch.stack([wrong, perfect, perfect], dim=1)  # the main head is wrong
    assert float(loss(stacked_good, labels)) < float(loss(stacked_bad, labels))
    half = F.interpolate(perfect, scale_factor=0.5, mode="nearest-exact")
    assert float(loss([perfect, half], labels)) < 0.05  # target resized for the half-resolution head


def test_unknown_loss():
    with pytest.raises(KeyError, match="unknown loss"):
        build_loss("hinge")
