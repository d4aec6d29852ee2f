"""``read_volume``: one entry point that recognises what an input path holds."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .dicom_files import read_header, scan_folder
from .dicom_series import read_dicom_series
from .dicom_study import choose_series
from .errors import InputError
from .nifti import is_nifti_path, read_nifti
from .numpy_arrays import NUMPY_SUFFIXES, read_numpy
from .slice_stack import IMAGE_SUFFIXES, read_slice_stack
from .volume import Volume


def read_volume(
    path: str | Path,
    *,
    series: str | int | None = None,
    allow_non_ct: bool = False,
    window: Sequence[float] | None = None,
    spacing: Sequence[float] | None = None,
    reverse: bool = False,
) -> Volume:
    """Read a head CT from a NIfTI file, a DICOM file, series or study folder, a folder
    of 2D slice images, or a NumPy file.

    Args:
        path: the input.
        series: for DICOM folders, the SeriesNumber or SeriesInstanceUID to read instead
            of the automatic choice.
        allow_non_ct: read a non-CT DICOM modality instead of refusing it.
        window: (center, width) for 2D slice images.
        spacing: (x, y, z) mm for 2D slice images and NumPy arrays.
        reverse: 2D slice files run superior to inferior.

    Returns:
        The Volume. For DICOM folders ``metadata['series_choice']`` says which series was
        read and why, ``metadata['rejected_series']`` why others were not, and
        ``metadata['skipped_files']`` which files were passed over.

    Raises:
        InputError: naming the file or folder and the problem.

    Example:
        >>> from ichseg.resources import example_path
        >>> volume = read_volume(example_path("ge_head_ct"))
        >>> volume.metadata["manufacturer"]
        'GE MEDICAL SYSTEMS'
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file or folder")
    if path.is_dir():
        return _read_folder(path, series=series, allow_non_ct=allow_non_ct, window=window, spacing=spacing,
                            reverse=reverse)
    name = path.name.lower()
    if is_nifti_path(name):
        return read_nifti(path)
    if name.endswith(NUMPY_SUFFIXES):
        return read_numpy(path, spacing=spacing)
    if name.endswith(IMAGE_SUFFIXES):
        return read_slice_stack(path, window=window, spacing=spacing)
    if path.stat().st_size == 0:
        raise InputError(path, "empty file")
    header = read_header(path)
    if header is None:
        raise InputError(path, "not a recognised image format (NIfTI, DICOM, PNG/JPG, NumPy)")
    if not header.has_pixels:
        raise InputError(path, f"DICOM object without image data ({header.modality or 'unknown'})")
    return read_dicom_series([path], allow_non_ct=allow_non_ct)


def _read_folder(path: Path, **options) -> Volume:
    scan = scan_folder(path)
    if not scan.series:
        images = [p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
        if images:
            return read_slice_stack(path, window=options["window"], spacing=options["spacing"],
                                    reverse=options["reverse"])
        if not any(path.iterdir()):
            raise InputError(path, "empty folder")
    choice = choose_series(scan, series=options["series"], allow_non_ct=options["allow_non_ct"])
    volume = read_dicom_series(choice.series.files, allow_non_ct=options["allow_non_ct"], name=str(path))
    volume.metadata["series_choice"] = choice.reason
    volume.metadata["rejected_series"] = choice.rejected
    volume.metadata["skipped_files"] = scan.skipped
    return volume
