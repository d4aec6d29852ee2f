"""From the fine working grid to a scanner-like image.

* partial volume: each output slice is the mean of the working sub-slices it covers;
* in-plane: interpolation to the output pixels and the point-spread blur are one matrix
  per axis (linear weights convolved with a Gaussian PSF), applied as two products;
* correlated noise: white noise smoothed by a small kernel, scaled to the wanted SD;
* optional streaks from dense skull-base bone (beam hardening);
* int16 HU, as scanners store them.
"""

from __future__ import annotations

import numpy as np

AIR = -1000.0


def interpolation_matrix(out_positions: np.ndarray, in_origin: float, in_step: float, n_in: int,
                         psf_sigma_mm: float = 0.0) -> np.ndarray:
    """(n_out, n_in) weights: linear interpolation, optionally blurred by a Gaussian PSF.

    Output positions outside the input are left with zero weight (filled later with air).
    """
    matrix = np.zeros((len(out_positions), n_in), np.float32)
    index = (np.asarray(out_positions) - in_origin) / in_step
    inside = (index >= 0) & (index <= n_in - 1)
    low = np.clip(np.floor(index).astype(int), 0, n_in - 2)
    weight = (index - low).astype(np.float32)
    rows = np.flatnonzero(inside)
    matrix[rows, low[rows]] = 1 - weight[rows]
    matrix[rows, low[rows] + 1] = weight[rows]
    if psf_sigma_mm > 0:
        positions = np.asarray(out_positions, np.float32)
        kernel = np.exp(-((positions[:, None] - positions[None, :]) ** 2) / (2 * psf_sigma_mm**2))
        kernel /= kernel.sum(axis=1, keepdims=True)
        matrix = kernel @ matrix
    return matrix


def average_subslices(array: np.ndarray, per_slice: int) -> np.ndarray:
    """Mean over consecutive groups of ``per_slice`` slices (last axis)."""
    x, y, z = array.shape
    return array.reshape(x, y, z // per_slice, per_slice).mean(axis=3, dtype=np.float32)


def to_output_plane(array: np.ndarray, matrices: tuple[np.ndarray, np.ndarray], fill: float) -> np.ndarray:
    """Apply the in-plane matrices; pixels outside the working grid get ``fill``."""
    coverage = matrices[0].sum(axis=1)[:, None, None] * matrices[1].sum(axis=1)[None, :, None]
    rows = np.tensordot(matrices[0], array, axes=(1, 0))  # (X_out, Y, Z)
    out = np.einsum("xyz,vy->xvz", rows, matrices[1], optimize=True)
    return np.ascontiguousarray(out + fill * (1 - coverage), dtype=np.float32)


def correlated_noise(rng: np.random.Generator, shape: tuple[int, int, int], sd_hu: float) -> np.ndarray:
    """Gaussian noise with about 1-2 pixel in-plane correlation, scaled to ``sd_hu``."""
    white = rng.standard_normal(shape, dtype=np.float32)
    smooth = white.copy()
    smooth[1:] += white[:-1]
    smooth[:-1] += white[1:]
    smooth2 = smooth.copy()
    smooth2[:, 1:] += smooth[:, :-1]
    smooth2[:, :-1] += smooth[:, 1:]
    return smooth2 * np.float32(sd_hu / 3.0)  # 3x3 box sum of unit noise has SD 3


def add_streaks(rng: np.random.Generator, hu: np.ndarray, pixel_mm: float, amplitude_hu: float) -> int:
    """Radial streaks from the densest bone of the lowest slices; returns how many slices."""
    n_slices = hu.shape[2]
    affected = 0
    xs, ys = np.meshgrid(np.arange(hu.shape[0]), np.arange(hu.shape[1]), indexing="ij")
    for k in range(min(n_slices, max(2, n_slices // 5))):
        dense = hu[..., k] > 1500
        if dense.sum() < 50:
            continue
        cx, cy = np.argwhere(dense).mean(axis=0)
        angle = np.arctan2(ys - cy, xs - cx)
        radius = np.hypot(xs - cx, ys - cy) * pixel_mm
        pattern = np.cos(angle * rng.integers(6, 14) + rng.uniform(0, 2 * np.pi)) * np.exp(-radius / 60.0)
        hu[..., k] += np.float32(amplitude_hu) * pattern.astype(np.float32)
        affected += 1
    return affected
