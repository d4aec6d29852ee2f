"""What ``ichseg predict -i IN`` means by IN: the cases to segment and their names.

- a NIfTI / NumPy / DICOM / image file: one case named by the file without extensions;
- a ``.csv`` file: one case per row, columns ``path`` (relative to the CSV's folder or
  absolute) and optional ``case``;
- a DICOM series or study folder: one case named by the folder (one study: all DICOM
  files below it share a StudyInstanceUID);
- a folder of inputs: every NIfTI/NumPy file and every sub-folder is a case (sub-folders
  of several studies are taken one by one).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pydicom

from ..io import InputError
from ..io.nifti import is_nifti_path
from ..io.numpy_arrays import NUMPY_SUFFIXES

CASE_FILE_SUFFIXES = (".nii", ".nii.gz", *NUMPY_SUFFIXES)


@dataclass(frozen=True)
class CaseInput:
    case: str
    path: Path


def case_name(path: Path) -> str:
    """The input's own name: ``scan_01.nii.gz`` -> ``scan_01``, a folder -> its name.

    Example:
        >>> case_name(Path("/data/scan_01.nii.gz")), case_name(Path("/data/CT_series"))
        ('scan_01', 'CT_series')
    """
    name = path.name
    for suffix in (".nii.gz", ".nii", ".npz", ".npy", ".dcm", ".png", ".jpg", ".jpeg"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _study_uid(folder: Path) -> str | None:
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        try:
            dataset = pydicom.dcmread(str(path), stop_before_pixels=True, specific_tags=["StudyInstanceUID"])
        except Exception:  # noqa: BLE001  (not DICOM: keep looking)
            continue
        if "StudyInstanceUID" in dataset:
            return str(dataset.StudyInstanceUID)
    return None


def _read_csv(path: Path) -> list[CaseInput]:
    with open(path, newline="") as stream:
        rows = list(csv.DictReader(stream))
    if not rows or "path" not in rows[0]:
        raise InputError(path, "a CSV list needs a 'path' column (and optionally 'case')")
    cases = []
    for row in rows:
        target = Path(row["path"])
        target = target if target.is_absolute() else path.parent / target
        cases.append(CaseInput(row.get("case") or case_name(target), target))
    return cases


def list_case_inputs(path: str | Path) -> list[CaseInput]:
    """The cases of an input path (see the module docstring).

    Raises:
        InputError: the path does not exist, or a folder holds nothing to segment.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file or folder")
    if path.is_file():
        return _read_csv(path) if path.suffix.lower() == ".csv" else [CaseInput(case_name(path), path)]
    entries = sorted(p for p in path.iterdir() if not p.name.startswith("."))
    files = [p for p in entries if p.is_file()]
    case_files = [p for p in files if is_nifti_path(p.name.lower()) or p.name.lower().endswith(NUMPY_SUFFIXES)]
    folders = [p for p in entries if p.is_dir()]
    if case_files:
        return [CaseInput(case_name(p), p) for p in case_files + folders]
    documents = [p for p in files if p.suffix.lower() in (".txt", ".md", ".csv", ".json")
                 or p.name.upper().startswith(("LICENSE", "README"))]
    if len(files) > len(documents) or not folders:
        return [CaseInput(case_name(path), path)]  # DICOM (or image) files here: one series or study
    studies = {_study_uid(folder) for folder in folders}
    if len(studies) == 1 and None not in studies:
        return [CaseInput(case_name(path), path)]  # one study in sub-folders
    cases = [CaseInput(case_name(folder), folder) for folder in folders]
    if not cases:
        raise InputError(path, "nothing to segment (no NIfTI, NumPy or DICOM inputs)")
    return cases
