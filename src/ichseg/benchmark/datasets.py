"""The datasets of an experiment, made ready once: a synthetic set generated on first use,
then one plan and one split per dataset that every cell shares (so that all models of a
table are trained and tested on the same cases, as paired statistics need)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from ..data.dataset_format import list_dataset_cases
from ..data.synth import SynthConfig, generate_dataset
from ..io import InputError
from ..resources import example_path
from ..train.config import TrainingConfig
from ..train.experiment import fold_cases, make_splits, plan_dataset

SYNTH_OPTIONS = {"cases", "seed", "negatives", "types", "unlabeled", "weak", "weak_negatives", "bases",
                 "base_fraction", "slice_thickness", "spacing"}


def _synthetic(folder: Path, options: dict, log) -> Path:
    unknown = sorted(set(options) - SYNTH_OPTIONS)
    if unknown:
        raise InputError(folder, f"unknown synth option(s) {', '.join(unknown)}; "
                                 f"known: {', '.join(sorted(SYNTH_OPTIONS))}")
    if (folder / "dataset.json").exists():
        return folder
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # a generation cut short starts again (cases are seeded)
    config = SynthConfig(types=tuple(options.get("types", SynthConfig().types)),
                         negative_fraction=float(options.get("negatives", 0.2)),
                         pixel_mm=options.get("spacing"), slice_mm=options.get("slice_thickness"))
    bases = [example_path(b) if not Path(b).exists() else Path(b) for b in options.get("bases", [])]
    n = int(options.get("cases", 12))
    log(f"generating {n} synthetic cases (seed {options.get('seed', 0)}) in {folder}")
    generate_dataset(partial, n, int(options.get("seed", 0)), config, n_unlabeled=int(options.get("unlabeled", 0)),
                     n_weak=int(options.get("weak", 0)), weak_negative_fraction=options.get("weak_negatives"),
                     bases=bases, base_fraction=float(options.get("base_fraction", 0.5)),
                     progress=lambda done, total: log(f"  case {done}/{total}") if done % 4 == 0 or done == total
                     else None)
    partial.rename(folder)
    return folder


def prepare_dataset(name: str, value: Any, out: Path, split: dict, log=print) -> dict:
    """Make dataset ``name`` ready; returns where its data, plan and splits are."""
    folder = out / "datasets" / name
    if isinstance(value, dict) and "synth" in value:
        data = _synthetic(folder / "data", dict(value["synth"] or {}), log)
    elif isinstance(value, str):
        data = Path(value)
        list_dataset_cases(data)  # refused here, in one line, when it is not a dataset folder
    else:
        raise InputError(out, f"dataset {name}: give a dataset folder or {{synth: {{cases: N, seed: S}}}}")
    experiment = folder / "experiment"
    experiment.mkdir(parents=True, exist_ok=True)
    plan_dataset(data, experiment / "plan.json")
    config = TrainingConfig().merged(split)
    splits = make_splits(data, experiment, config)
    return {"data": str(data), "experiment": str(experiment), "splits": splits}


def evaluation_cases(splits: dict, fold: int | str, cases: list[str]) -> list[str]:
    """The cases a cell is tested on: its fold's validation cases, or the holdout test part."""
    if splits["scheme"] == "holdout":
        return list(splits["split"].get("test") or splits["split"]["val"])
    _train, val, _folder = fold_cases(splits, fold, cases)
    if not val:
        raise ValueError(f"fold {fold} leaves no case to test on: use k folds (n_folds >= 2) or a holdout split")
    return val


def read_splits(experiment: str | Path) -> dict:
    return json.loads((Path(experiment) / "splits.json").read_text())
