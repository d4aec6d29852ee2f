"""The project's dataset format: nnU-Net v2 raw layout.

``imagesTr/<case>_0000.nii.gz``, ``labelsTr/<case>.nii.gz``, ``dataset.json`` with the
label schema of :mod:`ichseg.labels`; unlabelled images (semi-supervised training) go to
``imagesUnlabeled/<case>_0000.nii.gz``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io import InputError, Volume, write_nifti
from ..labels import LABELS

CHANNEL_SUFFIX = "_0000"
FILE_ENDING = ".nii.gz"


def dataset_json(name: str, n_training: int, n_unlabeled: int = 0, description: str = "") -> dict:
    """The ``dataset.json`` of nnU-Net v2 with ichseg's labels."""
    return {
        "name": name,
        "description": description,
        "channel_names": {"0": "CT"},
        "labels": {label_name: value for value, label_name in LABELS.items()},
        "numTraining": n_training,
        "numUnlabeled": n_unlabeled,
        "file_ending": FILE_ENDING,
    }


class DatasetWriter:
    """Writes cases into a dataset folder (atomic files, parent folders created)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        for folder in ("imagesTr", "labelsTr"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)

    def write_labelled(self, case: str, image: Volume, labels: Volume) -> None:
        write_nifti(image, self.root / "imagesTr" / f"{case}{CHANNEL_SUFFIX}{FILE_ENDING}")
        write_nifti(labels, self.root / "labelsTr" / f"{case}{FILE_ENDING}", dtype=np.uint8)

    def write_unlabeled(self, case: str, image: Volume) -> None:
        (self.root / "imagesUnlabeled").mkdir(exist_ok=True)
        write_nifti(image, self.root / "imagesUnlabeled" / f"{case}{CHANNEL_SUFFIX}{FILE_ENDING}")

    def write_description(self, description: dict) -> None:
        (self.root / "dataset.json").write_text(json.dumps(description, indent=2) + "\n")


@dataclass(frozen=True)
class DatasetCase:
    """One labelled training case of a dataset folder."""

    case: str
    image: Path
    label: Path


@dataclass(frozen=True)
class UnlabelledImage:
    """One image without a label map (semi-supervised training)."""

    case: str
    image: Path


def list_unlabelled_images(root: str | Path, extra: str | Path | None = None) -> list[UnlabelledImage]:
    """A dataset folder's ``imagesUnlabeled/`` images, then those of ``extra`` (a folder of
    NIfTI images, any names), each list sorted by name; none is not an error.

    Raises:
        InputError: ``extra`` is given but is not a folder, or holds no NIfTI image.
    """
    suffix = CHANNEL_SUFFIX + FILE_ENDING
    folder = Path(root) / "imagesUnlabeled"
    images = [UnlabelledImage(p.name[: -len(suffix)], p) for p in sorted(folder.glob(f"*{suffix}"))]
    if extra is not None:
        extra = Path(extra)
        if not extra.is_dir():
            raise InputError(extra, "the unlabelled images folder does not exist")
        found = sorted(p for p in extra.iterdir() if p.name.endswith((".nii", ".nii.gz")))
        if not found:
            raise InputError(extra, "holds no NIfTI image (.nii, .nii.gz) to learn from")
        images += [UnlabelledImage(f"extra_{p.name.split('.nii')[0]}", p) for p in found]
    return images


def list_dataset_cases(root: str | Path) -> list[DatasetCase]:
    """The labelled cases of a dataset folder, sorted by case name.

    Raises:
        InputError: no ``imagesTr``/``labelsTr``, no case, or an image without its label.
    """
    root = Path(root)
    images, labels = root / "imagesTr", root / "labelsTr"
    if not images.is_dir() or not labels.is_dir():
        raise InputError(root, "not a dataset folder (needs imagesTr/ and labelsTr/, nnU-Net v2 layout)")
    suffix = CHANNEL_SUFFIX + FILE_ENDING
    cases = []
    for image in sorted(images.glob(f"*{suffix}")):
        case = image.name[: -len(suffix)]
        label = labels / f"{case}{FILE_ENDING}"
        if not label.exists():
            raise InputError(image, f"has no label file {label.name} in labelsTr")
        cases.append(DatasetCase(case, image, label))
    if not cases:
        raise InputError(images, f"no images named <case>{suffix}")
    return cases
