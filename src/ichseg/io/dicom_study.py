"""Choose the series to segment from a DICOM study folder, and say why.

A head-CT study holds localizers, axial series with soft-tissue and bone kernels,
thin and thick reconstructions, reformats, dose reports and screenshots. The choice
keeps *original, primary, axial CT image* series, then prefers, in this order:
a soft-tissue (not bone/lung) reconstruction, slices 2-7 mm thick (the thickness
hemorrhage is read and measured at), coverage of at least 80 mm of head, and then
more slices. Series that tie on all of these cannot be told apart and the user is
asked to choose one by number or UID.
"""

from __future__ import annotations

from dataclasses import dataclass

from .dicom_files import CT_IMAGE_SOP_CLASSES, SECONDARY_CAPTURE_PREFIX, DicomSeriesInfo, FolderScan
from .errors import InputError

AXIAL_COSINE = 0.8  # |normal . z| above this is an axial-ish series (up to ~37 degrees tilt)
PREFERRED_THICKNESS_MM = (2.0, 7.0)
MIN_HEAD_COVERAGE_MM = 80.0
SHARP_KERNEL_WORDS = ("BONE", "LUNG", "SHARP", "H60", "H70", "BONEPLUS", "DETAIL", "YC", "FC30", "FC81")


@dataclass
class SeriesChoice:
    """The chosen series, why it was chosen, and why others were not."""

    series: DicomSeriesInfo
    reason: str
    rejected: dict[str, str]


def rejection_reason(series: DicomSeriesInfo, allow_non_ct: bool = False) -> str | None:
    """Why a series is not a candidate for segmentation, or None if it is one."""
    if series.modality != "CT" and not allow_non_ct:
        return f"modality {series.modality or 'missing'}"
    sop = series.first.sop_class_uid
    if sop.startswith(SECONDARY_CAPTURE_PREFIX):
        return "secondary capture (screenshot)"
    if sop not in CT_IMAGE_SOP_CLASSES and not allow_non_ct:
        return f"not a CT image object (SOP class {sop})"
    image_type = series.image_type
    if "LOCALIZER" in image_type:
        return "localizer"
    if image_type[:2] and image_type[:2] != ("ORIGINAL", "PRIMARY"):
        return f"{'/'.join(image_type[:2])} images (not ORIGINAL/PRIMARY)"
    normal = series.slice_normal
    if normal is None:
        return ("ImageOrientationPatient does not give two independent directions" if series.first.orientation
                else "no slice orientation")
    if abs(normal[2]) < AXIAL_COSINE:
        return "not axial (a reformat or a localizer)"
    if series.n_files < 2:
        return "single image"
    return None


def _is_sharp_kernel(series: DicomSeriesInfo) -> bool:
    text = f"{series.first.convolution_kernel} {series.description}".upper()
    return any(word in text for word in SHARP_KERNEL_WORDS)


def _preference(series: DicomSeriesInfo) -> tuple[bool, bool, bool]:
    thickness = series.slice_thickness or 0.0
    low, high = PREFERRED_THICKNESS_MM
    return (
        not _is_sharp_kernel(series),
        low <= thickness <= high,
        series.z_coverage_mm >= MIN_HEAD_COVERAGE_MM,
    )


def _matches(series: DicomSeriesInfo, wanted: str) -> bool:
    return wanted == series.series_uid or (series.series_number is not None and wanted == str(series.series_number))


def choose_series(scan: FolderScan, series: str | int | None = None, allow_non_ct: bool = False) -> SeriesChoice:
    """Pick the series of a folder to read.

    Args:
        scan: the folder's series (see :func:`~ichseg.io.dicom_files.scan_folder`).
        series: a SeriesNumber or SeriesInstanceUID to take instead of choosing.
        allow_non_ct: accept non-CT modalities as candidates.

    Raises:
        InputError: no image series, the requested series is absent, no candidate, or
            several candidates that cannot be told apart.
    """
    if not scan.series:
        listed = "; ".join(f"{name}: {reason}" for name, reason in list(scan.skipped.items())[:5])
        more = f"; and {len(scan.skipped) - 5} more" if len(scan.skipped) > 5 else ""
        looked = f" among {len(scan.skipped)} files ({listed}{more})" if scan.skipped else " (no files)"
        raise InputError(scan.folder, f"no DICOM image series found{looked}")
    if series is not None:
        wanted = str(series)
        hits = [s for s in scan.series if _matches(s, wanted)]
        if not hits:
            available = "; ".join(s.describe() for s in scan.series)
            raise InputError(scan.folder, f"series {wanted} not found; available: {available}")
        if len(hits) > 1:
            raise InputError(scan.folder, f"series number {wanted} is ambiguous; give the SeriesInstanceUID")
        return SeriesChoice(hits[0], f"{hits[0].describe()}: requested", {})

    rejected: dict[str, str] = {}
    candidates: list[DicomSeriesInfo] = []
    for candidate in scan.series:
        reason = rejection_reason(candidate, allow_non_ct)
        if reason:
            rejected[candidate.describe()] = reason
        else:
            candidates.append(candidate)
    if not candidates:
        if len(scan.series) == 1 and not allow_non_ct and scan.series[0].modality != "CT":
            only = scan.series[0]
            raise InputError(scan.folder, f"modality is {only.modality or 'missing'}, not CT "
                                          "(use --force to read it anyway)")
        details = "; ".join(f"{name}: {why}" for name, why in rejected.items())
        raise InputError(scan.folder, f"no axial original CT series to segment ({details})")
    if len(candidates) == 1:
        only = candidates[0]
        return SeriesChoice(only, f"{only.describe()}: the only axial original CT series", rejected)

    ranked = sorted(candidates, key=lambda s: (_preference(s), s.n_files), reverse=True)
    best, runner_up = ranked[0], ranked[1]
    if _preference(best) == _preference(runner_up) and best.n_files == runner_up.n_files:
        options = "; ".join(s.describe() + f" uid {s.series_uid}" for s in ranked)
        raise InputError(
            scan.folder,
            f"several series fit equally well, choose one by number or UID (--series): {options}",
        )
    soft, _in_range, _covered = _preference(best)
    why = [
        "soft-tissue kernel" if soft else "no soft-tissue series",
        f"{best.slice_thickness:g} mm slices" if best.slice_thickness else "unknown thickness",
        f"{best.z_coverage_mm:.0f} mm coverage",
    ]
    for other in ranked[1:]:
        rejected[other.describe()] = "ranked lower than the chosen series"
    reason = f"{best.describe()}: best of {len(candidates)} axial CT series ({', '.join(why)})"
    return SeriesChoice(best, reason, rejected)
