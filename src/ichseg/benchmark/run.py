"""``run_benchmark``: every cell of an experiment trained, predicted and evaluated (serially,
or as Dask tasks on a local or existing cluster), then the models compared per dataset.

Output (``OUT``)::

    experiment.json          the parsed experiment: every cell's settings (a rerun must match)
    datasets/<name>/         a synthetic set made on first use; the shared plan and splits
    cells/<dataset>/<model>/fold_<k>/   experiment/ (training), predictions/, metrics.csv, done.json
    models/<dataset>/<model>/metrics.csv   the model's folds pooled
    compare/<dataset>/       ichseg compare's tables, tests.json, agreement.csv, plots
    results.md, results.csv  the tables of every dataset
    summary.json             cells finished, reused, failed; seconds
    failures.json            cells that failed and why (absent when none did)
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from ..compare.comparison import TABLE_METRICS, compare_models
from ..data.dataset_format import list_dataset_cases
from ..device import cpu_threads
from ..io import InputError
from .cells import DONE, run_cell, run_ensemble
from .datasets import prepare_dataset
from .experiment import Cell, Ensemble, Experiment, load_experiment


def _record(experiment: Experiment) -> dict:
    cells = {cell.key: cell.settings for cell in experiment.cells}
    ensembles = {e.key: list(e.members) for e in experiment.ensembles}
    return {"name": experiment.name, "source": str(experiment.source), "datasets": experiment.datasets,
            "split": experiment.split, "evaluation": experiment.evaluation, "compare": experiment.compare,
            "cells": cells, "ensembles": ensembles}


def _check_output(out: Path, record: dict) -> None:
    """A rerun into ``OUT`` continues it only when every cell it shares is set up the same way."""
    path = out / "experiment.json"
    if path.exists():
        before = json.loads(path.read_text())
        changed = [key for key, settings in record["cells"].items()
                   if key in before.get("cells", {}) and before["cells"][key] != settings
                   and (out / "cells" / key / DONE).exists()]
        if changed or before.get("split") != record["split"] or before.get("evaluation") != record["evaluation"]:
            what = f"cell {changed[0]}" if changed else "the split or evaluation"
            raise InputError(out, f"was run with other settings for {what}; use a new -o folder (or delete it)")
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")


def _headline(result: dict, out: Path) -> str:
    """``mean Dice(any) 0.610`` of a finished cell, for its progress line."""
    path = out / "cells" / result["key"] / "metrics.csv"
    with open(path, newline="") as stream:
        values = [float(r["dice"]) for r in csv.DictReader(stream) if r["region"] == "any" and r["dice"] != ""]
    return f"mean Dice(any) {sum(values) / len(values):.3f}" if values else "no 'any' region"


def _run_tasks(tasks: list[tuple[str, Callable, tuple]], out: Path, *, workers: int, scheduler: str | None,
               log: Callable[[str], None]) -> tuple[list[dict], list[dict]]:
    """Run ``(key, function, args)`` tasks: in this process, or as Dask tasks; failures are collected."""
    results: list[dict] = []
    failures: list[dict] = []

    def report(n: int, key: str, result: dict | None, error: BaseException | None) -> None:
        if error is not None:
            failures.append({"key": key, "error": f"{type(error).__name__}: {error}"})
            log(f"[{n}/{len(tasks)}] {key} FAILED: {type(error).__name__}: {error}")
            return
        assert result is not None
        results.append(result)
        how = "finished before, reused" if result.get("reused") else f"done in {result['seconds']:.0f} s"
        log(f"[{n}/{len(tasks)}] {key} {how} ({_headline(result, out)})")

    if not tasks:
        return results, failures
    if scheduler is None and workers <= 1:
        for n, (key, function, args) in enumerate(tasks, 1):
            try:
                result = function(*args)
            except Exception as error:  # noqa: BLE001  (a failed cell does not stop the others)
                report(n, key, None, error)
            else:
                report(n, key, result, None)
        return results, failures

    from distributed import Client, LocalCluster, as_completed  # noqa: PLC0415  (only for a Dask run)

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit=0,
                               dashboard_address=None, silence_logs=40)
    client = Client(scheduler or cluster)
    try:
        futures = {client.submit(function, *args, key=f"ichseg-benchmark-{key}", pure=False): key
                   for key, function, args in tasks}
        for n, future in enumerate(as_completed(futures), 1):
            try:
                result = future.result()
            except Exception as error:  # noqa: BLE001  (a failed cell does not stop the others)
                report(n, futures[future], None, error)
            else:
                report(n, futures[future], result, None)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results, failures


def _pool(out: Path, dataset: str, model: str, keys: list[str]) -> Path | None:
    """One metrics table for a model: its finished folds' rows, each case once."""
    rows: list[dict] = []
    for key in keys:
        path = out / "cells" / key / "metrics.csv"
        if not (out / "cells" / key / DONE).exists():
            return None  # a model with a missing fold is not compared on part of its cases
        with open(path, newline="") as stream:
            rows.extend(csv.DictReader(stream))
    target = out / "models" / dataset / model / "metrics.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return target


def _kruskal_line(tests: dict, region: str, metric: str) -> str:
    entry = tests["regions"].get(region, {}).get(metric, {}).get("kruskal_dunn", {})
    if "skipped" in entry or "p" not in entry:
        return f"Kruskal-Wallis on {metric} ({region}): not tested ({entry.get('skipped', 'fewer than 2 models')})"
    line = f"Kruskal-Wallis on {metric} ({region}): H = {entry['h']:.2f}, p = {entry['p']:.3g}"
    significant = [f"{d['a']} vs {d['b']}" for d in entry.get("dunn", []) if d.get("p_adjusted", 1.0) < 0.05]
    return line + (f"; Dunn (FDR) p < 0.05: {', '.join(significant)}" if significant else
                   "; no pair differs at FDR-adjusted p < 0.05")


def display_names(models: list[str]) -> dict[str, str]:
    """Model labels without the parts every model shares (``unet__dice__supervised`` -> ``unet``).

    Example:
        >>> display_names(["unet__dice__supervised", "vnet__dice__supervised"])
        {'unet__dice__supervised': 'unet', 'vnet__dice__supervised': 'vnet'}
    """
    parts = [model.split("__") for model in models]
    varying = [i for i in range(3) if len({p[i] for p in parts}) > 1] or [0]
    return {model: "__".join(p[i] for i in varying) for model, p in zip(models, parts)}


def _compare(experiment: Experiment, out: Path, log: Callable[[str], None]) -> list[str]:
    """Compare every dataset's models; returns the Markdown sections of ``results.md``."""
    compare = experiment.compare
    regions = list(compare.get("regions", experiment.evaluation.get("regions", ["any"])))
    metrics = tuple(compare.get("metrics", TABLE_METRICS))
    sections, csv_rows = [], []
    for dataset in experiment.datasets:
        models: dict[str, list[str]] = {}
        units: list[Cell | Ensemble] = [*experiment.cells, *experiment.ensembles]
        for unit in units:
            if unit.dataset == dataset:
                models.setdefault(unit.model, []).append(unit.key)
        tables = {model: _pool(out, dataset, model, keys) for model, keys in models.items()}
        missing = [model for model, table in tables.items() if table is None]
        ready = {model: table for model, table in tables.items() if table is not None}
        section = [f"## {dataset}", ""]
        if not ready:
            sections += section + ["No model finished.", ""]
            continue
        folder = out / "compare" / dataset
        log(f"comparing {len(ready)} model(s) on {dataset}")
        names = display_names(list(models))
        tests = compare_models(list(ready.values()), folder, names=[names[m] for m in ready], regions=regions,
                               n_resamples=int(compare.get("bootstrap", 2000)), seed=int(compare.get("seed", 0)),
                               metrics=metrics)
        section.append((folder / "results.md").read_text())
        section += [f"- {_kruskal_line(tests, region, 'dice')}" for region in regions]
        if missing:
            section.append(f"- not compared (a fold did not finish): {', '.join(names[m] for m in missing)}")
        section += [f"- plots, tests.json, agreement.csv: `compare/{dataset}/`", ""]
        sections += section
        with open(folder / "results.csv", newline="") as stream:
            csv_rows += [{"dataset": dataset} | row for row in csv.DictReader(stream)]
    if csv_rows:
        with open(out / "results.csv", "w", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=list(csv_rows[0]))
            writer.writeheader()
            writer.writerows(csv_rows)
    return sections


def run_benchmark(config: str | Path, out: str | Path, *, workers: int = 1, scheduler: str | None = None,
                  budget_steps: int | None = None, threads: int | None = None,
                  datasets: dict[str, str] | None = None, log: Callable[[str], None] = print) -> dict:
    """Run an experiment file (or a shipped one, by name) into ``out``; returns a summary.

    Args:
        workers: cells run at once on a local Dask cluster (1: in this process).
        scheduler: the address of an existing Dask scheduler (``tcp://host:8786``) instead.
        budget_steps: every cell's ``max_steps``.
        threads: torch threads per cell (default: the cores shared among the workers).
        datasets: ``name -> dataset folder``, replacing or adding the file's datasets.

    Example:
        >>> from ichseg.benchmark import shipped_configs
        >>> "hemseg200" in shipped_configs()
        True
    """
    started = time.perf_counter()
    out = Path(out)
    experiment = load_experiment(config, datasets=datasets, budget_steps=budget_steps)
    for value in experiment.datasets.values():
        if isinstance(value, str):
            list_dataset_cases(value)  # a folder that is not a dataset is refused before OUT is touched
    _check_output(out, _record(experiment))
    threads = threads or max(1, cpu_threads() // max(1, workers))
    prepared = {name: prepare_dataset(name, value, out, experiment.split, log=log)
                for name, value in experiment.datasets.items()}
    evaluation = experiment.evaluation
    serial = scheduler is None and workers <= 1
    log(f"{experiment.name}: {len(experiment.cells)} cell(s), {len(experiment.ensembles)} ensemble(s) on "
        f"{len(prepared)} dataset(s); {'serially' if serial else scheduler or f'{workers} Dask workers'}, "
        f"{threads} thread(s) each")
    cell_tasks = [(cell.key, run_cell, (asdict(cell) | {"key": cell.key, "model": cell.model}, str(out),
                                        prepared[cell.dataset], evaluation, threads, serial))
                  for cell in experiment.cells]
    results, failures = _run_tasks(cell_tasks, out, workers=workers, scheduler=scheduler, log=log)
    finished = {result["key"] for result in results}
    ensemble_tasks = []
    for ensemble in experiment.ensembles:
        if all(member in finished for member in ensemble.members):
            ensemble_tasks.append((ensemble.key, run_ensemble, (asdict(ensemble) | {"key": ensemble.key,
                                   "model": ensemble.model}, str(out), prepared[ensemble.dataset], evaluation,
                                   threads)))
        else:
            failures.append({"key": ensemble.key, "error": "a member cell did not finish"})
    more, more_failures = _run_tasks(ensemble_tasks, out, workers=workers, scheduler=scheduler, log=log)
    results += more
    failures += more_failures
    sections = _compare(experiment, out, log)
    failure_path = out / "failures.json"
    if failures:
        failure_path.write_text(json.dumps(failures, indent=2) + "\n")
    elif failure_path.exists():
        failure_path.unlink()
    steps = sorted({cell.settings.get("max_steps") for cell in experiment.cells}, key=str)
    header = [f"# {experiment.name}", "", *([experiment.description, ""] if experiment.description else []),
              f"{len(experiment.cells)} cell(s) + {len(experiment.ensembles)} ensemble(s); training steps per cell: "
              f"{', '.join(map(str, steps))}; split: {experiment.split['split']} (seed {experiment.split['seed']}). "
              "Each cell is tested, with its final weights, on cases it did not train on; values are the mean "
              "[bootstrap 95% CI] over cases.", ""]
    if failures:
        header += [f"**{len(failures)} cell(s) failed** (see failures.json): "
                   + ", ".join(f["key"] for f in failures), ""]
    (out / "results.md").write_text("\n".join(header + sections).rstrip() + "\n")
    summary = {"name": experiment.name, "cells": len(experiment.cells), "ensembles": len(experiment.ensembles),
               "finished": len(results), "reused": sum(1 for r in results if r.get("reused")),
               "failed": failures, "seconds": round(time.perf_counter() - started, 1),
               "results": str(out / "results.md")}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    log(f"wrote {out / 'results.md'} ({summary['finished']} finished, {summary['reused']} reused, "
        f"{len(failures)} failed) in {summary['seconds']:.0f} s")
    return summary

