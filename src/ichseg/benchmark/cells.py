"""One cell of a benchmark: train (the existing trainer, resumed when cut short), predict its
evaluation cases, evaluate them; ``done.json`` is written last, so a cell with it is never
recomputed and a cell without it continues from its checkpoint.

Cells are tested on cases they were not trained on (their fold's validation cases, or the
holdout test part) with their final weights: no checkpoint is chosen on those cases (that
would flatter the model), so validation during training is off unless a cell asks for it.
"""

from __future__ import annotations

import csv
import json
import shutil
import time
from pathlib import Path

import numpy as np
import torch

from ..data.dataset_format import list_dataset_cases
from ..evaluate.case import EvaluationConfig, evaluate_case
from ..evaluate.policy import EmptyMaskPolicy
from ..infer.bundle import load_checkpoint_as_bundle
from ..infer.predictor import Predictor
from ..io import read_nifti, read_volume, write_nifti
from ..io.atomic import atomic_path
from ..train.config import TrainingConfig
from ..train.experiment import fold_cases, run_training
from .datasets import evaluation_cases, read_splits

DONE = "done.json"
SHARED_FILES = ("plan.json", "fingerprint.json", "splits.json")


def evaluation_config(settings: dict) -> EvaluationConfig:
    """The experiment's ``evaluation`` section as an :class:`EvaluationConfig`."""
    policy = EmptyMaskPolicy(settings.get("both_empty", "one"), settings.get("one_empty", "worst"),
                             settings.get("worst_distance_mm"))
    return EvaluationConfig(regions=tuple(settings.get("regions", ("any",))), policy=policy,
                            nsd_tolerance_mm=float(settings.get("nsd_tolerance_mm", 0.42)),
                            hd_percentile=float(settings.get("hd_percentile", 95.0)))


def _cell_experiment(folder: Path, dataset: dict) -> Path:
    """The cell's experiment folder: the dataset's plan and splits, its preprocessed cache shared."""
    experiment = folder / "experiment"
    experiment.mkdir(parents=True, exist_ok=True)
    shared = Path(dataset["experiment"])
    for name in SHARED_FILES:
        if (shared / name).exists() and not (experiment / name).exists():
            shutil.copy(shared / name, experiment / name)
    cache = shared / "preprocessed"
    cache.mkdir(exist_ok=True)
    if not (experiment / "preprocessed").exists():
        (experiment / "preprocessed").symlink_to(cache.resolve(), target_is_directory=True)
    return experiment


def _train(cell_settings: dict, data: str, experiment: Path, fold_folder: Path, progress: bool) -> dict:
    if (fold_folder / "summary.json").exists():
        return json.loads((fold_folder / "summary.json").read_text())
    settings = {"max_validation_cases": 0} | cell_settings
    config = TrainingConfig().merged(settings)
    resume = (fold_folder / "checkpoint_last.pt").exists()
    return run_training(data, experiment, config, resume=resume, progress=progress)


def _evaluate(predictor: Predictor, folder: Path, data: str, cases: list[str], settings: dict) -> list[dict]:
    entries = {entry.case: entry for entry in list_dataset_cases(data)}
    config = evaluation_config(settings)
    rows: list[dict] = []
    for case in cases:
        image = read_volume(entries[case].image)
        labels = predictor.predict(image)
        write_nifti(labels, folder / "predictions" / f"{case}.nii.gz", dtype=np.uint8)
        reference = read_nifti(entries[case].label, nan_as_air=False)
        ref = np.rint(np.asarray(reference.array)).astype(np.uint8)
        rows.extend({"case": case} | row for row in evaluate_case(labels.array, ref, reference.spacing, config))
    return rows


def _write_metrics(folder: Path, rows: list[dict]) -> None:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with atomic_path(folder / "metrics.csv") as temporary, open(temporary, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def _finish(folder: Path, record: dict) -> dict:
    with atomic_path(folder / DONE) as temporary:
        temporary.write_text(json.dumps(record, indent=2) + "\n")
    return record


def run_cell(cell: dict, out: str, dataset: dict, evaluation: dict, threads: int, progress: bool = False) -> dict:
    """Train, predict and evaluate one cell (``cell``: the fields of a :class:`Cell` with its
    ``key`` and ``model``; ``dataset``: what :func:`~ichseg.benchmark.datasets.prepare_dataset` returned)."""
    folder = Path(out) / "cells" / cell["key"]
    if (folder / DONE).exists():
        return json.loads((folder / DONE).read_text()) | {"reused": True}
    torch.set_num_threads(threads)
    started = time.perf_counter()
    experiment = _cell_experiment(folder, dataset)
    fold = cell["settings"]["fold"]
    splits, names = read_splits(experiment), [e.case for e in list_dataset_cases(dataset["data"])]
    cases = evaluation_cases(splits, fold, names)  # refused before training when the fold has none
    fold_folder = experiment / fold_cases(splits, fold, names)[2]
    summary = _train(cell["settings"], dataset["data"], experiment, fold_folder, progress)
    predictor = Predictor([load_checkpoint_as_bundle(fold_folder / "checkpoint_last.pt")], device="cpu")
    rows = _evaluate(predictor, folder, dataset["data"], cases, evaluation)
    _write_metrics(folder, rows)
    return _finish(folder, {"key": cell["key"], "model": cell["model"], "dataset": cell["dataset"], "fold": fold,
                            "steps": summary.get("steps"), "train_seconds": summary.get("seconds"),
                            "seconds": round(time.perf_counter() - started, 2), "cases": cases,
                            "checkpoint": str(fold_folder / "checkpoint_last.pt"), "threads": threads})


def run_ensemble(ensemble: dict, out: str, dataset: dict, evaluation: dict, threads: int) -> dict:
    """Evaluate the mean probabilities of finished member cells on their shared evaluation cases."""
    folder = Path(out) / "cells" / ensemble["key"]
    if (folder / DONE).exists():
        return json.loads((folder / DONE).read_text()) | {"reused": True}
    torch.set_num_threads(threads)
    started = time.perf_counter()
    members = [json.loads((Path(out) / "cells" / key / DONE).read_text()) for key in ensemble["members"]]
    cases = members[0]["cases"]
    predictor = Predictor([load_checkpoint_as_bundle(m["checkpoint"]) for m in members], device="cpu")
    rows = _evaluate(predictor, folder, dataset["data"], cases, evaluation)
    _write_metrics(folder, rows)
    return _finish(folder, {"key": ensemble["key"], "model": ensemble["model"], "dataset": ensemble["dataset"],
                            "fold": ensemble["fold"], "members": list(ensemble["members"]), "cases": cases,
                            "seconds": round(time.perf_counter() - started, 2), "threads": threads})
