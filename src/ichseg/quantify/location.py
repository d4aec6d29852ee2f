"""Where a hemorrhage lies: infratentorial origin, the ICH score's location item.

The tentorium is not segmented; the posterior fossa is a landmark region placed in the
bounding box of the intracranial cavity (the brain mask of
:mod:`ichseg.preprocess.brain_mask`, world coordinates, robust 0.5-99.5 % extents):

- **below the tentorial level**, :data:`TENTORIAL_LEVEL` of the cavity's height above its
  lowest point (foramen magnum to vertex; the tentorium runs at about 25-40 % of it);
- **inside the fossa's ellipsoid**: centred on the midline, :data:`FOSSA_CENTRE` of the way
  from the cavity's back to its front and from its bottom to its top, with semi-axes
  :data:`FOSSA_SEMI_AXES` of the cavity's width, length and height: the bowl behind the
  petrous ridges, medial to the temporal lobes.

A hematoma is of infratentorial origin when the centre of mass of its largest IPH
component lies in that region. This is a geometric landmark, not an anatomical
segmentation; its proportions are those of the synthetic heads it is tested on (adult
anatomy in proportion), it has not been checked on labelled real scans, and on a scan that
misses the skull base or a head far from upright it is unreliable (``None`` when there is
no IPH or no cavity).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..io import Volume
from ..labels import IPH, LESION_CONNECTIVITY
from ..preprocess.brain_mask import brain_mask

TENTORIAL_LEVEL = 0.32
FOSSA_CENTRE = (0.5, 0.29, 0.23)  # of the cavity's width (R-L), length (back to front), height (bottom up)
FOSSA_SEMI_AXES = (0.36, 0.225, 0.23)
EXTENT_SAMPLE = 200_000  # cavity voxels whose world positions give its extents


def _world(volume: Volume, voxels: np.ndarray) -> np.ndarray:
    return voxels @ volume.affine[:3, :3].T + volume.affine[:3, 3]


def in_posterior_fossa(points_ras: np.ndarray, cavity_low: np.ndarray, cavity_high: np.ndarray) -> np.ndarray:
    """Whether world (RAS) points lie in the landmark region of a cavity with these extents.

    Example:
        >>> low, high = np.array([-70.0, -90.0, -60.0]), np.array([70.0, 90.0, 80.0])
        >>> in_posterior_fossa(np.array([[0.0, -50.0, -30.0], [0.0, 40.0, -30.0], [0.0, -50.0, 30.0]]), low, high)
        array([ True, False, False])
    """
    size = cavity_high - cavity_low
    relative = (np.asarray(points_ras) - cavity_low) / size
    ellipsoid = (((relative - np.array(FOSSA_CENTRE)) / np.array(FOSSA_SEMI_AXES)) ** 2).sum(axis=-1) <= 1
    return ellipsoid & (relative[..., 2] < TENTORIAL_LEVEL)


def cavity_extents(image: Volume, cavity: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """Robust (0.5-99.5 %) low and high world corners of the intracranial cavity, or None."""
    cavity = brain_mask(image) if cavity is None else cavity
    voxels = np.argwhere(cavity)
    if len(voxels) == 0:
        return None
    # every k-th voxel in raster order: an even spatial sample whose 0.5 and 99.5 % points lie
    # within a voxel of the full cavity's, at a fraction of the sorting (a cavity has ~1 M voxels)
    voxels = voxels[:: max(1, len(voxels) // EXTENT_SAMPLE)]
    low, high = np.percentile(_world(image, voxels.astype(float)), [0.5, 99.5], axis=0)
    return low, high


def iph_infratentorial(image: Volume, labels: np.ndarray) -> bool | None:
    """Whether the largest IPH lesion's centre lies in the posterior fossa (module docstring)."""
    iph = np.asarray(labels) == IPH
    if not iph.any():  # labelling a whole thin scan's empty mask costs 0.4 s
        return None
    components, n = ndimage.label(iph, LESION_CONNECTIVITY)
    extents = cavity_extents(image)
    if extents is None:
        return None
    largest = 1 + int(np.argmax(ndimage.sum_labels(np.ones_like(components), components, range(1, n + 1))))
    centre = _world(image, np.argwhere(components == largest).mean(axis=0)[None])
    return bool(in_posterior_fossa(centre, *extents)[0])
