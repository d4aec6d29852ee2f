"""``compare_models``: statistics across models evaluated on the same cases.

Reads the ``metrics.csv`` of each model (from ``ichseg evaluate``) and writes:
``results.csv`` / ``results.md`` (mean [95% CI] per model, region, metric),
``tests.json`` (Kruskal-Wallis + Dunn/FDR per region and metric; Wilcoxon for each
pair of models on their shared cases), ``agreement.csv`` (volume CCC and Bland-Altman
per model and region) and PNG figures.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path

import numpy as np

from ..evaluate.aggregate import summarize
from ..io import InputError
from ..stats.agreement import bland_altman, concordance_correlation
from ..stats.group_tests import kruskal_dunn, wilcoxon_paired
from .plots import bland_altman_plot, box_violin, concordance_plot
from .tables import results_rows, to_markdown

TABLE_METRICS = ("dice", "iou", "hd95", "nsd", "abs_rvd", "sensitivity", "precision", "volume_difference_ml")
TEST_METRICS = ("dice", "hd95", "nsd")


def read_metrics_csv(path: str | Path) -> list[dict]:
    """Rows of a metrics table with numbers parsed (empty cells -> NaN)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "metrics table not found")
    rows = []
    with open(path, newline="") as stream:
        reader = csv.DictReader(stream)
        if not reader.fieldnames or not {"case", "region", "dice"} <= set(reader.fieldnames):
            raise InputError(path, "not an ichseg metrics table (needs case, region, dice columns)")
        for raw in reader:
            row: dict = {}
            for key, value in raw.items():
                if key in ("case", "region", "case_type"):
                    row[key] = value
                else:
                    row[key] = float(value) if value not in ("", None) else float("nan")
            rows.append(row)
    return rows


def model_names(paths: Sequence[Path], names: Sequence[str] | None) -> list[str]:
    """Given names, or each table's folder name (made unique)."""
    if names:
        if len(names) != len(paths):
            raise ValueError(f"{len(names)} names for {len(paths)} tables")
        return list(names)
    chosen: list[str] = []
    for path in paths:
        base = path.parent.name or path.stem
        chosen.append(base if base not in chosen else f"{base}_{len(chosen)}")
    return chosen


def _values(rows: list[dict], region: str, metric: str) -> dict[str, float]:
    return {r["case"]: r[metric] for r in rows if r["region"] == region}


def _write_csv(path: Path, rows: list[dict]) -> None:
    if not rows:
        return
    with open(path, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def compare_models(
    tables: Sequence[str | Path],
    out_folder: str | Path,
    *,
    names: Sequence[str] | None = None,
    regions: Sequence[str] = ("any",),
    n_resamples: int = 2000,
    seed: int = 0,
    metrics: Sequence[str] = TABLE_METRICS,
) -> dict:
    """Compare models' metrics tables (``metrics``: the columns of ``results.md``);
    returns what ``tests.json`` holds."""
    paths = [Path(t) for t in tables]
    labels = model_names(paths, names)
    models = {label: read_metrics_csv(path) for label, path in zip(labels, paths)}
    out = Path(out_folder)
    out.mkdir(parents=True, exist_ok=True)
    summaries = {label: summarize(rows, metrics=tuple(metrics), n_resamples=n_resamples, seed=seed)
                 for label, rows in models.items()}
    table = results_rows(summaries, metrics, regions)
    _write_csv(out / "results.csv", table)
    (out / "results.md").write_text(to_markdown(table))

    tests: dict = {"models": labels, "regions": {}}
    agreement_rows: list[dict[str, object]] = []
    for region in regions:
        region_tests: dict = {}
        for metric in TEST_METRICS:
            per_model = {label: _values(rows, region, metric) for label, rows in models.items()}
            entry: dict = {}
            try:
                entry["kruskal_dunn"] = kruskal_dunn({m: list(v.values()) for m, v in per_model.items()})
            except ValueError as error:
                entry["kruskal_dunn"] = {"skipped": str(error)}
            entry["wilcoxon"] = []
            for a, b in combinations(labels, 2):
                shared = sorted(set(per_model[a]) & set(per_model[b]))
                result = wilcoxon_paired([per_model[a][c] for c in shared], [per_model[b][c] for c in shared])
                entry["wilcoxon"].append({"a": a, "b": b} | result)
            region_tests[metric] = entry
        tests["regions"][region] = region_tests
        box_violin({m: list(_values(rows, region, "dice").values()) for m, rows in models.items()},
                   out / f"dice_{region}.png", title=f"Dice, {region}", ylabel="Dice")
        for label, rows in models.items():
            pred = np.array(list(_values(rows, region, "pred_volume_ml").values()))
            ref = np.array(list(_values(rows, region, "ref_volume_ml").values()))
            try:
                agreement: dict[str, float] = {"ccc": concordance_correlation(pred, ref), **bland_altman(pred, ref)}
            except ValueError as error:
                agreement_rows.append({"model": label, "region": region, "note": str(error)})
                continue
            agreement_rows.append({"model": label, "region": region, **agreement})
            bland_altman_plot(pred, ref, out / f"bland_altman_{label}_{region}.png", title=f"{label}, {region} volume")
            concordance_plot(pred, ref, out / f"concordance_{label}_{region}.png", title=f"{label}, {region} volume")
    _write_csv(out / "agreement.csv", agreement_rows)
    tests["agreement"] = agreement_rows
    (out / "tests.json").write_text(json.dumps(tests, indent=2) + "\n")
    return tests
