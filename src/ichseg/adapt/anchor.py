"""The labelled anchor of an adaptation: cases with masks that every training batch keeps
(so that learning from a site's unlabelled scans cannot drift into calling everything
blood, or nothing), and a held-out part of them on which the adapted model must keep its
Dice.

The default anchor is generated: synthetic heads, about a third of them built on the real
GE head CT shipped with ichseg, as the bundled model was trained. A user's own labelled
dataset folder (nnU-Net v2 layout) can take its place.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.dataset_format import CHANNEL_SUFFIX, FILE_ENDING, DatasetCase, list_dataset_cases
from ..data.synth import SynthConfig, generate_dataset
from ..io import InputError
from ..resources import example_path

VALIDATION_SHARE = 0.25
SYNTHETIC_NEGATIVES = 0.15  # as in the bundled model's training set
SYNTHETIC_BASE_FRACTION = 0.35


@dataclass(frozen=True)
class Anchor:
    """A dataset folder of the anchor's training cases and its held-out validation cases."""

    train_folder: Path
    validation: list[DatasetCase]
    source: str  # what the cases are, for the card


def _generated(folder: Path, n_cases: int, seed: int, log) -> Path:
    if (folder / "dataset.json").exists():
        return folder
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # generation is seeded: a cut-short one starts again
    log(f"generating {n_cases} synthetic anchor heads (seed {seed})")
    generate_dataset(partial, n_cases, seed, SynthConfig(negative_fraction=SYNTHETIC_NEGATIVES),
                     bases=[example_path("ge_head_ct")], base_fraction=SYNTHETIC_BASE_FRACTION)
    partial.rename(folder)
    return folder


def split_anchor(cases: list[DatasetCase], seed: int) -> tuple[list[DatasetCase], list[DatasetCase]]:
    """Training and validation parts (a quarter, at least one case, seeded).

    Example:
        >>> from pathlib import Path
        >>> cases = [DatasetCase(f"c{i}", Path("i"), Path("l")) for i in range(8)]
        >>> train, validation = split_anchor(cases, seed=0)
        >>> len(train), len(validation), sorted(c.case for c in train + validation) == [c.case for c in cases]
        (6, 2, True)
    """
    if len(cases) < 2:
        raise ValueError("an anchor needs at least 2 labelled cases (training and validation)")
    n_validation = max(1, int(round(VALIDATION_SHARE * len(cases))))
    order = np.random.default_rng(seed).permutation(len(cases))
    chosen = set(order[:n_validation].tolist())
    return ([c for i, c in enumerate(cases) if i not in chosen], [c for i, c in enumerate(cases) if i in chosen])


def _training_view(folder: Path, cases: list[DatasetCase], description: Path) -> Path:
    """A dataset folder of links to the training cases only (the trainer trains on every case)."""
    if (folder / "dataset.json").exists():
        return folder
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    for name in ("imagesTr", "labelsTr"):
        (partial / name).mkdir(parents=True)
    for case in cases:
        (partial / "imagesTr" / f"{case.case}{CHANNEL_SUFFIX}{FILE_ENDING}").symlink_to(case.image.resolve())
        (partial / "labelsTr" / f"{case.case}{FILE_ENDING}").symlink_to(case.label.resolve())
    data = json.loads(description.read_text()) if description.exists() else {}
    data["numTraining"] = len(cases)
    (partial / "dataset.json").write_text(json.dumps(data, indent=1) + "\n")
    partial.rename(folder)
    return folder


def prepare_anchor(work: Path, *, dataset: str | Path | None, n_cases: int, seed: int, log=print) -> Anchor:
    """The anchor in ``work``: ``dataset`` (a labelled dataset folder), or ``n_cases`` generated heads.

    Raises:
        InputError: ``dataset`` is not a labelled dataset folder, or holds fewer than 2 cases.
    """
    if dataset is not None:
        root, source = Path(dataset), f"labelled dataset {dataset}"
    else:
        root = _generated(work / "anchor_data", n_cases, seed, log)
        source = (f"{n_cases} synthetic heads (ichseg synth, seed {seed}; {SYNTHETIC_BASE_FRACTION:.0%} on the "
                  f"shipped GE head CT, {SYNTHETIC_NEGATIVES:.0%} without blood)")
    cases = list_dataset_cases(root)
    try:
        train, validation = split_anchor(cases, seed)
    except ValueError as error:
        raise InputError(root, str(error)) from None
    folder = _training_view(work / "anchor_train", train, root / "dataset.json")
    return Anchor(folder, validation, f"{source}: {len(train)} in every batch's labelled half, "
                                      f"{len(validation)} held out")
