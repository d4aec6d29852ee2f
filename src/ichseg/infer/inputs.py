"""What ``ichseg predict -i IN`` means by IN: the cases to segment and their names.

- a NIfTI / NumPy / DICOM / image file: one case named by the file without extensions;
- a ``.csv`` file: one case per row, columns ``path`` (relative to the CSV's folder or
  absolute) and optional ``case``;
- a DICOM series or study folder: one case named by the folder (one study: all DICOM
  files below it share a StudyInstanceUID);
- a folder of inputs: every NIfTI/NumPy file and every sub-folder is a case (sub-folders
  of several studies are taken one by one). When every file's name ends in nnU-Net's
  channel suffix ``_0000`` (a dataset's ``imagesTr``), the suffix is not part of the case
  name, so predictions are named as the dataset's ``labelsTr`` files.

A case whose name is unsafe for an output folder (see :mod:`ichseg.io.case_names`) or
whose sub-folder is a symbolic link back into the folder being listed is kept as a case
with an ``error``: it is reported in the run's summary and never read or written, and
the other cases go on. Blank CSV rows are skipped.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pydicom

from ..data.dataset_format import CHANNEL_SUFFIX
from ..io import InputError
from ..io.case_names import case_name_problem
from ..io.nifti import is_nifti_path
from ..io.numpy_arrays import NUMPY_SUFFIXES

CASE_FILE_SUFFIXES = (".nii", ".nii.gz", *NUMPY_SUFFIXES)


@dataclass(frozen=True)
class CaseInput:
    """One case to segment; ``error`` says why it cannot be (it is then only reported)."""

    case: str
    path: Path
    error: str = ""


def _case(name: str, path: Path, source: Path) -> CaseInput:
    problem = case_name_problem(name)
    return CaseInput(name, path, f"{source}: unusable case name: {problem}" if problem else "")


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


def _without_channel_suffix(names: list[str]) -> list[str]:
    """nnU-Net's image names (``case_0000``) without the channel suffix, when every file in
    the folder carries it, so that predictions match ``labelsTr/case.nii.gz``.

    Example:
        >>> _without_channel_suffix(["a_0000", "b_0000"]), _without_channel_suffix(["a_0000", "scan"])
        (['a', 'b'], ['a_0000', 'scan'])
    """
    if names and all(name.endswith(CHANNEL_SUFFIX) and len(name) > len(CHANNEL_SUFFIX) for name in names):
        stripped = [name[: -len(CHANNEL_SUFFIX)] for name in names]
        if len(set(stripped)) == len(stripped):
            return stripped
    return names


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
    try:
        with open(path, newline="", encoding="utf-8-sig") as stream:
            rows = list(csv.DictReader(stream))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise InputError(path, f"cannot read the CSV list ({error})") from None
    rows = [row for row in rows if any((value or "").strip() for value in row.values() if isinstance(value, str))]
    if not rows or "path" not in rows[0]:
        raise InputError(path, "a CSV list needs a 'path' column (and optionally 'case') and at least one row")
    cases = []
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        target = Path((row["path"] or "").strip())
        target = target if target.is_absolute() else path.parent / target
        name = (row.get("case") or "").strip() or case_name(target)
        cases.append(_case(name, target, Path(f"{path}, row {number}")))
    return cases


def _loops_back(folder: Path, root: Path) -> bool:
    """A symbolic link to ``root`` or a folder above it (following it would list the tree again)."""
    if not folder.is_symlink():
        return False
    target, root = folder.resolve(), root.resolve()
    return target == root or target in root.parents


def list_case_inputs(path: str | Path) -> list[CaseInput]:
    """The cases of an input path (see the module docstring).

    Raises:
        InputError: the path does not exist, or a folder holds nothing to segment.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file or folder")
    if path.is_file():
        return _read_csv(path) if path.suffix.lower() == ".csv" else [_case(case_name(path), path, path)]
    entries = sorted(p for p in path.iterdir() if not p.name.startswith("."))
    files = [p for p in entries if p.is_file()]
    case_files = [p for p in files if is_nifti_path(p.name.lower()) or p.name.lower().endswith(NUMPY_SUFFIXES)]
    loops = [p for p in entries if p.is_dir() and _loops_back(p, path)]
    looped = [CaseInput(case_name(p), p, f"{p}: symbolic link to a folder that contains it; not followed")
              for p in loops]
    folders = [p for p in entries if p.is_dir() and p not in loops]
    if case_files:
        names = _without_channel_suffix([case_name(p) for p in case_files])
        return ([_case(name, p, p) for name, p in zip(names, case_files)]
                + [_case(case_name(p), p, p) for p in folders] + looped)
    documents = [p for p in files if p.suffix.lower() in (".txt", ".md", ".csv", ".json")
                 or p.name.upper().startswith(("LICENSE", "README"))]
    if len(files) > len(documents) or not folders:
        return [_case(case_name(path), path, path)]  # DICOM (or image) files here: one series or study
    studies = {_study_uid(folder) for folder in folders}
    if len(studies) == 1 and None not in studies:
        return [_case(case_name(path), path, path)]  # one study in sub-folders
    cases = [_case(case_name(folder), folder, folder) for folder in folders] + looped
    if not cases:
        raise InputError(path, "nothing to segment (no NIfTI, NumPy or DICOM inputs)")
    return cases
