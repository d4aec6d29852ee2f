"""Find DICOM files in a folder and group them into series (headers only, no pixels)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError

from .errors import InputError

# Media Storage Directory (DICOMDIR and vendor index files such as Philips' DIRFILE).
DIRECTORY_SOP_CLASS = "1.2.840.10008.1.3.10"
CT_IMAGE_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.2": "CT Image Storage",
    "1.2.840.10008.5.1.4.1.1.2.1": "Enhanced CT Image Storage",
    "1.2.840.10008.5.1.4.1.1.2.2": "Legacy Converted Enhanced CT Image Storage",
}
SECONDARY_CAPTURE_PREFIX = "1.2.840.10008.5.1.4.1.1.7"


@dataclass
class DicomFileHeader:
    """What one file's header says, enough to group, rank and sort slices."""

    path: Path
    sop_class_uid: str
    series_uid: str
    series_number: int | None
    series_description: str
    modality: str
    image_type: tuple[str, ...]
    rows: int | None
    columns: int | None
    orientation: tuple[float, ...] | None
    position: tuple[float, ...] | None
    slice_thickness: float | None
    convolution_kernel: str
    has_pixels: bool


@dataclass
class DicomSeriesInfo:
    """One series found in a folder, with the facts used to choose among series."""

    series_uid: str
    files: list[DicomFileHeader] = field(default_factory=list)

    @property
    def first(self) -> DicomFileHeader:
        return self.files[0]

    @property
    def series_number(self) -> int | None:
        return self.first.series_number

    @property
    def description(self) -> str:
        return self.first.series_description

    @property
    def modality(self) -> str:
        return self.first.modality

    @property
    def image_type(self) -> tuple[str, ...]:
        return self.first.image_type

    @property
    def n_files(self) -> int:
        return len(self.files)

    @property
    def slice_thickness(self) -> float | None:
        values = [f.slice_thickness for f in self.files if f.slice_thickness]
        return float(np.median(values)) if values else None

    @property
    def slice_normal(self) -> np.ndarray | None:
        """Unit normal of the image planes (LPS), or None without orientation."""
        if not self.first.orientation:
            return None
        row, col = np.array(self.first.orientation[:3]), np.array(self.first.orientation[3:])
        normal = np.cross(row, col)
        length = np.linalg.norm(normal)
        return normal / length if length > 1e-6 else None  # a degenerate orientation: the reader refuses it

    @property
    def z_coverage_mm(self) -> float:
        """Extent of the slice positions along the slice normal."""
        normal = self.slice_normal
        positions = [f.position for f in self.files if f.position]
        if normal is None or len(positions) < 2:
            return 0.0
        distances = np.asarray(positions) @ normal
        return float(distances.max() - distances.min())

    def describe(self) -> str:
        thickness = f"{self.slice_thickness:g} mm" if self.slice_thickness else "? mm"
        return (
            f"series {self.series_number} '{self.description}' ({self.modality}, "
            f"{'/'.join(self.image_type)}, {self.n_files} files, {thickness})"
        )


def read_header(path: Path) -> DicomFileHeader | None:
    """Read one file's DICOM header; None when the file is not DICOM at all.

    Raises:
        InputError: the file starts like DICOM but its header cannot be parsed.
    """
    try:
        dataset = pydicom.dcmread(path, stop_before_pixels=True)
    except InvalidDicomError:
        return None
    except Exception as error:
        raise InputError(path, f"corrupt DICOM header ({type(error).__name__}: {error})") from error
    meta = getattr(dataset, "file_meta", None)
    meta_class = str(meta.get("MediaStorageSOPClassUID", "")) if meta else ""
    sop_class = str(dataset.get("SOPClassUID", "") or meta_class)
    if meta_class and meta_class != DIRECTORY_SOP_CLASS and str(dataset.get("SOPClassUID", "")) != meta_class:
        # The file meta survived but the data set after it did not parse into the same object.
        raise InputError(path, f"corrupt DICOM: the file meta says SOP class {meta_class}, the data set does not")
    orientation = dataset.get("ImageOrientationPatient")
    position = dataset.get("ImagePositionPatient")
    series_number = dataset.get("SeriesNumber")
    thickness = dataset.get("SliceThickness")
    kernel = dataset.get("ConvolutionKernel", "")
    # A file read with stop_before_pixels still tells whether pixel data follows:
    # PixelData is a top-level element, and Rows is required wherever it is present.
    return DicomFileHeader(
        path=path,
        sop_class_uid=sop_class,
        series_uid=str(dataset.get("SeriesInstanceUID", "")),
        series_number=int(series_number) if series_number not in (None, "") else None,
        series_description=str(dataset.get("SeriesDescription", "")),
        modality=str(dataset.get("Modality", "")),
        image_type=tuple(str(v).upper() for v in (dataset.get("ImageType") or ())),
        rows=int(dataset.Rows) if "Rows" in dataset else None,
        columns=int(dataset.Columns) if "Columns" in dataset else None,
        orientation=tuple(float(v) for v in orientation) if orientation else None,
        position=tuple(float(v) for v in position) if position else None,
        slice_thickness=float(thickness) if thickness not in (None, "") else None,
        convolution_kernel=("\\".join(kernel) if isinstance(kernel, (list, pydicom.multival.MultiValue))
                            else str(kernel)),
        has_pixels="Rows" in dataset,
    )


@dataclass
class FolderScan:
    """The DICOM content of a folder: image series plus what was passed over and why."""

    folder: Path
    series: list[DicomSeriesInfo]
    skipped: dict[str, str]


def scan_folder(folder: str | Path) -> FolderScan:
    """Read the headers of every file below ``folder`` and group images by series.

    Index files (DICOMDIR, vendor DIRFILEs), non-DICOM files and DICOM objects without
    pixel data (dose reports, structured reports) are listed in ``skipped`` with a reason.

    Raises:
        InputError: the folder does not exist.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "folder not found")
    by_series: dict[str, DicomSeriesInfo] = {}
    skipped: dict[str, str] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.name.startswith("."):
            continue
        header = read_header(path)
        relative = str(path.relative_to(folder))
        if header is None:
            skipped[relative] = "not a DICOM file"
        elif header.sop_class_uid == DIRECTORY_SOP_CLASS:
            skipped[relative] = "DICOM directory index"
        elif not header.has_pixels:
            skipped[relative] = f"no image data ({header.modality or 'unknown'} object)"
        else:
            key = header.series_uid or f"no-uid:{path.parent}"
            by_series.setdefault(key, DicomSeriesInfo(key)).files.append(header)
    return FolderScan(folder, list(by_series.values()), skipped)
