"""Sliding-window prediction over a prepared volume, for 3D, 2D and 2.5D networks.

3D networks see ``patch_size`` blocks; 2D networks see the volume as a batch of axial
slices (with ``context_slices`` neighbours stacked as channels for 2.5D). Windows are
blended with a Gaussian (nnU-Net) or averaged (``blend="constant"``, the CT-ICH merge of
half-overlapping windows). Logits are blended; the result is float32 probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from monai.inferers import sliding_window_inference


def slices_with_context(channels: torch.Tensor, context_slices: int) -> torch.Tensor:
    """``(C, X, Y, Z)`` -> ``(Z, C * (2k + 1), X, Y)``; missing neighbours are the channel minimum,
    as in training (:class:`ichseg.data.sampling.PatchSampler`).

    Example:
        >>> slices_with_context(torch.arange(3.0).reshape(1, 1, 1, 3), 1)[:, :, 0, 0].tolist()
        [[0.0, 0.0, 1.0], [0.0, 1.0, 2.0], [1.0, 2.0, 0.0]]
    """
    n_channels, size_x, size_y, n_slices = channels.shape
    if context_slices:
        fill = channels.reshape(n_channels, -1).amin(dim=1).reshape(n_channels, 1, 1, 1)
        pad = fill.expand(n_channels, size_x, size_y, context_slices)
        channels = torch.cat([pad, channels, pad], dim=3)
    windows = channels.unfold(3, 2 * context_slices + 1, 1)  # (C, X, Y, Z, 2k+1)
    return windows.permute(3, 0, 4, 1, 2).reshape(n_slices, -1, size_x, size_y)


@torch.no_grad()
def predict_probabilities(network: torch.nn.Module, channels: np.ndarray | torch.Tensor, *, patch_size: Sequence[int],
                          context_slices: int = 0, overlap: float = 0.5, blend: str = "gaussian",
                          device: torch.device | str = "cpu", batch_size: int = 4, amp: bool = False,
                          flip_axes: Sequence[Sequence[int]] = ()) -> torch.Tensor:
    """Class probabilities ``(K, X, Y, Z)`` (float32, on the CPU) of a prepared volume.

    Args:
        network: in eval mode; 3D if ``len(patch_size) == 3`` else 2D.
        channels: ``(C, X, Y, Z)`` model input (see :func:`ichseg.preprocess.model_input.prepare_model_input`).
        flip_axes: test-time augmentation: extra passes on the volume flipped along these
            spatial axes (0 = x, 1 = y, 2 = z), averaged with the plain pass.

    Example:
        >>> net = torch.nn.Conv3d(1, 2, 1)
        >>> probabilities = predict_probabilities(net.eval(), np.zeros((1, 8, 8, 4), np.float32), patch_size=(8, 8, 4))
        >>> tuple(probabilities.shape), round(float(probabilities.sum(0).mean()), 4)
        ((2, 8, 8, 4), 1.0)
    """
    device = torch.device(device)
    volume = torch.as_tensor(channels, dtype=torch.float32)
    two_d = len(patch_size) == 2
    passes = [()] + [tuple(axes) for axes in flip_axes]
    total = None
    for axes in passes:
        flipped = volume.flip([a + 1 for a in axes]) if axes else volume
        if two_d:
            inputs = slices_with_context(flipped, context_slices)
        else:
            inputs = flipped[None]
        with torch.autocast(device.type, enabled=amp and device.type == "cuda"):
            logits = sliding_window_inference(
                inputs, roi_size=tuple(int(s) for s in patch_size), sw_batch_size=batch_size,
                predictor=network, overlap=overlap, mode=blend, sw_device=device, device="cpu",
                cval=float(volume.min()),  # pad like training does: with the lowest intensity, not 0
            )
        logits = logits.float()
        logits = logits.permute(1, 2, 3, 0) if two_d else logits[0]  # (K, X, Y, Z)
        probabilities = torch.softmax(logits, dim=0)
        if axes:
            probabilities = probabilities.flip([a + 1 for a in axes])
        total = probabilities if total is None else total.add_(probabilities)
    return total / len(passes)
