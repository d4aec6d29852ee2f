"""Input quality checks: is this a head CT in HU that the model can be trusted on?

A segmentation model answers every input with a number. These checks look at the image
itself (not its tags, which can be missing or wrong) and return warnings for inputs whose
hemorrhage volume should not be believed: values that are not HU (rescale tags missing or
wrong, an 8-bit export read as HU), no air or no brain-like tissue, a field of view too
small for a head, an object much larger than a head (a chest or body CT given by mistake).

The thresholds are wide on purpose: a real adult or child head CT, a thin or thick
reconstruction, one slice or a few, and ichseg's synthetic heads pass; see the tests.
An 8-bit windowed export (its metadata holds the display window) floors air at the window's
bottom, so there air is that bottom grey and the body everything above it; checks that need
values under the window (lung) are not made.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .slice_stack import window_floor_hu
from .volume import Volume

AIR_RANGE_HU = (-1100.0, -850.0)
BRAIN_RANGE_HU = (10.0, 60.0)
TISSUE_HU = -300.0  # above: the patient's body (and the table)
MIN_AIR_FRACTION = 0.02  # a head CT's field of view always holds air around the head
MIN_BRAIN_FRACTION_OF_BODY = 0.12  # a head: 35-55 %; a geometric phantom: 5 %
MIN_BRAIN_FRACTION_FEW_SLICES = 0.04  # one to three slices may be the vertex, mostly skull (6-9 % on the GE head)
FEW_SLICES = 3
MAX_PLAUSIBLE_MEDIAN_HU = 3000.0
MIN_FIELD_OF_VIEW_MM = 100.0  # in-plane; a head is 140-200 mm wide
MAX_HEAD_AREA_CM2 = 400.0  # the largest axial section of an adult head is about 200-300 cm2; a chest 500-800
LUNG_RANGE_HU = (-950.0, -600.0)
MAX_LUNG_FRACTION_OF_BODY = 0.15  # paranasal sinuses and mastoids stay far below this
OPENING_MM = 5.0  # separates the head from thin table and headrest parts before measuring its size
MAX_SAMPLED_VOXELS = 1_000_000  # 0.06 s on the GE head (0.4 s at 4 M, same warnings)


def _sampled(volume: Volume) -> tuple[np.ndarray, tuple[float, float, float]]:
    """Every n-th voxel in-plane (the statistics do not need all of a 512x512xN scan)."""
    step = max(1, int(np.ceil(np.sqrt(volume.array.size / MAX_SAMPLED_VOXELS))))
    spacing = volume.spacing
    return volume.array[::step, ::step, :], (spacing[0] * step, spacing[1] * step, spacing[2])


def _largest_section_cm2(body: np.ndarray, spacing: tuple[float, float, float]) -> float:
    """Area of the largest axial section of the largest body component after an opening."""
    radius = max(1, int(round(OPENING_MM / min(spacing[:2]))))
    disk = np.hypot(*np.mgrid[-radius:radius + 1, -radius:radius + 1]) <= radius
    best = 0.0
    pixel_cm2 = spacing[0] * spacing[1] / 100.0
    for k in range(body.shape[2]):
        section = ndimage.binary_opening(body[:, :, k], structure=disk)
        components, count = ndimage.label(section)
        if count:
            best = max(best, float(np.bincount(components.ravel())[1:].max()) * pixel_cm2)
    return best


def _air_and_body(values: np.ndarray, window) -> tuple[np.ndarray, np.ndarray]:
    """Air and body masks: by HU, or, for a windowed export whose window starts above air, air
    is the bottom grey (everything under the window, air included, was stored as it)."""
    floor = None if window is None else window_floor_hu(window)
    if floor is None or floor <= AIR_RANGE_HU[1]:
        return (values >= AIR_RANGE_HU[0]) & (values <= AIR_RANGE_HU[1]), values > TISSUE_HU
    air = values <= floor
    return air, ~air & (values > TISSUE_HU)


def input_quality_warnings(volume: Volume) -> list[str]:
    """Warnings about ``volume`` as a head CT in HU (empty when it looks like one).

    Example:
        >>> import numpy as np
        >>> from ichseg.io import Volume
        >>> input_quality_warnings(Volume(np.zeros((64, 64, 4), np.int16), np.diag([0.5, 0.5, 5.0, 1.0])))[0]
        'field of view 32x32 mm is too small for a head (at least 100 mm expected)'
    """
    warnings = []
    extent = [n * s for n, s in zip(volume.shape[:2], volume.spacing[:2])]
    if min(extent) < MIN_FIELD_OF_VIEW_MM:
        warnings.append(f"field of view {extent[0]:.0f}x{extent[1]:.0f} mm is too small for a head "
                        f"(at least {MIN_FIELD_OF_VIEW_MM:.0f} mm expected)")
    array, spacing = _sampled(volume)
    values = array.astype(np.float32, copy=False)
    median = float(np.median(values))
    window = volume.metadata.get("window")
    air_mask, body = _air_and_body(values, window)
    air = float(air_mask.mean())
    body_fraction = float(body.mean())
    if abs(median) > MAX_PLAUSIBLE_MEDIAN_HU:
        warnings.append(f"median value {median:.0f} is not a CT number in HU (rescale tags wrong, or not CT?)")
    if air < MIN_AIR_FRACTION:
        warnings.append(f"almost no air (-1000 HU) in the image ({air:.1%} of voxels): values may not be HU "
                        "(rescale tags missing, or an 8-bit export read without --window?)")
    if body_fraction == 0:
        warnings.append("no tissue in the image (every value below -300 HU)")
        return warnings
    brain = float(np.mean((values >= BRAIN_RANGE_HU[0]) & (values <= BRAIN_RANGE_HU[1])) / body_fraction)
    if brain < (MIN_BRAIN_FRACTION_FEW_SLICES if volume.shape[2] <= FEW_SLICES else MIN_BRAIN_FRACTION_OF_BODY):
        warnings.append(f"little brain-like tissue ({BRAIN_RANGE_HU[0]:.0f}-{BRAIN_RANGE_HU[1]:.0f} HU: "
                        f"{brain:.1%} of the body): not a head CT in HU?")
    lung_visible = window is None or window_floor_hu(window) < LUNG_RANGE_HU[0]
    lung = float(np.mean((values >= LUNG_RANGE_HU[0]) & (values <= LUNG_RANGE_HU[1]) & _inside(body))
                 / body_fraction) if lung_visible else 0.0
    section = _largest_section_cm2(body, spacing)
    if section > MAX_HEAD_AREA_CM2:
        warnings.append(f"the body is larger than a head (largest axial section {section:.0f} cm2, a head has at "
                        f"most about {MAX_HEAD_AREA_CM2:.0f}): a chest or body CT, or air not stored as -1000 HU? "
                        "The model is for head CT only")
    if lung > MAX_LUNG_FRACTION_OF_BODY:
        warnings.append(f"lung-like tissue ({LUNG_RANGE_HU[0]:.0f} to {LUNG_RANGE_HU[1]:.0f} HU) fills {lung:.0%} of "
                        "the body's sections: a chest CT or a phantom? The model is for head CT only")
    return warnings


def _inside(body: np.ndarray) -> np.ndarray:
    """Voxels enclosed by the body in their axial section (lungs, sinuses), the body itself excluded."""
    filled = np.stack([ndimage.binary_fill_holes(body[:, :, k]) for k in range(body.shape[2])], axis=2)
    return filled & ~body
