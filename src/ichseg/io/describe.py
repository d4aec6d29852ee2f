"""A plain, JSON-ready summary of a Volume: what ``ichseg info`` prints."""

from __future__ import annotations

from typing import Any

import numpy as np

from .quality import input_quality_warnings
from .volume import Volume

SUMMARY_KEYS = (
    "format", "source", "series_choice", "series_number", "series_description", "modality", "manufacturer",
    "model", "convolution_kernel", "transfer_syntax", "gantry_tilt_tag_deg", "shear_angle_deg",
    "slice_thickness_mm", "resampled_along_normal", "padding_voxels_set_to_air", "window",
)


def describe_volume(volume: Volume) -> dict[str, Any]:
    """Geometry, HU range, source facts and warnings of ``volume``.

    Example:
        >>> import numpy as np
        >>> facts = describe_volume(Volume(np.zeros((2, 2, 2), np.int16), np.eye(4)))
        >>> facts["shape"], facts["orientation"]
        ([2, 2, 2], 'RAS')
    """
    array = volume.array
    facts: dict[str, Any] = {k: volume.metadata[k] for k in SUMMARY_KEYS if k in volume.metadata}
    files = volume.metadata.get("files")
    if files:
        facts["n_files"] = len(files)
    facts.update(
        shape=list(volume.shape),
        spacing_mm=[round(s, 4) for s in volume.spacing],
        orientation=volume.orientation,
        field_of_view_mm=[round(n * s, 1) for n, s in zip(volume.shape, volume.spacing)],
        dtype=str(array.dtype),
        hu_min=float(np.min(array)),
        hu_max=float(np.max(array)),
        hu_median=float(np.median(array)),
        affine=[[round(float(v), 6) for v in row] for row in volume.affine],
        warnings=[*volume.warnings, *input_quality_warnings(volume)],
    )
    for key in ("rejected_series", "skipped_files"):
        if volume.metadata.get(key):
            facts[key] = dict(volume.metadata[key])
    return facts
