"""Reorient a Volume's array (flips and axis permutations only, no interpolation)."""

from __future__ import annotations

import nibabel as nib
import numpy as np

from ..io.volume import Volume


def reorient(volume: Volume, axcodes: str = "RAS") -> Volume:
    """Permute/flip the array so that its axes point along ``axcodes``.

    Only the closest axis-aligned orientation is reached (an oblique, e.g. gantry-tilted,
    grid stays oblique); voxel values are moved, never interpolated, so reorienting back
    to the original codes gives the original array and affine exactly.

    Example:
        >>> import numpy as np
        >>> lps = Volume(np.arange(8).reshape(2, 2, 2), np.diag([-1.0, -1.0, 1.0, 1.0]))
        >>> ras = reorient(lps, "RAS")
        >>> ras.orientation, int(ras.array[0, 0, 0])
        ('RAS', 6)
    """
    current = nib.orientations.io_orientation(volume.affine)
    target = nib.orientations.axcodes2ornt(tuple(axcodes))
    transform = nib.orientations.ornt_transform(current, target)
    array = nib.orientations.apply_orientation(volume.array, transform)
    affine = volume.affine @ nib.orientations.inv_ornt_aff(transform, volume.array.shape)
    return Volume(np.ascontiguousarray(array), affine, dict(volume.metadata), list(volume.warnings))


def to_ras(volume: Volume) -> Volume:
    """Shorthand for :func:`reorient` to RAS, the orientation models are trained in."""
    return reorient(volume, "RAS")
