"""Intracranial (brain) and head masks from HU thresholds and morphology.

The intracranial space is the largest soft-tissue region (-15..110 HU: CSF, brain,
blood, edema) once a few millimetres of erosion have cut its thin connections to the
scalp and neck through the orbits and foramina; it is grown back inside soft tissue and
its holes (calcifications, hyperdense clot) are filled slice by slice. Morphology runs
at about 1.5 mm in-plane for speed; the result is refined at full resolution.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..io.volume import Volume

SOFT_TISSUE_HU = (-15.0, 110.0)
HEAD_THRESHOLD_HU = -300.0
WORKING_PIXEL_MM = 1.5


def ellipsoid(radius_mm: float, spacing: tuple[float, ...]) -> np.ndarray:
    """Boolean ball of ``radius_mm`` on an anisotropic grid (at least one voxel)."""
    radii = np.maximum(0, np.floor(radius_mm / np.asarray(spacing))).astype(int)
    grids = np.ogrid[tuple(slice(-r, r + 1) for r in radii)]
    return np.asarray(sum((g * s / radius_mm) ** 2 for g, s in zip(grids, spacing)) <= 1.0)


def _largest_component(mask: np.ndarray) -> np.ndarray:
    labels, count = ndimage.label(mask)
    if count == 0:
        return mask
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return labels == int(np.argmax(sizes))


def _fill_holes_per_slice(mask: np.ndarray) -> np.ndarray:
    return np.stack([ndimage.binary_fill_holes(mask[..., z]) for z in range(mask.shape[2])], axis=-1)


def head_mask(volume: Volume) -> np.ndarray:
    """The head (everything denser than -300 HU connected to the largest object), filled.

    The largest component drops the table, the headrest and the pillow, which touch the
    head only through air at this threshold in almost every scan.
    """
    return _fill_holes_per_slice(_largest_component(np.asarray(volume.array) > HEAD_THRESHOLD_HU))


def brain_mask(volume: Volume, *, erosion_mm: float = 5.0) -> np.ndarray:
    """Boolean intracranial mask on the volume's grid.

    Args:
        volume: a head CT in HU; axis 2 should be the slice axis (as read from DICOM or
            after :func:`~ichseg.preprocess.orientation.to_ras`).
        erosion_mm: how much to erode soft tissue to cut the brain free of the scalp.

    Example:
        >>> from ichseg.io import read_volume
        >>> from ichseg.resources import example_path
        >>> volume = read_volume(example_path("ge_head_ct"))
        >>> bool(1100 < brain_mask(volume).sum() * volume.voxel_volume_ml < 1800)
        True
    """
    hu = np.asarray(volume.array, dtype=np.float32)
    spacing = np.array(volume.spacing)
    factors = [max(1, int(round(WORKING_PIXEL_MM / spacing[a]))) for a in (0, 1)]
    x, y, z = hu.shape
    xc, yc = x // factors[0] * factors[0], y // factors[1] * factors[1]
    small = hu[:xc, :yc].reshape(xc // factors[0], factors[0], yc // factors[1], factors[1], z).mean(axis=(1, 3))
    small_spacing = (spacing[0] * factors[0], spacing[1] * factors[1], spacing[2])
    low, high = SOFT_TISSUE_HU
    soft = (small > low) & (small < high)
    structure = ellipsoid(erosion_mm, small_spacing)
    core = _largest_component(ndimage.binary_erosion(soft, structure))
    coarse = _fill_holes_per_slice(ndimage.binary_dilation(core, structure) & soft)
    # Back to full resolution: nearest upsampling grown by one coarse pixel (in-plane),
    # then the exact soft-tissue boundary, holes filled again.
    full = np.zeros(hu.shape, bool)
    full[:xc, :yc] = coarse.repeat(factors[0], axis=0).repeat(factors[1], axis=1)
    in_plane = ellipsoid(max(small_spacing[:2]), (spacing[0], spacing[1], 1e9))
    grown = ndimage.binary_dilation(full, in_plane)
    return _fill_holes_per_slice(grown & (hu > low) & (hu < high))
