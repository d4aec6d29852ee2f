"""A real head CT as the anatomy that hemorrhages are inserted into (``--base``).

The masks the lesion painters need are derived from the scan itself: the intracranial
mask (:func:`ichseg.preprocess.brain_mask`), depth below the inner table (distance
transform with the true spacing), ventricles (CSF-density components deep in the
brain), CSF spaces (sulci and cisterns), parenchyma, a deep-grey region around the
basal ganglia, the posterior fossa, hemisphere sides and skull. Lesions are painted on
the scan's own grid; the change is smoothed across slices for partial volume, and noise
measured in the scan's brain is added so the blood has the scanner's texture.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import ndimage

from ...io import Volume, read_volume
from ...preprocess import brain_mask
from ...preprocess.crop import bounding_box
from .fields import Grid
from .head import HeadAnatomy

CSF_HU = (-5.0, 18.0)
PARENCHYMA_HU = (18.0, 60.0)


def estimate_noise_sd(hu: np.ndarray, brain: np.ndarray) -> float:
    """Noise SD in HU: the spread of the in-plane high-pass residual inside the brain."""
    residual = hu - ndimage.uniform_filter(hu, size=(5, 5, 1))
    values = residual[ndimage.binary_erosion(brain, iterations=3) & (hu > 15) & (hu < 50)]
    if values.size < 100:
        return 5.0
    # The 5x5 box removes 1/25 of the variance; MAD is robust to edges.
    return float(1.4826 * np.median(np.abs(values - np.median(values))) / np.sqrt(1 - 1 / 25))


def distance_inside(mask: np.ndarray, spacing: Sequence[float]) -> np.ndarray:
    """float32 distance (mm) of each ``mask`` voxel to the nearest voxel outside it (0 outside).

    Computed in the mask's bounding box grown by one voxel: the nearest outside voxel of an
    inside voxel is never farther than that box's border layer, so the result is exactly the
    whole array's transform, at a fraction of the time (a head is about half its scan).

    Example:
        >>> mask = np.zeros((7, 7, 3), bool); mask[2:5, 2:5, 1] = True
        >>> float(distance_inside(mask, (1.0, 1.0, 1.0))[3, 3, 1])
        1.0
    """
    depth = np.zeros(mask.shape, np.float32)
    if mask.any():
        box = bounding_box(mask, (1, 1, 1))
        depth[box] = ndimage.distance_transform_edt(mask[box], sampling=spacing)
    return depth


def within_mm(mask: np.ndarray, spacing: Sequence[float], distance_mm: float) -> np.ndarray:
    """Voxels closer than ``distance_mm`` to ``mask`` (the mask included), computed in the
    mask's box grown by that distance: every nearer voxel lies inside it, so the result is
    exactly the whole array's distance transform thresholded.

    Example:
        >>> mask = np.zeros((9, 1, 1), bool); mask[4] = True
        >>> within_mm(mask, (1.0, 1.0, 1.0), 2.5)[:, 0, 0].astype(int).tolist()
        [0, 0, 1, 1, 1, 1, 1, 0, 0]
    """
    near = np.zeros(mask.shape, bool)
    if mask.any():
        box = bounding_box(mask, tuple(int(np.ceil(distance_mm / s)) + 1 for s in spacing))  # type: ignore[arg-type]
        near[box] = ndimage.distance_transform_edt(~mask[box], sampling=spacing) < distance_mm
    return near


def anatomy_from_ct(volume: Volume) -> HeadAnatomy:
    """Masks and coordinates of a real head CT, in the layout the lesion painters use."""
    hu = np.asarray(volume.array, np.float32)
    sx, sy, sz = (float(s) for s in volume.spacing)
    spacing = (sx, sy, sz)
    intracranial = brain_mask(volume)
    if intracranial.sum() * volume.voxel_volume_ml < 500:
        raise ValueError(f"{volume.metadata.get('source', 'base scan')}: no head-sized intracranial space found")
    index = np.indices(hu.shape, dtype=np.float32)
    world = np.tensordot(volume.affine[:3, :3].astype(np.float32), index, axes=(1, 0))
    world += volume.affine[:3, 3].astype(np.float32)[:, None, None, None]
    centre = np.array([world[a][intracranial].mean() for a in range(3)], np.float32)
    x, y, z = (world[a] - centre[a] for a in range(3))
    depth = distance_inside(intracranial, spacing)

    # Classify tissue on a 3x3 in-plane median so CSF spaces come out as continuous sulci
    # and cisterns rather than noise-speckled voxels.
    smoothed = ndimage.median_filter(hu, size=(3, 3, 1))
    csf = intracranial & (smoothed > CSF_HU[0]) & (smoothed < CSF_HU[1])
    deep_csf = ndimage.binary_opening(csf & (depth > 15), iterations=1)
    labelled, count = ndimage.label(deep_csf)
    ventricles = np.zeros(hu.shape, bool)
    if count:
        sizes = ndimage.sum(deep_csf, labelled, range(1, count + 1)) * volume.voxel_volume_ml
        near_midline = ndimage.minimum(np.abs(x), labelled, range(1, count + 1))
        for component in np.flatnonzero((sizes >= 0.5) & (near_midline < 35)) + 1:
            ventricles |= labelled == component
    csf_spaces = csf & ~ventricles
    parenchyma = intracranial & (smoothed >= PARENCHYMA_HU[0]) & (smoothed < PARENCHYMA_HU[1])
    extents = [float(np.ptp(a[intracranial])) / 2 for a in (x, y, z)]
    deep_grey = parenchyma & ((x / 28) ** 2 + (y / 30) ** 2 + (z / 20) ** 2 < 1) & ~ventricles
    infratentorial = parenchyma & (z < -0.45 * extents[2]) & (y < 0)
    skull = (hu > 300) & ~intracranial & within_mm(intracranial, spacing, 15.0)
    origin_x, origin_y, origin_z = (float(v) for v in volume.affine[:3, 3])
    grid = Grid((origin_x, origin_y, origin_z), spacing, hu.shape)
    return HeadAnatomy(
        grid=grid, hu=hu, intracranial=intracranial, depth=depth, parenchyma=parenchyma & ~ventricles,
        ventricles=ventricles, csf_spaces=csf_spaces, deep_grey=deep_grey, infratentorial=infratentorial,
        side=np.where(x >= 0, 1, -1).astype(np.int8), skull=skull, sutures=np.zeros(hu.shape, bool),
        head_coordinates=(x, y, z),
        parameters={"cavity_radii_mm": extents, "noise_sd_hu": estimate_noise_sd(hu, intracranial),
                    "source": str(volume.metadata.get("source", ""))},
    )


@lru_cache(maxsize=4)
def load_base(path: str) -> tuple[Volume, HeadAnatomy]:
    """Read a base scan and derive its anatomy once per process."""
    volume = read_volume(Path(path))
    return volume, anatomy_from_ct(volume)
