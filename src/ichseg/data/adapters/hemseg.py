"""HemSeg-200 / HemSeg-500 (Song et al. 2024): label volumes drawn on RSNA-2019 scans.

The release gives the labels (``IPH_IVH_label.zip`` / ``HemSeg-500.zip``, or the folders
they hold: ``<name>/{train,val,test}/label/<scan>.nii.gz``, binary) and a slice list
(``annotion_file_info.jsonl``: per line the patient, the scan and the RSNA slice ids it
was built from). The images are RSNA-2019 slices the user downloads: each scan's series is
rebuilt from exactly the slices the list names, and the image is put on the grid the
labels were drawn on (the release's SimpleITK volume). Each scan is IPH or IVH, but which
is not in the files: the ``binary`` task. The release's train/val/test split is kept.
"""

from __future__ import annotations

import gzip
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np

from ...io import InputError, Volume, read_nifti
from ...io.dicom_series import read_dicom_series
from . import ADAPTERS
from .alignment import image_on_label_grid, remap_labels
from .common import Progress, report_progress
from .rsna_slices import read_type_labels, rsna_uids_tolerated, slice_labels_of, slice_path
from .writer import ConversionWriter

LABEL_MEMBER = re.compile(r"(?:^|/)(train|val|test)/label/([^/]+)\.nii(?:\.gz)?$")


@dataclass(frozen=True)
class HemSegLabel:
    """One label volume of the release: its scan id, split, and where it lies."""

    scan: str
    split: str
    archive: Path
    member: str  # a path inside the zip, or "" when ``archive`` is the file itself

    def read(self) -> Volume:
        """The label volume (with its own affine)."""
        if not self.member:
            return read_nifti(self.archive, nan_as_air=False)
        with zipfile.ZipFile(self.archive) as archive:
            data = archive.read(self.member)
        try:
            image = nib.Nifti1Image.from_bytes(gzip.decompress(data) if self.member.endswith(".gz") else data)
        except Exception as error:  # nibabel raises many types for broken files
            raise InputError(f"{self.archive}:{self.member}", f"cannot read NIfTI ({type(error).__name__})") from error
        return Volume(np.asarray(image.dataobj), image.affine)


def hemseg_labels(labels: Path) -> list[HemSegLabel]:
    """Every label volume of a HemSeg zip or extracted folder, sorted by split then scan.

    Raises:
        InputError: neither a zip nor a folder holding ``{train,val,test}/label/*.nii.gz``.
    """
    found: list[HemSegLabel] = []
    if labels.is_file():
        try:
            with zipfile.ZipFile(labels) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            raise InputError(labels, "not a zip file (expected the release's IPH_IVH_label.zip or "
                                     "HemSeg-500.zip)") from None
        for name in names:
            match = LABEL_MEMBER.search(name)
            if match:
                found.append(HemSegLabel(match.group(2), match.group(1), labels, name))
    elif labels.is_dir():
        for path in sorted(labels.rglob("*.nii*")):
            match = LABEL_MEMBER.search(path.relative_to(labels).as_posix())
            if match:
                found.append(HemSegLabel(match.group(2), match.group(1), path, ""))
    if not found:
        raise InputError(labels, "no label volumes under {train,val,test}/label/ (the HemSeg release layout)")
    order = {"train": 0, "val": 1, "test": 2}
    return sorted(found, key=lambda label: (order[label.split], label.scan))


def read_slice_list(path: Path) -> dict[str, list[str]]:
    """Scan id -> its RSNA slice ids, from the release's ``annotion_file_info*.jsonl``."""
    scans: dict[str, list[str]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise InputError(path, f"cannot read the slice list ({error.strerror})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            scan = str(entry.get("scan_", entry.get("scan")))
            scans[scan.removeprefix("ID_")] = [str(s) for s in entry["slice_list"]]
        except (ValueError, KeyError, AttributeError, TypeError):
            raise InputError(path, f"line {number}: not a {{scan_, slice_list}} record of the HemSeg "
                                   "slice list") from None
    return scans


@ADAPTERS.register("hemseg", description="HemSeg-200/500 labels (--labels ZIP|DIR, --slice-list JSONL) + the RSNA-2019 "
                                         "slices they were drawn on (SRC) -> binary task, release split kept")
def convert_hemseg(source: Path, destination: Path, *, progress: Progress = None, labels: Path | None = None,
                   slice_list: Path | None = None, rsna_labels: Path | None = None, **_options) -> dict:
    if labels is None or slice_list is None:
        raise InputError(source, "hemseg needs --labels (the release's zip or folder) and --slice-list "
                                 "(annotion_file_info.jsonl); SRC is the folder of RSNA-2019 ID_*.dcm slices")
    volumes = hemseg_labels(Path(labels))
    scans = read_slice_list(Path(slice_list))
    types = read_type_labels(Path(rsna_labels)) if rsna_labels else None
    writer = ConversionWriter(destination, "hemseg", source, task="binary", label_map={"0": 0, "1": 1},
                              name=Path(labels).stem)
    for label in report_progress(progress, volumes, len(volumes), lambda v: v.scan):
        case = f"hemseg_{label.scan}"
        if writer.done(case):
            continue
        where = f"{label.archive.name}:{label.member}" if label.member else str(label.archive)
        if label.scan not in scans:
            writer.skip(where, f"scan {label.scan} is not in the slice list {Path(slice_list).name}")
            continue
        files = [slice_path(source, s) for s in scans[label.scan]]
        missing = [f for f in files if not f.exists()]
        if missing:
            writer.skip(where, f"{len(missing)} of {len(files)} RSNA slices not in {source} (first: {missing[0].name})")
            continue
        try:
            with rsna_uids_tolerated():
                image = read_dicom_series(files, name=f"scan {label.scan}")
            mask = label.read()
        except InputError as error:
            writer.skip(error.path, error.reason)
            continue
        values, why = remap_labels(mask.array, {0: 0, 1: 1, 255: 1})
        if values is None:
            writer.skip(where, why)
            continue
        on_grid, note = image_on_label_grid(image, mask)
        writer.add_labelled(case, on_grid, on_grid.with_array(values), source=where, split=label.split,
                            notes=[n for n in (note, *image.warnings) if n])
        if types is not None and on_grid.shape[2] == image.shape[2] and "resampled" not in note:
            rows = slice_labels_of(image, types)
            writer.add_slice_labels(case, rows if _same_order(image, on_grid) else rows[::-1])
    return writer.finish(description="HemSeg labels on RSNA-2019 scans (IPH or IVH per scan), binary masks",
                         cases_found=len(volumes))


def _same_order(image: Volume, on_grid: Volume) -> bool:
    """Whether the slice axis of ``on_grid`` runs the same way as the series read from DICOM."""
    return float(image.affine[:3, 2] @ on_grid.affine[:3, 2]) > 0
