"""Surfaces of binary masks for distance metrics, computed on the union bounding box.

Two surface models, each the one its metric is defined with:

* **boundary voxels** (HD, HD95, ASSD): mask voxels with a 6-neighbour outside the
  mask, at their centres — the convention of MONAI and most challenge code;
* **surfels** (NSD, Nikolov et al. 2021): the marching-cubes surface split over the
  2x2x2 voxel neighbourhoods it passes through, each piece at the neighbourhood's
  centre and weighted by its area in mm² for the real (anisotropic) spacing.

Cropping to the bounding box of ``pred | ref`` is exact: every surface point of either
mask lies inside it, and so does every nearest neighbour.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from skimage.measure import marching_cubes, mesh_surface_area


def _bounds(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """First and one-past-last index of ``mask`` along each axis, or None if empty."""
    # One full pass along the first axis (4-7x faster in C order than along the last, which
    # for a 512x512x36 mask is 8 ms), then the rest on the small block that holds the mask.
    projection: np.ndarray = np.any(mask, axis=0)
    ys, zs = np.flatnonzero(projection.any(axis=1)), np.flatnonzero(projection.any(axis=0))
    if ys.size == 0:
        return None
    xs = np.flatnonzero(mask[:, ys[0] : ys[-1] + 1, zs[0] : zs[-1] + 1].any(axis=(1, 2)))
    return np.array([xs[0], ys[0], zs[0]]), np.array([xs[-1], ys[-1], zs[-1]]) + 1


def voxel_indices(mask: np.ndarray) -> np.ndarray:
    """``(N, ndim)`` indices of the true voxels, as ``np.argwhere`` (5x faster on a
    1.5 M-voxel crop: flat indices, then unravelled).

    Example:
        >>> voxel_indices(np.eye(3, dtype=bool)).tolist()
        [[0, 0], [1, 1], [2, 2]]
    """
    return np.stack(np.unravel_index(np.flatnonzero(mask), mask.shape), axis=1)


def union_crop(pred: np.ndarray, ref: np.ndarray, pad: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crop two 3D masks to their union's bounding box plus ``pad`` zero voxels per side.

    Returns the cropped masks (C-contiguous) and the voxel index in the original arrays
    of the crop's first voxel (negative where the padding went past the border).
    """
    bounds = [b for b in (_bounds(pred), _bounds(ref)) if b is not None]
    if not bounds:
        raise ValueError("both masks are empty")
    low = np.min([b[0] for b in bounds], axis=0)
    high = np.max([b[1] for b in bounds], axis=0)
    box = tuple(slice(int(lo), int(hi)) for lo, hi in zip(low, high))
    widths = [(pad, pad)] * 3
    return np.pad(pred[box], widths), np.pad(ref[box], widths), low - pad


def boundary_mask(mask: np.ndarray) -> np.ndarray:
    """Voxels of a zero-padded mask with at least one face neighbour outside it.

    The same voxels as ``mask & ~binary_erosion(mask)`` with SciPy's default cross,
    from six shifted comparisons instead of a morphological pass.
    """
    inner = mask[1:-1, 1:-1, 1:-1]
    interior = inner.copy()
    for axis in range(3):
        for step in (slice(None, -2), slice(2, None)):
            index = [slice(1, -1)] * 3
            index[axis] = step
            interior &= mask[tuple(index)]
    edge = np.zeros_like(mask)
    edge[1:-1, 1:-1, 1:-1] = inner & ~interior
    return edge


@lru_cache(maxsize=64)
def _surfel_area_table(spacing: tuple[float, ...]) -> np.ndarray:
    """Area (mm²) of the marching-cubes surface inside a 2x2x2 cube, per neighbour code.

    Bit ``4*dx + 2*dy + dz`` of the code is the voxel at offset (dx, dy, dz).
    """
    table = np.zeros(256, np.float32)
    offsets = np.array([(dx, dy, dz) for dx in (0, 1) for dy in (0, 1) for dz in (0, 1)])
    for code in range(1, 255):
        cube = np.zeros((2, 2, 2), np.float32)
        for bit, (dx, dy, dz) in enumerate(offsets):
            cube[dx, dy, dz] = (code >> (7 - bit)) & 1
        vertices, faces, _, _ = marching_cubes(cube, level=0.5, spacing=spacing, allow_degenerate=True)
        table[code] = mesh_surface_area(vertices, faces)
    return table


def neighbour_codes(mask: np.ndarray) -> np.ndarray:
    """8-bit code of every 2x2x2 neighbourhood of a mask (shape - 1 along each axis).

    The mask must have a zero border (as :func:`union_crop` leaves it) so that the
    neighbourhoods cover its whole surface.
    """
    nx, ny, nz = (s - 1 for s in mask.shape)
    bits = mask.view(np.uint8)
    code = np.zeros((nx, ny, nz), np.uint8)
    for dx in (0, 1):
        for dy in (0, 1):
            for dz in (0, 1):
                code |= bits[dx : dx + nx, dy : dy + ny, dz : dz + nz] << np.uint8(7 - (4 * dx + 2 * dy + dz))
    return code


def surfel_areas(mask: np.ndarray, spacing: np.ndarray) -> np.ndarray:
    """Surface area (mm²) in every 2x2x2 neighbourhood of a zero-bordered mask.

    Entry ``c`` covers voxels ``c .. c+1`` along each axis, i.e. sits at voxel
    coordinate ``c + 0.5``; both masks of a pair share this grid.
    """
    return _surfel_area_table(tuple(float(s) for s in spacing))[neighbour_codes(mask)]
