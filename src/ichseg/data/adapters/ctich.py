"""PhysioNet CT-ICH (Hssayeni et al., 1.3.1 NIfTI release and the earlier JPG slice release).

NIfTI release: ``ct_scans/NNN.nii``, ``masks/NNN.nii`` (binary, on the scan's grid) and
``hemorrhage_diagnosis_raw_ct.csv`` (``PatientNumber, SliceNumber`` from 1, one 0/1
column per type, ``No_Hemorrhage``, ``Fracture_Yes_No``). JPG release:
``Patients_CT/NNN/brain/K.jpg`` (brain window L40 W120, the window the release states),
``K_HGE_Seg.jpg`` beside the slices with blood, and ``hemorrhage_diagnosis.csv``. The masks
do not say which type the blood is, so both become the ``binary`` task (any hemorrhage =
1); the per-slice type flags become ``slice_labels.csv`` (weak labels per type).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
from PIL import Image

from ...io import InputError, Volume, read_nifti
from ...io.slice_stack import natural_key, read_slice_stack
from . import ADAPTERS
from .alignment import labels_on_image_grid, remap_labels
from .common import Progress, nifti_files, nifti_stem, report_progress
from .writer import ConversionWriter

# The release's columns -> ichseg's class names.
TYPE_COLUMNS = {"Intraparenchymal": "IPH", "Intraventricular": "IVH", "Subarachnoid": "SAH",
                "Subdural": "SDH", "Epidural": "EDH"}
MASK_VALUES = {0: 0, 1: 1, 255: 1}  # masks are 0/1; some tools save them as 0/255
JPG_WINDOW = (40.0, 120.0)  # the brain window the JPG release was exported with


def read_slice_table(path: Path) -> dict[int, dict[int, dict[str, int]]]:
    """Patient number -> slice index from 0 -> {class name: 0/1, 'any': 0/1}.

    Raises:
        InputError: the table lacks the release's columns.
    """
    with open(path, newline="", encoding="utf-8-sig") as stream:
        reader = csv.DictReader(stream)
        needed = {"PatientNumber", "SliceNumber", *TYPE_COLUMNS}
        missing = sorted(needed - set(reader.fieldnames or ()))
        if missing:
            raise InputError(path, f"not the CT-ICH slice table: no column(s) {', '.join(missing)}")
        table: dict[int, dict[int, dict[str, int]]] = {}
        for line, row in enumerate(reader, 2):
            try:
                patient, number = int(row["PatientNumber"]), int(row["SliceNumber"])
                flags = {name: int(float(row[column])) for column, name in TYPE_COLUMNS.items()}
            except ValueError:
                raise InputError(path, f"line {line}: PatientNumber, SliceNumber and the type columns must be "
                                       "numbers") from None
            flags["any"] = int(any(flags.values()))
            table.setdefault(patient, {})[number - 1] = flags
    return table


def _slice_rows(table, patient: int, n_slices: int) -> tuple[list[dict], list[str]]:
    known = table.get(patient, {})
    notes = []
    if len(known) != n_slices:
        notes.append(f"slice table lists {len(known)} slices, the scan has {n_slices}")
    return [known.get(k, {}) for k in range(n_slices)], notes


@ADAPTERS.register("ctich", description="PhysioNet CT-ICH 1.3.1 (ct_scans/, masks/) or its JPG slice release "
                                        "(Patients_CT/) -> binary task + per-type slice labels")
def convert_ctich(source: Path, destination: Path, *, progress: Progress = None,
                  spacing: tuple[float, float, float] | None = None, reverse: bool = False, **_options) -> dict:
    if (source / "ct_scans").is_dir():
        return _convert_nifti_release(source, destination, progress)
    if (source / "Patients_CT").is_dir():
        return _convert_jpg_release(source, destination, progress, spacing, reverse)
    raise InputError(source, "not a CT-ICH release: expected ct_scans/ + masks/ + hemorrhage_diagnosis_raw_ct.csv "
                             "(1.3.1) or Patients_CT/NNN/brain/*.jpg + hemorrhage_diagnosis.csv (JPG release)")


def _convert_nifti_release(source: Path, destination: Path, progress: Progress) -> dict:
    table_path = source / "hemorrhage_diagnosis_raw_ct.csv"
    if not (source / "masks").is_dir():
        raise InputError(source, "CT-ICH release without masks/ (expected masks/NNN.nii beside ct_scans/)")
    table = read_slice_table(table_path) if table_path.exists() else {}
    writer = ConversionWriter(destination, "ctich", source, task="binary", label_map={"0": 0, "1": 1, "255": 1},
                              name="ctich")
    scans = nifti_files(source / "ct_scans")
    if not scans:
        raise InputError(source / "ct_scans", "no NIfTI scans (expected NNN.nii)")
    for scan in report_progress(progress, scans, len(scans), nifti_stem):
        stem = nifti_stem(scan)
        case = f"ctich_{stem}"
        if writer.done(case):
            continue
        masks = [p for p in (source / "masks" / scan.name, source / "masks" / f"{stem}.nii.gz") if p.exists()]
        if not masks:
            writer.skip(scan, f"no mask masks/{scan.name}")
            continue
        try:
            image, mask = read_nifti(scan), read_nifti(masks[0], nan_as_air=False)
        except InputError as error:
            writer.skip(error.path, error.reason)
            continue
        values, why = remap_labels(np.asarray(mask.array), MASK_VALUES)
        aligned, note = labels_on_image_grid(mask.with_array(values), image) if values is not None else (None, why)
        if aligned is None:
            writer.skip(masks[0], note)
            continue
        rows, notes = _slice_rows(table, int(stem), image.shape[2]) if stem.isdigit() else ([], [])
        writer.add_labelled(case, image, aligned, source=scan.relative_to(source),
                            notes=[n for n in (note, *notes) if n])
        if table:
            writer.add_slice_labels(case, rows)
    return writer.finish(description="PhysioNet CT-ICH 1.3.1 (Hssayeni et al.), binary hemorrhage masks",
                         cases_found=len(scans))


def _convert_jpg_release(source: Path, destination: Path, progress: Progress,
                         spacing: tuple[float, float, float] | None, reverse: bool) -> dict:
    if spacing is None:
        raise InputError(source, "the CT-ICH JPG release holds no voxel size: pass --spacing X,Y,Z (mm)")
    table_path = source / "hemorrhage_diagnosis.csv"
    table = read_slice_table(table_path) if table_path.exists() else {}
    writer = ConversionWriter(destination, "ctich", source, task="binary", label_map={"mask > 127": 1},
                              name="ctich_jpg")
    patients = sorted((p for p in (source / "Patients_CT").iterdir() if (p / "brain").is_dir()), key=natural_key)
    if not patients:
        raise InputError(source / "Patients_CT", "no NNN/brain/ folders of JPG slices")
    for folder in report_progress(progress, patients, len(patients), lambda p: p.name):
        case = f"ctich_{folder.name}"
        if writer.done(case):
            continue
        slices = sorted((p for p in (folder / "brain").iterdir()
                         if p.suffix.lower() in (".jpg", ".jpeg") and re.fullmatch(r"\d+", p.stem)), key=natural_key)
        if not slices:
            writer.skip(folder, "no K.jpg slices in brain/")
            continue
        if reverse:
            slices = slices[::-1]
        try:
            image = read_slice_stack(slices, window=JPG_WINDOW, spacing=spacing)
            labels = _jpg_masks(slices, image)
        except InputError as error:
            writer.skip(error.path, error.reason)
            continue
        # the slice table numbers slices as the file names do (K.jpg is SliceNumber K)
        known = table.get(int(folder.name), {}) if folder.name.isdigit() else {}
        writer.add_labelled(case, image, labels, source=folder.relative_to(source),
                            notes=[f"approximate HU from 8-bit JPG slices in window {JPG_WINDOW[0]:g}/"
                                   f"{JPG_WINDOW[1]:g}"])
        if table:
            writer.add_slice_labels(case, [known.get(int(p.stem) - 1, {}) for p in slices])
    return writer.finish(description="PhysioNet CT-ICH JPG slice release (brain window L40 W120), binary masks",
                         cases_found=len(patients), extra={"window": list(JPG_WINDOW)})


def _jpg_masks(slices: list[Path], image: Volume) -> Volume:
    """``K_HGE_Seg.jpg`` beside ``K.jpg`` (absent: no blood on that slice), on the image's grid."""
    rows, columns = image.shape[1], image.shape[0]
    masks = []
    for path in slices:
        seg = path.with_name(f"{path.stem}_HGE_Seg{path.suffix}")
        if seg.exists():
            with Image.open(seg) as picture:
                grey = np.asarray(picture.convert("L"))
            if grey.shape != (rows, columns):
                raise InputError(seg, f"mask size {grey.shape} differs from its slice {(rows, columns)}")
            masks.append(grey > 127)  # JPEG noise around a 0/255 mask
        else:
            masks.append(np.zeros((rows, columns), bool))
    # the same axis order as read_slice_stack: (slice, row, column) -> (column, row, slice)
    return image.with_array(np.ascontiguousarray(np.stack(masks).transpose(2, 1, 0).astype(np.uint8)))
