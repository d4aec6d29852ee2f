"""Putting a release's label map on its image's grid, and into ichseg's label values.

Releases store labels in files of their own: written by another tool (SimpleITK,
MATLAB, ITK-SNAP), sometimes with the axes in another order, a slightly different
header, or values outside the documented schema. Every adapter passes its labels
through here, so the rules are the same for all of them:

- same shape and (within a tolerance) the same affine: used as they are, on the image's
  affine (a header difference below the tolerance is noted);
- the same grid with the axes permuted or flipped: reoriented without interpolation;
- another grid: refused (labels are never interpolated; the image would have to be
  resampled onto the annotation grid, which :func:`image_on_label_grid` does for the
  releases whose labels were drawn on a grid of their own).
"""

from __future__ import annotations

from collections.abc import Mapping

import nibabel as nib
import numpy as np

from ...io import Volume
from ...preprocess.resample import resample_to_grid

# Grids agree when every voxel centre lies within this share of a voxel of its partner.
GRID_TOLERANCE_VOXELS = 0.1
NO_GEOMETRY = "label file has no geometry (identity affine): the image's is used"


def _grid_offset_voxels(a: Volume, b: Volume) -> float:
    """Largest distance between corresponding corner voxel centres, in voxels of ``a``."""
    corners = np.array([[i, j, k, 1] for i in (0, a.shape[0] - 1) for j in (0, a.shape[1] - 1)
                        for k in (0, a.shape[2] - 1)], float).T
    distance = np.linalg.norm((a.affine @ corners - b.affine @ corners)[:3], axis=0).max()
    return float(distance / min(a.spacing))


def labels_on_image_grid(labels: Volume, image: Volume) -> tuple[Volume | None, str]:
    """The label map on ``image``'s grid, and a note; ``None`` and the reason when it is not.

    Example:
        >>> import numpy as np
        >>> image = Volume(np.zeros((4, 3, 2), np.int16), np.diag([1.0, 1.0, 5.0, 1.0]))
        >>> flipped = Volume(np.zeros((4, 3, 2), np.uint8), image.affine @ np.diag([1, 1, -1, 1.0]) @
        ...                  np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, -1], [0, 0, 0, 1.0]]))
        >>> aligned, note = labels_on_image_grid(flipped, image)
        >>> aligned.shape, note
        ((4, 3, 2), 'label axes reoriented to the image (no interpolation)')
    """
    if labels.shape == image.shape and _grid_offset_voxels(image, labels) <= GRID_TOLERANCE_VOXELS:
        return Volume(labels.array, image.affine.copy()), ""
    if labels.shape == image.shape and np.allclose(labels.affine, np.eye(4)):
        return Volume(labels.array, image.affine.copy()), NO_GEOMETRY
    transform = nib.orientations.ornt_transform(nib.orientations.io_orientation(labels.affine),
                                                nib.orientations.io_orientation(image.affine))
    array = nib.orientations.apply_orientation(labels.array, transform)
    affine = labels.affine @ nib.orientations.inv_ornt_aff(transform, labels.array.shape)
    reoriented = Volume(np.ascontiguousarray(array), affine)
    if reoriented.shape == image.shape and _grid_offset_voxels(image, reoriented) <= GRID_TOLERANCE_VOXELS:
        return Volume(reoriented.array, image.affine.copy()), "label axes reoriented to the image (no interpolation)"
    if reoriented.shape == image.shape:
        offset = _grid_offset_voxels(image, reoriented)
        return None, (f"label grid lies {offset:.1f} voxels from the image grid (same shape {image.shape}): "
                      "headers disagree about where the labels are")
    return None, f"label shape {labels.shape} does not match image shape {image.shape}"


def image_on_label_grid(image: Volume, labels: Volume) -> tuple[Volume, str]:
    """``image`` sampled on the label map's grid (linear), for labels drawn on a grid of their own.

    Returns the image unchanged (bar axis order) when the grids already agree.
    """
    aligned, note = labels_on_image_grid(labels, image)
    if aligned is not None and not note:
        return image.with_array(image.array), ""
    if aligned is not None and note.startswith("label axes reoriented"):
        # the same grid in another axis order: move the image's voxels instead (nothing interpolated)
        transform = nib.orientations.ornt_transform(nib.orientations.io_orientation(image.affine),
                                                    nib.orientations.io_orientation(labels.affine))
        array = nib.orientations.apply_orientation(image.array, transform)
        return Volume(np.ascontiguousarray(array), labels.affine.copy(), image.metadata, image.warnings), \
            "image axes reoriented to the label file (no interpolation)"
    resampled = resample_to_grid(image, labels.shape, labels.affine, order=1, cval=-1024.0)
    return resampled, "image resampled (linear) onto the grid the labels were drawn on"


def remap_labels(array: np.ndarray, mapping: Mapping[int, int]) -> tuple[np.ndarray | None, str]:
    """Foreign label values -> ichseg values; ``None`` and why when a value is not in ``mapping``.

    Example:
        >>> import numpy as np
        >>> remap_labels(np.array([0, 1, 5]), {0: 0, 1: 5, 5: 4})[0].tolist()
        [0, 5, 4]
        >>> remap_labels(np.array([0, 7]), {0: 0, 1: 1})[1]
        'label values [7] are not in the release schema (0, 1)'
    """
    values = np.asarray(array)
    if values.dtype.kind == "f" and (not np.all(np.isfinite(values)) or np.any(values != np.round(values))):
        return None, "label map holds non-integer values"
    values = values.astype(np.int64)
    found = np.unique(values)
    unknown = [int(v) for v in found if int(v) not in mapping]
    if unknown:
        return None, f"label values {unknown[:10]} are not in the release schema {tuple(sorted(mapping))}"
    lookup = np.zeros(int(max(max(mapping), found.max())) + 1, np.uint8)
    for source, target in mapping.items():
        lookup[source] = target
    return lookup[values], ""
