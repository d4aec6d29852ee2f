"""Seeded smooth random fields and signed-distance helpers on a millimetre grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Grid:
    """Voxel-centre coordinates (mm, head frame) of a regular working grid.

    ``x`` right, ``y`` anterior, ``z`` superior; arrays broadcast as (X,1,1), (1,Y,1), (1,1,Z).
    """

    origin: tuple[float, float, float]
    spacing: tuple[float, float, float]
    shape: tuple[int, int, int]

    @property
    def axes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return tuple(
            (o + s * np.arange(n, dtype=np.float32)).reshape([-1 if a == i else 1 for i in range(3)])
            for a, (o, s, n) in enumerate(zip(self.origin, self.spacing, self.shape))
        )  # type: ignore[return-value]

    @property
    def voxel_ml(self) -> float:
        return float(np.prod(self.spacing)) / 1000.0


def _cubic_bspline(t: np.ndarray) -> np.ndarray:
    t = np.abs(t)
    return np.where(t < 1, 2 / 3 - t**2 + t**3 / 2, np.where(t < 2, (2 - t) ** 3 / 6, 0.0))


def upsampling_matrix(n_out: int, n_coarse: int, step: float) -> np.ndarray:
    """(n_out, n_coarse) cubic B-spline weights: output i sits at coarse position i / step + 1."""
    positions = np.arange(n_out) / step + 1.0
    return _cubic_bspline(positions[:, None] - np.arange(n_coarse)[None, :]).astype(np.float32)


def apply_separable(array: np.ndarray, matrices: list[np.ndarray]) -> np.ndarray:
    """Apply one (n_out, n_in) matrix along each axis (tensor products, BLAS-speed)."""
    out = array
    for axis, matrix in enumerate(matrices):
        out = np.moveaxis(np.tensordot(matrix, np.moveaxis(out, axis, 0), axes=(1, 0)), 0, axis)
    return np.ascontiguousarray(out, dtype=np.float32)


def smooth_noise(rng: np.random.Generator, shape: tuple[int, ...], scale_voxels: float) -> np.ndarray:
    """Zero-mean, unit-variance smooth noise with features about ``scale_voxels`` wide.

    A coarse random lattice (one value per ``scale_voxels``) is upsampled with cubic
    B-spline weights axis by axis: smooth (C2) and far cheaper than filtering white
    noise or spline-zooming at full size.
    """
    step = max(float(scale_voxels), 1.0)
    coarse_shape = [int(np.ceil(n / step)) + 3 for n in shape]
    coarse = rng.standard_normal(coarse_shape).astype(np.float32)
    field = apply_separable(coarse, [upsampling_matrix(n, c, step) for n, c in zip(shape, coarse_shape)])
    sample = field[(slice(None, None, 3),) * field.ndim]
    return (field - sample.mean()) / np.float32(sample.std() + 1e-6)


def ellipsoid_sdf(x, y, z, centre, radii) -> np.ndarray:
    """Approximate signed distance (mm) to an axis-aligned ellipsoid: negative inside.

    ``(|p / r| - 1) * min(r)`` is exact on the surface and close to it nearby, which is
    all the tissue layers built from it need.
    """
    cx, cy, cz = centre
    rx, ry, rz = radii
    radius = np.sqrt(((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 + ((z - cz) / rz) ** 2)
    return (radius - 1.0) * min(radii)
