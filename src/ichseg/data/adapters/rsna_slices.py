"""RSNA-2019 slice DICOMs (``ID_<image>.dcm``, one file per slice) rebuilt into series, and
the challenge's per-slice type labels (``stage_2_train.csv``: ``ID_<image>_<type>,0/1``)."""

from __future__ import annotations

import csv
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ...io import InputError, Volume
from ...io.dicom_files import DicomFileHeader, read_header

RSNA_TYPES = {"intraparenchymal": "IPH", "intraventricular": "IVH", "subarachnoid": "SAH", "subdural": "SDH",
              "epidural": "EDH", "any": "any"}


@contextmanager
def rsna_uids_tolerated() -> Iterator[None]:
    """RSNA-2019 replaced every UID by ``ID_<hex>``, which pydicom flags on each read: the
    release is like that throughout, so the per-file warning says nothing to the user."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Invalid value for VR UI", category=UserWarning)
        yield


def slice_path(folder: Path, slice_id: str) -> Path:
    """The file of one RSNA slice; release lists name it with or without ``ID_``."""
    stem = slice_id if slice_id.startswith("ID_") else f"ID_{slice_id}"
    return folder / f"{stem}.dcm"


def read_type_labels(path: Path) -> dict[str, dict[str, int]]:
    """Image id (``ID_xxxxxxxxx``) -> {IPH, IVH, SAH, SDH, EDH, any: 0/1}.

    Raises:
        InputError: not the challenge's ``ID,Label`` table.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> table = Path(tempfile.mkdtemp()) / "stage_2_train.csv"
        >>> _ = table.write_text("ID,Label\\nID_abc_epidural,1\\nID_abc_any,1\\n")
        >>> read_type_labels(table)["ID_abc"]
        {'EDH': 1, 'any': 1}
    """
    labels: dict[str, dict[str, int]] = {}
    with open(path, newline="", encoding="utf-8-sig") as stream:
        reader = csv.reader(stream)
        header = next(reader, None)
        if header is None or [h.strip() for h in header[:2]] != ["ID", "Label"]:
            raise InputError(path, "not the RSNA-2019 label table (expected the header ID,Label)")
        for line, row in enumerate(reader, 2):
            if len(row) < 2:
                continue
            image, _, kind = row[0].rpartition("_")
            if kind not in RSNA_TYPES or not image:
                raise InputError(path, f"line {line}: {row[0]!r} is not ID_<image>_<type>")
            try:
                value = int(float(row[1]))
            except ValueError:
                raise InputError(path, f"line {line}: label {row[1]!r} is not 0 or 1") from None
            flags = labels.setdefault(image, {})
            flags[RSNA_TYPES[kind]] = max(flags.get(RSNA_TYPES[kind], 0), value)  # the table repeats some rows
    return labels


def source_slice_of_each_slice(volume: Volume) -> list[int]:
    """For each slice of a DICOM-read volume, the index (into ``metadata['files']``) of the
    source slice it came from: itself, or the nearest one where the reader resampled
    uneven gaps."""
    files = volume.metadata.get("files", [])
    if not volume.metadata.get("resampled_along_normal"):
        return list(range(len(files)))
    source = np.concatenate([[0.0], np.cumsum(volume.metadata["source_gaps_mm"])])
    target = np.arange(volume.shape[2]) * volume.spacing[2]
    return [int(np.argmin(np.abs(source - t))) for t in target]


def slice_labels_of(volume: Volume, labels: dict[str, dict[str, int]]) -> list[dict[str, int]]:
    """The type labels of every slice of ``volume`` (empty where the table has none)."""
    files = [Path(p).stem for p in volume.metadata.get("files", [])]
    return [labels.get(files[i], {}) for i in source_slice_of_each_slice(volume)]


def group_by_series(folder: Path, progress=None) -> dict[str, list[DicomFileHeader]]:
    """Every slice file of ``folder`` by SeriesInstanceUID (headers only, one pass)."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".dcm")
    if not files:
        raise InputError(folder, "no ID_<image>.dcm slice files")
    series: dict[str, list[DicomFileHeader]] = {}
    for k, path in enumerate(files, 1):
        header = read_header(path)
        if header is not None and header.has_pixels:
            series.setdefault(header.series_uid or f"no-uid:{path.name}", []).append(header)
        if progress and (k % 1000 == 0 or k == len(files)):
            progress(k, len(files), "headers read")
    return series
