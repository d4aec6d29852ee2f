"""BHSD (Wu et al., MLMI 2023): 5-class volumes, BHSD 1 EDH, 2 IPH, 3 IVH, 4 SAH, 5 SDH -> 5, 1, 2, 3, 4.

Two layouts are read: the GitHub release's nnU-Net v1 / MSD one (``dataset.json`` whose
``training`` entries name ``imagesTr/X.nii.gz`` + ``labelsTr/X.nii.gz``, ``test`` entries
``imagesTs/X.nii.gz`` with ``labelsTs/X.nii.gz``; the official split is kept in
``cases.csv``), and the Hugging Face one (``label_192/images/`` + ``label_192/ground
truths/``). Volumes in a folder whose name starts with ``unlabel`` become unlabelled images.
BHSD's slice-labelled volumes are RSNA-2019 scans whose slice labels are RSNA's: convert
them with the ``rsna2019`` adapter.
"""

from __future__ import annotations

import json
from pathlib import Path

from ...io import InputError, read_nifti
from ...labels import BHSD_TO_ICHSEG
from . import ADAPTERS
from .common import Progress, nifti_files, nifti_stem, report_progress
from .pairs import NiftiPair, write_pairs
from .writer import ConversionWriter

BHSD_NAMES = {1: "epidural", 2: "intraparenchymal", 3: "intraventricular", 4: "subarachnoid", 5: "subdural"}


def _check_schema(description: dict, path: Path) -> None:
    labels = {int(k): str(v).lower() for k, v in description.get("labels", {}).items() if str(k).isdigit()}
    wrong = {k: v for k, v in labels.items() if k in BHSD_NAMES and v != BHSD_NAMES[k]}
    if wrong:
        raise InputError(path, f"labels {wrong} are not BHSD's (1 epidural ... 5 subdural): another schema, refused")


def _msd_pairs(source: Path) -> list[NiftiPair]:
    path = source / "dataset.json"
    try:
        description = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise InputError(path, f"cannot read dataset.json ({error})") from None
    _check_schema(description, path)
    pairs = []
    for entry in description.get("training", []):
        image = source / str(entry["image"])
        pairs.append(NiftiPair(f"bhsd_{nifti_stem(image)}", image, source / str(entry["label"]), "train"))
    for entry in description.get("test", []):
        image = source / str(entry if isinstance(entry, str) else entry["image"])
        label = image.parent.with_name("labelsTs") / image.name
        pairs.append(NiftiPair(f"bhsd_{nifti_stem(image)}", image, label, "test"))
    if not pairs:
        raise InputError(path, "dataset.json lists no training or test cases")
    return pairs


def _folder_pairs(images: Path) -> list[NiftiPair]:
    labels = next((images.with_name(n) for n in ("ground truths", "ground_truths", "labels") if
                   images.with_name(n).is_dir()), None)
    if labels is None:
        raise InputError(images.parent, "BHSD images/ folder without its 'ground truths/' (or labels/) folder")
    return [NiftiPair(f"bhsd_{nifti_stem(p)}", p, labels / p.name) for p in nifti_files(images)]


@ADAPTERS.register("bhsd", description="BHSD 5-class volumes (dataset.json + imagesTr/labelsTr, or label_192/images "
                                       "+ ground truths) -> IPH..EDH; unlabel*/ volumes -> unlabelled images")
def convert_bhsd(source: Path, destination: Path, *, progress: Progress = None, **_options) -> dict:
    if (source / "dataset.json").exists():
        pairs = _msd_pairs(source)
    else:
        folders = sorted(p for p in source.rglob("images")
                         if p.is_dir() and not p.parent.name.lower().startswith("unlabel"))
        if not folders:
            raise InputError(source, "not a BHSD release: expected dataset.json with imagesTr/ + labelsTr/, or "
                                     "label_192/images/ + label_192/ground truths/")
        pairs = [pair for folder in folders for pair in _folder_pairs(folder)]
    writer = ConversionWriter(destination, "bhsd", source, task="multiclass",
                              label_map={str(k): v for k, v in BHSD_TO_ICHSEG.items()}, name="bhsd")
    write_pairs(writer, pairs, BHSD_TO_ICHSEG, progress, source=source)
    unlabelled = [p for folder in sorted(source.iterdir())
                  if folder.is_dir() and folder.name.lower().startswith("unlabel")
                  for p in sorted(folder.rglob("*")) if p.is_file() and p.name.lower().endswith((".nii", ".nii.gz"))]
    for path in report_progress(progress, unlabelled, len(unlabelled), nifti_stem):
        case = f"bhsd_{nifti_stem(path)}"
        if writer.done(case):
            continue
        try:
            writer.add_unlabelled(case, read_nifti(path), source=path.relative_to(source), split="unlabelled")
        except InputError as error:
            writer.skip(error.path, error.reason)
    return writer.finish(description="BHSD (Wu et al. 2023), 5 hemorrhage classes mapped into ichseg's schema",
                         cases_found=len(pairs) + len(unlabelled))
