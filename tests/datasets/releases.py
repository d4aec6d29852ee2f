"""Small copies of the public releases' folder and file naming, built from synthetic cases.

Each writer lays out a release exactly as it is downloaded (names, folders, tables, the
tools that wrote its files) with tiny blob heads, so the adapters are tested on the
layout they will meet, not on one made up for them.
"""

from __future__ import annotations

import csv
import json
import shutil
import warnings
import zipfile
from pathlib import Path

import nibabel as nib
import numpy as np
from PIL import Image

from dicom_factory import write_series

SHAPE = (40, 36, 8)


def blob_case(seed: int, values=(1,), shape=SHAPE):
    """A water head in air with one blob per label value (70 HU + 10 per value), int16 HU + uint8 labels."""
    rng = np.random.default_rng(seed)
    grid = np.indices(shape).astype(np.float32)
    head = ((grid[0] - shape[0] / 2) ** 2 + (grid[1] - shape[1] / 2) ** 2) < (0.45 * min(shape[:2])) ** 2
    image = np.where(head, 30.0, -1000.0) + rng.normal(0, 3, shape)
    labels = np.zeros(shape, np.uint8)
    for n, value in enumerate(values):
        centre = [shape[0] / 2 + (-6 if n % 2 else 6), shape[1] / 2, 2 + 3 * (n % 2) + seed % 2]
        blob = ((grid[0] - centre[0]) ** 2 + (grid[1] - centre[1]) ** 2 < 16) & (np.abs(grid[2] - centre[2]) <= 1)
        labels[blob & head] = value
        image[blob & head] = 70 + 10 * value
    return image.round().astype(np.int16), labels


def _save(array, affine, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(array, affine), str(path))


AFFINE = np.diag([-0.45, -0.45, 5.0, 1.0])  # an LPS-stored scan, as scanners' converters write them


def slice_table_rows(patient: int, labels: np.ndarray, type_column: str) -> list[dict]:
    rows = []
    for k in range(labels.shape[2]):
        blood = int(labels[:, :, k].any())
        row = {"PatientNumber": patient, "SliceNumber": k + 1, "Intraventricular": 0, "Intraparenchymal": 0,
               "Subarachnoid": 0, "Epidural": 0, "Subdural": 0, "No_Hemorrhage": 1 - blood, "Fracture_Yes_No": 0}
        row[type_column] = blood
        rows.append(row)
    return rows


def _write_table(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_ctich(root: Path) -> Path:
    """1.3.1: ct_scans/049.nii, masks/049.nii, hemorrhage_diagnosis_raw_ct.csv; 051 has no mask."""
    rows = []
    for patient, column in ((49, "Subdural"), (50, "Intraparenchymal"), (51, "Epidural")):
        image, labels = blob_case(patient)
        _save(image, AFFINE, root / "ct_scans" / f"{patient:03d}.nii")
        if patient != 51:
            mask = labels * (255 if patient == 50 else 1)  # one mask saved as 0/255
            _save(mask.astype(np.uint8), AFFINE, root / "masks" / f"{patient:03d}.nii")
        rows += slice_table_rows(patient, labels, column)
    _write_table(root / "hemorrhage_diagnosis_raw_ct.csv", rows)
    return root


def write_ctich_jpg(root: Path) -> Path:
    """JPG release: Patients_CT/NNN/{brain,bone}/K.jpg, K_HGE_Seg.jpg on slices with blood."""
    rows = []
    for patient in (49, 50):
        image, labels = blob_case(patient)
        grey = np.clip((image - (40 - 60)) / 120 * 255, 0, 255).astype(np.uint8)
        for k in range(image.shape[2]):
            for window in ("brain", "bone"):
                folder = root / "Patients_CT" / f"{patient:03d}" / window
                folder.mkdir(parents=True, exist_ok=True)
                Image.fromarray(grey[:, :, k].T).save(folder / f"{k + 1}.jpg", quality=95)
            if labels[:, :, k].any():
                Image.fromarray((labels[:, :, k].T > 0).astype(np.uint8) * 255).save(
                    root / "Patients_CT" / f"{patient:03d}" / "brain" / f"{k + 1}_HGE_Seg.jpg", quality=95)
        rows += slice_table_rows(patient, labels, "Intraventricular")
    _write_table(root / "hemorrhage_diagnosis.csv", rows)
    return root


def write_instance2022(root: Path) -> Path:
    """data/001.nii.gz + label/001.nii.gz; 002's label is stored with the slice axis flipped."""
    for n in (1, 2, 3):
        image, labels = blob_case(n)
        _save(image, AFFINE, root / "data" / f"{n:03d}.nii.gz")
        if n == 2:  # same grid, other axis direction (another tool wrote the label)
            flip = AFFINE.copy()
            flip[:3, 2] *= -1
            flip[:3, 3] = AFFINE[:3, :3] @ [0, 0, SHAPE[2] - 1]
            _save(labels[:, :, ::-1].copy(), flip, root / "label" / f"{n:03d}.nii.gz")
        elif n == 3:  # a label of another size: refused with why
            _save(labels[:, :, :-1].copy(), AFFINE, root / "label" / f"{n:03d}.nii.gz")
        else:
            _save(labels, AFFINE, root / "label" / f"{n:03d}.nii.gz")
    return root


BHSD_LABELS = {"0": "background", "1": "epidural", "2": "intraparenchymal", "3": "intraventricular",
               "4": "subarachnoid", "5": "subdural"}


def write_bhsd(root: Path) -> Path:
    """The GitHub release's MSD layout: dataset.json + imagesTr/labelsTr + imagesTs/labelsTs, BHSD values 1-5."""
    training, test = [], []
    for n, values, part in ((0, (1, 5), "Tr"), (1, (2, 3), "Tr"), (2, (4,), "Ts")):
        name = f"ID_0000000{n}_ID_00000000{n}a"
        image, labels = blob_case(n, values)
        _save(image, AFFINE, root / f"images{part}" / f"{name}.nii.gz")
        _save(labels, AFFINE, root / f"labels{part}" / f"{name}.nii.gz")
        if part == "Tr":
            training.append({"image": f"./imagesTr/{name}.nii.gz", "label": f"./labelsTr/{name}.nii.gz"})
        else:
            test.append(f"./imagesTs/{name}.nii.gz")
    description = {"description": "bleedbrain", "labels": BHSD_LABELS, "modality": {"0": "CT"}, "name": "bleedbrain",
                   "numTraining": len(training), "numTest": len(test), "training": training, "test": test}
    (root / "dataset.json").write_text(json.dumps(description, indent=4))
    return root


RSNA_TYPES = ("epidural", "intraparenchymal", "intraventricular", "subarachnoid", "subdural", "any")


def write_rsna_slices(folder: Path, series: dict[str, int], seed: int = 0) -> dict[str, list[str]]:
    """RSNA-style slices of several series mixed in one folder: ID_<9 hex>.dcm. Returns series -> slice ids
    (bottom to top); a blob (80 HU) sits on the slices 3-4 of every series."""
    rng = np.random.default_rng(seed)
    out: dict[str, list[str]] = {}
    folder.mkdir(parents=True, exist_ok=True)
    for uid, n_slices in series.items():
        def values(points):
            head = np.linalg.norm(points[..., :2] - [16, 16], axis=-1) < 14
            blob = (np.linalg.norm(points[..., :2] - [20, 16], axis=-1) < 4) & (np.abs(points[..., 2] - 17.5) < 3)
            return np.where(blob, 80.0, np.where(head, 30.0, -1000.0))
        temporary = folder.parent / f".tmp_{uid}"
        with warnings.catch_warnings():  # RSNA's UIDs really are "ID_<hex>", not valid DICOM UIDs
            warnings.simplefilter("ignore", UserWarning)
            paths = write_series(temporary, values, positions=[(0, 0, 5.0 * k) for k in range(n_slices)],
                                 pixel_spacing=1.0, shape=(32, 32), series_uid=uid, prefix="s")
        ids = []
        for path in paths:
            slice_id = "".join(rng.choice(list("0123456789abcdef"), 9))
            ids.append(slice_id)
            shutil.move(path, folder / f"ID_{slice_id}.dcm")
        shutil.rmtree(temporary)
        out[uid] = ids
    return out


def write_rsna2019(root: Path) -> tuple[Path, dict[str, list[str]]]:
    """stage_2_train/ID_*.dcm (two series mixed) + stage_2_train.csv (6 rows per slice, one row repeated)."""
    series = write_rsna_slices(root / "stage_2_train", {"ID_aaaaaaaaaa": 8, "ID_bbbbbbbbbb": 6})
    rows = []
    for _uid, ids in series.items():
        for k, slice_id in enumerate(ids):
            blood = int(k in (3, 4))
            for kind in RSNA_TYPES:
                rows.append((f"ID_{slice_id}_{kind}", blood if kind in ("subdural", "any") else 0))
    rows.append(rows[0])
    with open(root / "stage_2_train.csv", "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["ID", "Label"])
        writer.writerows(rows)
    return root, series


def write_hemseg(root: Path) -> tuple[Path, Path, Path]:
    """RSNA slices + annotion_file_info.jsonl + IPH_IVH_label.zip with labels made as the release made
    them: SimpleITK reads each scan's slices (copied to a folder of their own) and a label is drawn on
    that volume; one scan of the list has a slice missing from the download."""
    import SimpleITK as sitk

    slices = root / "stage_2_train"
    series = write_rsna_slices(slices, {"ID_1111111111": 8, "ID_2222222222": 7, "ID_3333333333": 6}, seed=1)
    lines, archive = [], root / "IPH_IVH_label.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for (uid, ids), split in zip(series.items(), ("train", "val", "test")):
            scan = uid.removeprefix("ID_")
            lines.append(json.dumps({"patient": f"ID_p{scan[:7]}", "scan_": scan, "slice_list": ids}))
            work = root / ".sitk" / scan
            work.mkdir(parents=True)
            for slice_id in ids:
                shutil.copy(slices / f"ID_{slice_id}.dcm", work / f"ID_{slice_id}.dcm")
            reader = sitk.ImageSeriesReader()
            reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(work)))
            volume = reader.Execute()
            label = sitk.Cast(sitk.BinaryThreshold(volume, 60, 200, 1, 0), sitk.sitkInt16)
            label.CopyInformation(volume)
            path = work / f"{scan}.nii.gz"
            sitk.WriteImage(label, str(path))
            zipped.write(path, f"IPH_IVH_label/{split}/label/{scan}.nii.gz")
    shutil.rmtree(root / ".sitk")
    (slices / f"ID_{series['ID_3333333333'][2]}.dcm").unlink()  # the user's download lacks one slice
    slice_list = root / "annotion_file_info.jsonl"
    slice_list.write_text("\n".join(lines) + "\n")
    return slices, archive, slice_list


def write_blastct(root: Path, real_label: Path | None = None) -> Path:
    """A folder of <id>_image.nii.gz + <id>_segmentation.nii.gz (4-class map); with ``real_label``
    (BLAST-CT's own scan_0 map) that map and a synthetic image on its grid."""
    root.mkdir(parents=True, exist_ok=True)
    if real_label is not None:
        label = nib.load(str(real_label))
        array = np.asarray(label.dataobj).astype(np.uint8)
        image = np.where(array > 0, 70, 30).astype(np.int16)
        nib.save(nib.Nifti1Image(image, label.affine), str(root / "scan_0_image.nii.gz"))
        shutil.copy(real_label, root / "scan_0_segmentation.nii.gz")
    else:
        image, labels = blob_case(5, (1, 2, 3, 4))
        _save(image, AFFINE, root / "scan_0_image.nii.gz")
        _save(labels, AFFINE, root / "scan_0_segmentation.nii.gz")
    image, labels = blob_case(6, (2,))
    _save(image, AFFINE, root / "scan_1_image.nii.gz")
    _save(labels, AFFINE, root / "scan_1_segmentation.nii.gz")
    return root
