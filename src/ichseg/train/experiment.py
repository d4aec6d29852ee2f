"""One training run of an experiment folder: fingerprint and plan (made once, reused),
splits (made once, reused), then the named trainer on the chosen fold.

Experiment folder layout::

    OUT/fingerprint.json  OUT/plan.json  OUT/splits.json  OUT/preprocessed/<key>/<case>.npz
    OUT/fold_<k>/ (or fold_all/)  checkpoints, logs, summary (see ichseg.train.trainer)
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from ..data.dataset_format import list_dataset_cases, list_unlabelled_images
from ..data.fingerprint import extract_fingerprint
from ..data.splits import kfold_splits, load_or_create, stratified_split
from ..io.atomic import write_text_atomic
from ..labels import HEMORRHAGE_LABELS, LABELS
from .config import TrainingConfig
from .distributed import DistributedContext
from .plan import Plan
from .planner import DEFAULT_MEMORY_GB, make_plan
from .trainer import TRAINERS
from .weak_labels import read_slice_codes


def plan_dataset(dataset: str | Path, plan_path: str | Path, *, fingerprint_path: str | Path | None = None,
                 memory_gb: float = DEFAULT_MEMORY_GB, amp: bool = False, reuse: bool = True,
                 progress: bool = False) -> dict:
    """Fingerprint + plan of ``dataset`` written to ``plan_path`` and ``fingerprint_path``
    (default: ``fingerprint.json`` beside the plan). With ``reuse``, files already there
    are read back instead of recomputed (an experiment plans once)."""
    plan_path = Path(plan_path)
    fingerprint_path = Path(fingerprint_path) if fingerprint_path else plan_path.with_name("fingerprint.json")
    if reuse and plan_path.exists():
        return json.loads(plan_path.read_text())
    if reuse and fingerprint_path.exists():
        fingerprint = json.loads(fingerprint_path.read_text())
    else:
        fingerprint = extract_fingerprint(dataset, progress=progress)
        write_text_atomic(fingerprint_path, json.dumps(fingerprint, indent=1) + "\n")
    plan = make_plan(fingerprint, memory_gb=memory_gb, amp=amp)
    write_text_atomic(plan_path, json.dumps(plan, indent=1) + "\n")
    return plan


def dominant_class(class_voxels: dict[str, int]) -> str:
    """The hemorrhage type with most voxels, or ``none`` (the stratum of a case)."""
    names = [LABELS[v] for v in HEMORRHAGE_LABELS]
    counts = {name: class_voxels.get(name, 0) for name in names}
    best = max(counts, key=lambda name: counts[name])
    return best if counts[best] > 0 else "none"


def read_patients(dataset: str | Path) -> dict[str, str] | None:
    """``case -> patient`` from the dataset's ``cases.csv`` when it has a ``patient`` column."""
    table = Path(dataset) / "cases.csv"
    if not table.exists():
        return None
    with open(table, newline="") as stream:
        rows = list(csv.DictReader(stream))
    if not rows or "patient" not in rows[0]:
        return None
    return {row["case"]: row["patient"] for row in rows}


def make_splits(dataset: str | Path, output: Path, config: TrainingConfig) -> dict:
    """``splits.json``: k folds, or a stratified train/val/test split (made once)."""
    cases = [entry.case for entry in list_dataset_cases(dataset)]
    patients = read_patients(dataset)

    def create():
        if config.split == "holdout":
            fingerprint = json.loads((output / "fingerprint.json").read_text())
            strata = {c["case"]: dominant_class(c["class_voxels"]) for c in fingerprint["cases"]}
            return {"scheme": "holdout", "split": stratified_split(cases, strata, seed=config.seed,
                                                                   patients=patients)}
        try:
            return {"scheme": "kfold", "folds": kfold_splits(cases, n_folds=config.n_folds, seed=config.seed,
                                                             patients=patients)}
        except ValueError as error:
            if str(config.fold) != "all":
                raise ValueError(f"{error}: train on more cases, or on all of them with --fold all") from None
            return {"scheme": "all", "note": f"no folds ({error}); --fold all trains on every case"}

    splits = load_or_create(output / "splits.json", create)
    assert isinstance(splits, dict)
    return splits


def fold_cases(splits: dict, fold: int | str, cases: list[str]) -> tuple[list[str], list[str], str]:
    """Training and validation case names of ``fold`` and the fold folder name."""
    if str(fold) == "all":
        return list(cases), [], "fold_all"
    if splits["scheme"] == "holdout":
        return splits["split"]["train"], splits["split"]["val"], "holdout"
    folds = splits["folds"]
    fold = int(fold)
    if not 0 <= fold < len(folds):
        raise ValueError(f"fold {fold} does not exist (0..{len(folds) - 1} or 'all')")
    return folds[fold]["train"], folds[fold]["val"], f"fold_{fold}"


def run_training(dataset: str | Path, output: str | Path, config: TrainingConfig, *,
                 context: DistributedContext | None = None, memory_gb: float = DEFAULT_MEMORY_GB,
                 resume: bool = False, progress: bool = True) -> dict:
    """Plan (once), split (once) and train ``config.fold``; returns the run summary."""
    context = context or DistributedContext()
    output = Path(output)
    if context.is_main:
        plan_dataset(dataset, output / "plan.json", memory_gb=memory_gb, amp=context.device.type == "cuda",
                     progress=progress)
        make_splits(dataset, output, config)
    context.barrier()
    plan = Plan.from_dict(json.loads((output / "plan.json").read_text()), source=str(output / "plan.json"))
    splits = json.loads((output / "splits.json").read_text())
    entries = {entry.case: entry for entry in list_dataset_cases(dataset)}
    train_names, val_names, folder = fold_cases(splits, config.fold, list(entries))
    try:
        trainer_class = TRAINERS.entry(config.trainer).builder
    except KeyError as error:
        raise ValueError(error.args[0]) from None
    options: dict = {}
    if getattr(trainer_class, "uses_unlabelled", False):  # the semi-supervised trainers
        options["unlabelled"] = list_unlabelled_images(dataset, config.unlabelled)
        if config.weak_weight:
            options["slice_codes"] = read_slice_codes(Path(dataset) / "slice_labels.csv")
    trainer = trainer_class([entries[c] for c in train_names], [entries[c] for c in val_names], output / folder,
                            config, plan, context=context, cache=output / "preprocessed", progress=progress,
                            **options)
    summary = trainer.fit(resume=resume)
    return {**summary, "output": str(output / folder)}
