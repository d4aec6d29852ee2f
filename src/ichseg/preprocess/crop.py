"""Crop a Volume to a bounding box (affine kept consistent) and paste results back."""

from __future__ import annotations

import numpy as np

from ..io.volume import Volume

Box = tuple[slice, slice, slice]


def bounding_box(mask: np.ndarray, margin_voxels: tuple[int, int, int] = (0, 0, 0)) -> Box:
    """Smallest box holding ``mask`` plus a margin, clipped to the array.

    Raises:
        ValueError: the mask is empty.
    """
    if not mask.any():
        raise ValueError("cannot take the bounding box of an empty mask")
    box = []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        hits = np.flatnonzero(mask.any(axis=other))
        start = max(0, int(hits[0]) - margin_voxels[axis])
        stop = min(mask.shape[axis], int(hits[-1]) + 1 + margin_voxels[axis])
        box.append(slice(start, stop))
    return tuple(box)  # type: ignore[return-value]


def margin_in_voxels(volume: Volume, margin_mm: float) -> tuple[int, int, int]:
    """A margin in mm as whole voxels along each axis (rounded up)."""
    return tuple(int(np.ceil(margin_mm / s)) for s in volume.spacing)  # type: ignore[return-value]


def crop(volume: Volume, box: Box) -> Volume:
    """The part of ``volume`` inside ``box``, with the affine moved to the new corner.

    Example:
        >>> volume = Volume(np.zeros((10, 10, 4)), np.eye(4))
        >>> crop(volume, (slice(2, 5), slice(0, 10), slice(1, 3))).affine[:3, 3].tolist()
        [2.0, 0.0, 1.0]
    """
    affine = volume.affine.copy()
    affine[:3, 3] = volume.affine[:3, :3] @ np.array([s.start for s in box]) + volume.affine[:3, 3]
    metadata = dict(volume.metadata, crop_box=[[s.start, s.stop] for s in box], uncropped_shape=list(volume.shape))
    return Volume(np.ascontiguousarray(volume.array[box]), affine, metadata, list(volume.warnings))


def uncrop(array: np.ndarray, box: Box, full_shape: tuple[int, int, int], fill: float = 0) -> np.ndarray:
    """Paste a cropped result back into an array of the original shape."""
    out = np.full(full_shape, fill, dtype=array.dtype)
    out[box] = array
    return out
