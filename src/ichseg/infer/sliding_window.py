"""Sliding-window prediction over a prepared volume, for 3D, 2D and 2.5D networks.

3D networks see ``patch_size`` blocks; 2D networks see the volume as a batch of axial
slices (with ``context_slices`` neighbours stacked as channels for 2.5D). Windows are
blended with a Gaussian (nnU-Net) or averaged (``blend="constant"``, the CT-ICH merge of
half-overlapping windows) by MONAI's ``sliding_window_inference``. A 2D window as large
as the slice needs no blending: each slice is padded once and passed whole, without
importing MONAI (its import is most of a one-scan CLI run's start-up time). Logits are
blended; the result is float32 probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..preprocess.slice_context import context_indices


def slices_with_context(channels: torch.Tensor, context_slices: int) -> torch.Tensor:
    """``(C, X, Y, Z)`` -> ``(Z, C * (2k + 1), X, Y)``; a missing neighbour is the nearest
    existing slice, as in training (see :mod:`ichseg.preprocess.slice_context`).

    Example:
        >>> slices_with_context(torch.arange(3.0).reshape(1, 1, 1, 3), 1)[:, :, 0, 0].tolist()
        [[0.0, 0.0, 1.0], [0.0, 1.0, 2.0], [1.0, 2.0, 2.0]]
    """
    n_channels, size_x, size_y, n_slices = channels.shape
    indices = torch.as_tensor(context_indices(n_slices, context_slices).reshape(-1))
    # slices first, then whole slices gathered: 3x faster than gathering along the last axis
    by_slice = channels.permute(3, 0, 1, 2).contiguous().index_select(0, indices)
    by_slice = by_slice.reshape(n_slices, 2 * context_slices + 1, n_channels, size_x, size_y)
    return by_slice.transpose(1, 2).reshape(n_slices, -1, size_x, size_y)  # channel = c * (2k + 1) + neighbour


def whole_slice_logits(network, slices: torch.Tensor, size: Sequence[int], *, batch_size: int, cval: float,
                       device: torch.device) -> torch.Tensor:
    """Logits of ``(N, C, X, Y)`` slices, each padded once (half before, half after, with
    ``cval``) to ``size`` >= its own size, as ``sliding_window_inference`` pads a window
    larger than the image; results on the CPU.

    Example:
        >>> net = torch.nn.Conv2d(1, 2, 3, padding=1)
        >>> logits = whole_slice_logits(net, torch.zeros(3, 1, 5, 6), (8, 8), batch_size=2, cval=0.0,
        ...                             device=torch.device("cpu"))
        >>> tuple(logits.shape)
        (3, 2, 5, 6)
    """
    size_x, size_y = slices.shape[2:]
    extra_x, extra_y = int(size[0]) - size_x, int(size[1]) - size_y
    if extra_x < 0 or extra_y < 0:
        raise ValueError(f"window {list(size)} is smaller than the slices {[size_x, size_y]}")
    padding = (extra_y // 2, extra_y - extra_y // 2, extra_x // 2, extra_x - extra_x // 2)  # last axis first
    logits = torch.empty(0)
    for start in range(0, len(slices), batch_size):
        batch = F.pad(slices[start:start + batch_size].to(device), padding, value=cval)
        found = network(batch)[:, :, padding[2]:padding[2] + size_x, padding[0]:padding[0] + size_y]
        if start == 0:  # filled batch by batch: a list joined at the end would hold every logit twice
            logits = torch.empty((len(slices), found.shape[1], size_x, size_y), dtype=torch.float32)
        logits[start:start + len(found)] = found.float().cpu()
    return logits


def softmax_(logits: torch.Tensor, dim: int) -> torch.Tensor:
    """Softmax of ``logits`` along ``dim``, computed in place (a volume's logits are
    the largest tensor of a prediction; a copy would double the peak memory).

    Example:
        >>> [[round(p, 4) for p in row] for row in softmax_(torch.tensor([[0.0, 0.0], [1.0, 3.0]]), 1).tolist()]
        [[0.5, 0.5], [0.1192, 0.8808]]
    """
    logits.sub_(logits.amax(dim=dim, keepdim=True)).exp_()
    return logits.div_(logits.sum(dim=dim, keepdim=True))


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
    whole_slices = two_d and all(int(p) >= n for p, n in zip(patch_size, volume.shape[1:3]))
    cval = float(volume.min())  # pad like training does: with the lowest intensity, not 0
    passes = [()] + [tuple(axes) for axes in flip_axes]
    total: torch.Tensor | None = None
    for axes in passes:
        flipped = volume.flip([a + 1 for a in axes]) if axes else volume
        inputs = slices_with_context(flipped, context_slices) if two_d else flipped[None]
        with torch.autocast(device.type, enabled=amp and device.type == "cuda"):
            if whole_slices:
                logits = whole_slice_logits(network, inputs, patch_size, batch_size=batch_size, cval=cval,
                                            device=device)
            else:
                from monai.inferers import sliding_window_inference  # noqa: PLC0415  (slow import, see above)

                logits = sliding_window_inference(  # type: ignore[assignment]  # a tensor in, a tensor out
                    inputs, roi_size=tuple(int(s) for s in patch_size), sw_batch_size=batch_size,
                    predictor=network, overlap=overlap, mode=blend, sw_device=device, device="cpu", cval=cval)
        logits = logits.float()
        logits = logits.permute(1, 2, 3, 0) if two_d else logits[0]  # (K, X, Y, Z), a view
        probabilities = softmax_(logits, dim=0)
        if axes:
            probabilities = probabilities.flip([a + 1 for a in axes])
        total = probabilities if total is None else total.add_(probabilities)
    assert total is not None  # passes always holds the unflipped pass
    return total.div_(len(passes)) if len(passes) > 1 else total
