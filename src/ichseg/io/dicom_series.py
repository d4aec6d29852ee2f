"""Read one DICOM CT series into a :class:`Volume` in HU at its true physical position.

Geometry follows ImagePositionPatient (IPP) and ImageOrientationPatient (IOP), never
InstanceNumber:

* slices are ordered by their distance along the slice normal;
* a gantry-tilted acquisition stores parallel, tilted planes whose IPPs advance along
  the table axis, so the stack is *sheared*. Each slice is shifted in-plane onto a
  common, enlarged canvas (linear interpolation), which leaves an orthogonal grid that
  keeps the acquired image planes. The shear is removed, not the tilt: the affine stays
  oblique, and each voxel keeps its scanner position.
* uneven gaps along the normal (e.g. 4 mm posterior-fossa slices followed by 7 mm
  ones) are resampled linearly to a uniform spacing, with a warning.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pydicom
from scipy import ndimage

from .dicom_files import CT_IMAGE_SOP_CLASSES, DicomFileHeader
from .errors import InputError
from .volume import Volume

AIR_HU = -1024
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
# Below this in-plane offset (in pixels) a stack is treated as unsheared.
SHEAR_TOLERANCE_PX = 0.01
# Relative spread of slice gaps below which spacing counts as uniform.
UNIFORM_GAP_TOLERANCE = 0.02
MISSING_SLICE_FACTOR = 1.5
# In-plane shift between slices beyond which a series is not one tilted head acquisition
# (a 30 degree tilt over a 300 mm stack shifts by 173 mm); it would need a huge canvas.
MAX_SHEAR_MM = 400.0
# Resampling to the median gap may add slices for missing ones, not thousands for one outlier position.
MAX_RESAMPLED_FACTOR = 4
# No CT stores HU beyond this (16-bit storage even with an extended HU scale): a wrong slope.
MAX_PLAUSIBLE_HU = 32767.0


def _number(dataset: pydicom.Dataset, keyword: str, path: Path, default: float) -> float:
    """A numeric tag as a float (``default`` when absent or empty), refused when not a finite number."""
    value = dataset.get(keyword)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(path, f"{keyword} is not a number ({str(value)[:40]!r})") from None
    if not math.isfinite(number):
        raise InputError(path, f"{keyword} is {number}")
    return number


def _numbers(dataset: pydicom.Dataset, keyword: str, path: Path, count: int, default: Sequence[float]) -> np.ndarray:
    """A multi-valued numeric tag (positions, orientations, spacings), checked for count and finiteness."""
    value = dataset.get(keyword)
    if value is None or value == "":
        return np.array(default, float)
    try:
        numbers = np.array([float(v) for v in (value if isinstance(value, (list, tuple, pydicom.multival.MultiValue))
                                               else [value])], float)
    except (TypeError, ValueError):
        raise InputError(path, f"{keyword} is not numeric ({str(value)[:60]!r})") from None
    if numbers.size != count or not np.all(np.isfinite(numbers)):
        raise InputError(path, f"{keyword} must be {count} finite numbers, got {str(value)[:60]!r}")
    return numbers


def _read_dataset(path: Path) -> pydicom.Dataset:
    try:
        return pydicom.dcmread(path)
    except Exception as error:
        raise InputError(path, f"cannot read DICOM ({type(error).__name__}: {error})") from error


def _slice_hu(dataset: pydicom.Dataset, path: Path) -> tuple[np.ndarray, int]:
    """HU image of one slice and the number of padding / outside-FOV pixels set to air."""
    if dataset.get("PhotometricInterpretation", "MONOCHROME2") not in ("MONOCHROME1", "MONOCHROME2"):
        raise InputError(path, f"not a grayscale CT image ({dataset.PhotometricInterpretation})")
    if int(dataset.get("NumberOfFrames", 1) or 1) > 1:
        raise InputError(path, "multi-frame (enhanced) CT objects are not supported; export single-frame slices")
    if not any(keyword in dataset for keyword in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
        raise InputError(path, "DICOM object without image data (an image header whose pixel data is missing)")
    try:
        stored = dataset.pixel_array
    except Exception as error:
        raise InputError(path, f"pixel data cannot be decoded ({type(error).__name__}: {error})") from error
    slope = _number(dataset, "RescaleSlope", path, 1.0)
    intercept = _number(dataset, "RescaleIntercept", path, 0.0)
    if slope == 0:
        raise InputError(path, "RescaleSlope is 0: every pixel would have the same HU")
    hu = stored.astype(np.float32) * slope + intercept
    outside = np.zeros(hu.shape, bool)
    padding = dataset.get("PixelPaddingValue")
    if padding is not None:
        outside |= stored == padding
    # Values below air are the outside of the reconstruction circle (-2000, -3024 ...).
    outside |= hu < AIR_HU
    hu[outside] = AIR_HU
    return hu, int(outside.sum())


def _check_consistent(datasets: Sequence[pydicom.Dataset], paths: Sequence[Path]) -> None:
    first, first_path = datasets[0], paths[0]
    reference_iop = _numbers(first, "ImageOrientationPatient", first_path, 6, ())
    reference_spacing = _numbers(first, "PixelSpacing", first_path, 2, ())
    for dataset, path in zip(datasets[1:], paths[1:]):
        if (dataset.Rows, dataset.Columns) != (first.Rows, first.Columns):
            raise InputError(
                path,
                f"slice size {dataset.Rows}x{dataset.Columns} differs from {first.Rows}x{first.Columns} "
                f"in {first_path.name}; mixed series in one folder?",
            )
        if np.abs(_numbers(dataset, "ImageOrientationPatient", path, 6, ()) - reference_iop).max() > 1e-3:
            raise InputError(path, f"image orientation differs from {first_path.name}; mixed series in one folder?")
        if np.abs(_numbers(dataset, "PixelSpacing", path, 2, ()) - reference_spacing).max() > 1e-4:
            raise InputError(path, f"pixel spacing differs from {first_path.name}")


def _expected_gaps(gaps: np.ndarray, thickness: np.ndarray) -> np.ndarray:
    """Gap expected at each position: the median gap among slices of the same thickness.

    A protocol with 4 mm slices below 7 mm ones has two regular regimes; a 7 mm gap is
    only suspicious among 4 mm slices.
    """
    expected = np.full(gaps.shape, float(np.median(gaps)))
    gap_thickness = np.maximum(thickness[:-1], thickness[1:])
    for value in np.unique(gap_thickness):
        same = (thickness[:-1] == value) & (thickness[1:] == value)
        if same.sum() >= 2:
            expected[gap_thickness == value] = float(np.median(gaps[same]))
    return expected


def _remove_shear(
    slices: np.ndarray, offsets_mm: np.ndarray, pixel_mm: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Shift each slice in-plane by its IPP offset onto a common canvas.

    Args:
        slices: ``(K, rows, columns)`` HU images.
        offsets_mm: ``(K, 2)`` in-plane offsets of each IPP from the first, along the
            row direction (columns axis) and the column direction (rows axis).
        pixel_mm: (spacing along rows axis, spacing along columns axis).

    Returns:
        The sheared-free stack and the canvas origin offset (mm, along row and column
        directions) relative to the first slice's IPP.
    """
    d_col, d_row = pixel_mm  # mm per rows-axis step, mm per columns-axis step
    u, v = offsets_mm[:, 0], offsets_mm[:, 1]
    u_min, v_min = min(0.0, u.min()), min(0.0, v.min())
    extra_columns = math.ceil((u.max() - u_min) / d_row - 1e-3)
    extra_rows = math.ceil((v.max() - v_min) / d_col - 1e-3)
    out_shape = (slices.shape[1] + extra_rows, slices.shape[2] + extra_columns)
    out = np.empty((len(slices),) + out_shape, np.float32)
    for k, image in enumerate(slices):
        # out[J, I] samples image[J + (v_min - v_k)/dy, I + (u_min - u_k)/dx].
        offset = ((v_min - v[k]) / d_col, (u_min - u[k]) / d_row)
        ndimage.affine_transform(
            image, np.ones(2), offset=offset, output_shape=out_shape, output=out[k],  # diagonal: fast shift path
            order=1, mode="constant", cval=AIR_HU,
        )
    return out, np.array([u_min, v_min])


def _resample_along_normal(slices: np.ndarray, distances: np.ndarray, n_out: int) -> tuple[np.ndarray, float]:
    """Linear interpolation of a stack onto ``n_out`` evenly spaced positions."""
    span = float(distances[-1] - distances[0])
    spacing = span / (n_out - 1)
    targets = distances[0] + spacing * np.arange(n_out)
    lower = np.clip(np.searchsorted(distances, targets, side="right") - 1, 0, len(distances) - 2)
    weight = ((targets - distances[lower]) / (distances[lower + 1] - distances[lower])).astype(np.float32)
    out = np.empty((n_out,) + slices.shape[1:], np.float32)
    for m in range(n_out):
        out[m] = (1 - weight[m]) * slices[lower[m]] + weight[m] * slices[lower[m] + 1]
    return out, spacing


def read_dicom_series(
    files: Sequence[Path | str | DicomFileHeader], *, allow_non_ct: bool = False, name: str | None = None
) -> Volume:
    """Read the files of one series into a Volume in HU (RAS affine, float32 or int16).

    Args:
        files: the slice files, in any order.
        allow_non_ct: read a non-CT modality instead of refusing it.
        name: how to call the series in messages (default: the folder of the files).

    Raises:
        InputError: unreadable or truncated file, non-CT modality, mixed slice sizes or
            orientations, duplicate slice positions, missing geometry.

    Example:
        >>> from ichseg.resources import example_path
        >>> volume = read_dicom_series(sorted(example_path("ge_head_ct").glob("*.dcm")))
        >>> volume.shape, volume.spacing[2] < 4.1
        ((512, 611, 37), True)
    """
    paths = [Path(f.path if isinstance(f, DicomFileHeader) else f) for f in files]
    if not paths:
        raise InputError(name or ".", "no DICOM image files")
    where = Path(name) if name else paths[0].parent
    datasets = [_read_dataset(p) for p in paths]
    modality = str(datasets[0].get("Modality", ""))
    if modality != "CT" and not allow_non_ct:
        raise InputError(where, f"modality is {modality or 'missing'}, not CT "
                                "(pass allow_non_ct/--force to read it anyway)")
    warnings: list[str] = []
    single = len(datasets) == 1
    for dataset, path in zip(datasets, paths):
        missing = [t for t in ("ImageOrientationPatient", "ImagePositionPatient", "PixelSpacing") if t not in dataset]
        if missing and not single:
            raise InputError(path, f"missing geometry tags {', '.join(missing)}; cannot place the slice")
    if single and "ImageOrientationPatient" not in datasets[0]:
        warnings.append("no geometry tags: identity orientation and 1 mm pixels assumed")
    first = datasets[0]
    iop = _numbers(first, "ImageOrientationPatient", paths[0], 6, [1, 0, 0, 0, 1, 0])
    normal = np.cross(iop[:3], iop[3:])
    if min(np.linalg.norm(iop[:3]), np.linalg.norm(iop[3:]), np.linalg.norm(normal)) < 1e-3:
        raise InputError(paths[0], f"ImageOrientationPatient {iop.tolist()} does not give two independent directions")
    row_dir, col_dir = iop[:3] / np.linalg.norm(iop[:3]), iop[3:] / np.linalg.norm(iop[3:])
    normal /= np.linalg.norm(normal)
    d_col, d_row = _numbers(first, "PixelSpacing", paths[0], 2, [1.0, 1.0])
    if min(d_col, d_row) <= 0:
        raise InputError(paths[0], f"PixelSpacing must be positive, got {[d_col, d_row]}")
    if not single:
        _check_consistent(datasets, paths)
    rescale_tags = [("RescaleSlope" in ds) and ("RescaleIntercept" in ds) for ds in datasets]
    if not all(rescale_tags):
        warnings.append(f"{rescale_tags.count(False)} of {len(datasets)} slices have no RescaleSlope/RescaleIntercept: "
                        "their stored values are read as HU (slope 1, intercept 0)")

    positions = np.stack([_numbers(ds, "ImagePositionPatient", p, 3, [0, 0, 0]) for ds, p in zip(datasets, paths)])
    distances = positions @ normal
    order = np.argsort(distances, kind="stable")
    datasets = [datasets[i] for i in order]
    paths = [paths[i] for i in order]
    positions, distances = positions[order], distances[order]
    gaps = np.diff(distances)
    if len(gaps) and gaps.min() < 1e-2:
        k = int(np.argmin(gaps))
        raise InputError(
            paths[k + 1], f"same slice position as {paths[k].name} (duplicate slices or two series mixed in one folder)"
        )

    relative = positions - positions[0]
    in_plane = np.stack([relative @ row_dir, relative @ col_dir], axis=1)
    shift = np.linalg.norm(in_plane - np.median(in_plane, axis=0), axis=1)
    if shift.max() > MAX_SHEAR_MM:
        k = int(np.argmax(shift))
        raise InputError(paths[k], f"slice lies {shift.max():.0f} mm sideways of the others "
                                   f"(at most {MAX_SHEAR_MM:.0f} mm for a tilted head series): "
                                   "wrong ImagePositionPatient, or another series mixed in?")
    if len(gaps) and (distances[-1] - distances[0]) / float(np.median(gaps)) > MAX_RESAMPLED_FACTOR * len(gaps) + 16:
        k = int(np.argmax(gaps))
        raise InputError(paths[k + 1], f"slice lies {gaps[k]:.0f} mm from its neighbour {paths[k].name} along the "
                         f"slice normal (median gap {np.median(gaps):.2f} mm): wrong ImagePositionPatient?")

    hu_slices, padded = zip(*(_slice_hu(ds, p) for ds, p in zip(datasets, paths)))
    stack = np.stack(hu_slices)
    impossible = [p.name for p, image in zip(paths, hu_slices) if float(image.max()) > MAX_PLAUSIBLE_HU]
    if impossible:
        warnings.append(f"HU above {MAX_PLAUSIBLE_HU:.0f} (impossible for CT; wrong RescaleSlope?) in "
                        f"{len(impossible)} slice(s): {', '.join(impossible[:5])}")
    thickness = np.array([_number(ds, "SliceThickness", p, 0.0) for ds, p in zip(datasets, paths)])
    sheared = np.abs(in_plane / [d_row, d_col]).max() > SHEAR_TOLERANCE_PX if not single else False
    canvas_origin = np.zeros(2)
    tilt_tag = _number(first, "GantryDetectorTilt", paths[0], math.nan)
    shear_angle = 0.0
    if sheared:
        stack, canvas_origin = _remove_shear(stack, in_plane, (d_col, d_row))
        shear_angle = math.degrees(math.atan2(np.linalg.norm(in_plane[-1]), distances[-1] - distances[0]))
        tag = "none" if math.isnan(tilt_tag) else tilt_tag
        warnings.append(f"gantry tilt {shear_angle:.1f} degrees (tag: {tag}): slices shifted in-plane to remove the "
                        "shear; the grid keeps the tilted image planes")

    resampled = False
    if single:
        spacing = float(thickness[0] or _number(first, "SpacingBetweenSlices", paths[0], 0.0) or 1.0)
        if spacing <= 0:
            raise InputError(paths[0], f"slice thickness must be positive, got {spacing}")
    else:
        median_gap = float(np.median(gaps))
        expected = _expected_gaps(gaps, thickness)
        for gap in np.flatnonzero(gaps > MISSING_SLICE_FACTOR * expected):
            warnings.append(
                f"possible missing slices: {gaps[gap]:.2f} mm gap between {paths[gap].name} and "
                f"{paths[gap + 1].name} (expected about {expected[gap]:.2f} mm)"
            )
        if (gaps.max() - gaps.min()) > UNIFORM_GAP_TOLERANCE * median_gap:
            n_out = int(round((distances[-1] - distances[0]) / median_gap)) + 1
            stack, spacing = _resample_along_normal(stack, distances, n_out)
            resampled = True
            warnings.append(
                f"uneven slice spacing ({gaps.min():.2f} to {gaps.max():.2f} mm): resampled to a uniform "
                f"{spacing:.3f} mm along the slice normal"
            )
        else:
            spacing = float(np.mean(gaps))

    affine_lps = np.eye(4)
    affine_lps[:3, 0] = row_dir * d_row
    affine_lps[:3, 1] = col_dir * d_col
    affine_lps[:3, 2] = normal * spacing
    affine_lps[:3, 3] = positions[0] + canvas_origin[0] * row_dir + canvas_origin[1] * col_dir
    array = np.ascontiguousarray(stack.transpose(2, 1, 0))  # (K, rows, cols) -> (i, j, k)
    if not (sheared or resampled or impossible) and all(
        _number(ds, "RescaleSlope", p, 1.0).is_integer() and _number(ds, "RescaleIntercept", p, 0.0).is_integer()
        for ds, p in zip(datasets, paths)
    ):
        array = array.astype(np.int16)

    metadata = {
        "format": "dicom",
        "source": str(where),
        "files": [str(p) for p in paths],
        "series_uid": str(first.get("SeriesInstanceUID", "")),
        "series_number": first.get("SeriesNumber"),
        "series_description": str(first.get("SeriesDescription", "")),
        "study_uid": str(first.get("StudyInstanceUID", "")),
        "modality": modality,
        "manufacturer": str(first.get("Manufacturer", "")),
        "model": str(first.get("ManufacturerModelName", "")),
        "convolution_kernel": str(first.get("ConvolutionKernel", "")),
        "image_type": list(first.get("ImageType", [])),
        "gantry_tilt_tag_deg": None if math.isnan(tilt_tag) else tilt_tag,
        "shear_angle_deg": round(shear_angle, 3),
        "slice_thickness_mm": sorted({float(t) for t in thickness}),
        "source_gaps_mm": [round(float(g), 4) for g in gaps],
        "resampled_along_normal": resampled,
        "padding_voxels_set_to_air": int(sum(padded)),
        "transfer_syntax": str(first.file_meta.get("TransferSyntaxUID", "")) if hasattr(first, "file_meta") else "",
        "sop_class": CT_IMAGE_SOP_CLASSES.get(str(first.get("SOPClassUID", "")), str(first.get("SOPClassUID", ""))),
    }
    return Volume(array, LPS_TO_RAS @ affine_lps, metadata, warnings)
