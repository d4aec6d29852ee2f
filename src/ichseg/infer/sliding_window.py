"""Sliding-window prediction over a prepared volume, for 3D, 2D and 2.5D networks.

3D networks see ``patch_size`` blocks; 2D networks see the volume as a batch of axial
slices (with ``context_slices`` neighbours stacked as channels for 2.5D). Windows are
blended with a Gaussian (nnU-Net) or averaged (``blend="constant"``, the CT-ICH merge of
half-overlapping windows) by MONAI's ``sliding_window_inference``. A 2D window as large
as the slice needs no blending: each slice is padded once and passed whole, without
importing MONAI (its import is most of a one-scan CLI run's start-up time), and -- with
a network on ONNX Runtime (:class:`ichseg.infer.onnx_network.OnnxNetwork`) -- without
importing torch. Arrays are numpy; logits are blended; the result is float32
probabilities.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..preprocess.slice_context import context_indices
from .onnx_network import OnnxNetwork

if TYPE_CHECKING:
    import torch

    Network = torch.nn.Module | OnnxNetwork


def slices_with_context(channels: np.ndarray, context_slices: int) -> np.ndarray:
    """``(C, X, Y, Z)`` -> ``(Z, C * (2k + 1), X, Y)``; a missing neighbour is the nearest
    existing slice, as in training (see :mod:`ichseg.preprocess.slice_context`).

    Example:
        >>> slices_with_context(np.arange(3.0).reshape(1, 1, 1, 3), 1)[:, :, 0, 0].tolist()
        [[0.0, 0.0, 1.0], [0.0, 1.0, 2.0], [1.0, 2.0, 2.0]]
    """
    n_channels, size_x, size_y, n_slices = channels.shape
    indices = context_indices(n_slices, context_slices).reshape(-1)
    # slices first, then whole slices gathered: 3x faster than gathering along the last axis
    by_slice = np.ascontiguousarray(np.moveaxis(channels, 3, 0)).take(indices, axis=0)
    by_slice = by_slice.reshape(n_slices, 2 * context_slices + 1, n_channels, size_x, size_y)
    return by_slice.transpose(0, 2, 1, 3, 4).reshape(n_slices, -1, size_x, size_y)  # channel = c * (2k + 1) + n


def network_logits(network: Network, batch: np.ndarray, *, device: str | torch.device = "cpu",
                   amp: bool = False) -> np.ndarray:
    """float32 logits of one ``(N, C, ...)`` batch: an ONNX graph is called as it is, a
    torch module under ``no_grad`` on ``device`` (with ``amp``: autocast, float16 on CUDA,
    bfloat16 and channels-last slices on the CPU)."""
    if isinstance(network, OnnxNetwork):
        return network(batch)
    import torch  # noqa: PLC0415  (a torch network: torch is already loaded)

    target = torch.device(device)
    with _torch_inference(target, amp):
        inputs = torch.from_numpy(np.ascontiguousarray(batch)).to(target)
        if amp and target.type == "cpu" and inputs.ndim == 4:  # 1.3x on top of bf16, cpu_precision_bench.py
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        found = network(inputs)
    return found.float().cpu().numpy()


def _torch_inference(target: torch.device, amp: bool) -> contextlib.ExitStack:
    """``no_grad`` and, with ``amp``, autocast (float16 on CUDA, bfloat16 on the CPU): how
    every torch network here is run."""
    import torch  # noqa: PLC0415

    stack = contextlib.ExitStack()
    stack.enter_context(torch.no_grad())
    stack.enter_context(torch.autocast(target.type, enabled=amp))
    return stack


def whole_slice_logits(network: Network, slices: np.ndarray, size: Sequence[int], *, batch_size: int, cval: float,
                       device: str | torch.device = "cpu", amp: bool = False) -> np.ndarray:
    """Logits of ``(N, C, X, Y)`` slices, each padded once (half before, half after, with
    ``cval``) to ``size`` >= its own size, as ``sliding_window_inference`` pads a window
    larger than the image.

    Example:
        >>> import torch
        >>> net = torch.nn.Conv2d(1, 2, 3, padding=1)
        >>> whole_slice_logits(net, np.zeros((3, 1, 5, 6), np.float32), (8, 8), batch_size=2, cval=0.0).shape
        (3, 2, 5, 6)
    """
    size_x, size_y = slices.shape[2:]
    extra_x, extra_y = int(size[0]) - size_x, int(size[1]) - size_y
    if extra_x < 0 or extra_y < 0:
        raise ValueError(f"window {list(size)} is smaller than the slices {[size_x, size_y]}")
    before_x, before_y = extra_x // 2, extra_y // 2
    padding = ((0, 0), (0, 0), (before_x, extra_x - before_x), (before_y, extra_y - before_y))
    logits = np.empty(0, np.float32)
    for start in range(0, len(slices), batch_size):
        batch = np.pad(slices[start:start + batch_size], padding, constant_values=cval)
        found = network_logits(network, batch, device=device, amp=amp)
        if start == 0:  # filled batch by batch: a list joined at the end would hold every logit twice
            logits = np.empty((len(slices), found.shape[1], size_x, size_y), np.float32)
        logits[start:start + len(found)] = found[:, :, before_x:before_x + size_x, before_y:before_y + size_y]
    return logits


def softmax_(logits: np.ndarray, axis: int) -> np.ndarray:
    """Softmax of float32 ``logits`` along ``axis``, computed in place (a volume's logits
    are the largest array of a prediction; a copy would double the peak memory).

    Example:
        >>> [[round(p, 4) for p in row] for row in softmax_(np.array([[0.0, 0.0], [1.0, 3.0]]), 1).tolist()]
        [[0.5, 0.5], [0.1192, 0.8808]]
    """
    logits -= logits.max(axis=axis, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=axis, keepdims=True)
    return logits


def predict_probabilities(network: Network, channels: np.ndarray, *, patch_size: Sequence[int],
                          context_slices: int = 0, overlap: float = 0.5, blend: str = "gaussian",
                          device: str | torch.device = "cpu", batch_size: int = 4, amp: bool = False,
                          flip_axes: Sequence[Sequence[int]] = ()) -> np.ndarray:
    """Class probabilities ``(K, X, Y, Z)`` (float32 numpy) of a prepared volume.

    Args:
        network: in eval mode (or an ONNX graph); 3D if ``len(patch_size) == 3`` else 2D.
        channels: ``(C, X, Y, Z)`` model input (see :func:`ichseg.preprocess.model_input.prepare_model_input`).
        device: where a torch network runs (``cpu``, ``cuda``, ``cuda:N``).
        flip_axes: test-time augmentation: extra passes on the volume flipped along these
            spatial axes (0 = x, 1 = y, 2 = z), averaged with the plain pass.

    Example:
        >>> import torch
        >>> net = torch.nn.Conv3d(1, 2, 1)
        >>> probabilities = predict_probabilities(net.eval(), np.zeros((1, 8, 8, 4), np.float32), patch_size=(8, 8, 4))
        >>> probabilities.shape, round(float(probabilities.sum(0).mean()), 4)
        ((2, 8, 8, 4), 1.0)
    """
    volume = np.asarray(channels, dtype=np.float32)
    two_d = len(patch_size) == 2
    whole_slices = two_d and all(int(p) >= n for p, n in zip(patch_size, volume.shape[1:3]))
    cval = float(volume.min())  # pad like training does: with the lowest intensity, not 0
    passes = [()] + [tuple(axes) for axes in flip_axes]
    total: np.ndarray | None = None
    for axes in passes:
        flipped = np.flip(volume, tuple(a + 1 for a in axes)) if axes else volume
        if whole_slices:
            logits = whole_slice_logits(network, slices_with_context(flipped, context_slices), patch_size,
                                        batch_size=batch_size, cval=cval, device=device, amp=amp)
        else:
            logits = _monai_window_logits(network, flipped, patch_size, context_slices=context_slices,
                                          overlap=overlap, blend=blend, device=device, batch_size=batch_size,
                                          amp=amp, cval=cval)
        probabilities = softmax_(logits, axis=1) if two_d else softmax_(logits[0], axis=0)
        probabilities = probabilities.transpose(1, 2, 3, 0) if two_d else probabilities  # (K, X, Y, Z), a view
        if axes:
            probabilities = np.flip(probabilities, tuple(a + 1 for a in axes))
        if total is None:  # a view of the first pass's own logits: later passes are added into it
            total = probabilities
        else:
            total += probabilities
    assert total is not None  # passes always holds the unflipped pass
    if len(passes) > 1:
        total /= np.float32(len(passes))
    return total


def _monai_window_logits(network: Network, volume: np.ndarray, patch_size: Sequence[int], *, context_slices: int,
                         overlap: float, blend: str, device: str | torch.device, batch_size: int, amp: bool,
                         cval: float) -> np.ndarray:
    """Blended logits of windows smaller than the volume (``(Z, K, X, Y)`` for 2D,
    ``(1, K, X, Y, Z)`` for 3D) by MONAI's ``sliding_window_inference``."""
    import torch  # noqa: PLC0415
    from monai.inferers import sliding_window_inference  # noqa: PLC0415  (slow import, see above)

    if isinstance(network, OnnxNetwork):
        raise ValueError("an ONNX graph runs whole slices only; load the bundle's network for smaller windows")
    two_d = len(patch_size) == 2
    inputs = slices_with_context(volume, context_slices) if two_d else np.ascontiguousarray(volume)[None]
    target = torch.device(device)
    with _torch_inference(target, amp):
        logits = sliding_window_inference(
            torch.from_numpy(np.ascontiguousarray(inputs)), roi_size=tuple(int(s) for s in patch_size),
            sw_batch_size=batch_size, predictor=network, overlap=overlap, mode=blend, sw_device=target,
            device="cpu", cval=cval)
    return logits.float().numpy()  # type: ignore[union-attr]  # a tensor in, a tensor out
