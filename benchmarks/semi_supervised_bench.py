"""BHSD's Task 2 and Task 3 at CPU scale, and adapting a model to another scanner's heads.

The same small nnU-Net-style 2D network (``ichseg benchmark kok_losses``'s, with batch Dice), the
same labelled subset, the same number of training steps for every method, several seeds:

- **task2** (pixel labels + unlabelled volumes): supervised-only on the labelled subset against
  mean teacher, cross pseudo supervision, entropy minimisation, interpolation consistency and
  self-training with the unlabelled volumes;
- **task3** (+ slice-labelled volumes, about half without blood): CPS and mean teacher with the
  weak slice term, against the same supervised-only cells;
- **shift** (what ``ichseg adapt`` is for): the supervised model trained on procedural heads only
  is adapted (mean teacher, the labelled procedural set as anchor) on unlabelled scans built on
  the real GE head CT, and tested on labelled GE-base scans before and after.

Every method is scored by Dice(any) on the same held-out labelled cases (every one with blood):
per case the mean over seeds, then the mean with a bootstrap 95% CI over cases, each seed's
mean, and a paired Wilcoxon signed-rank test against supervised-only (per case, seed means).
Cells resume (``ichseg benchmark``'s ``done.json``); a rerun continues where one stopped.

Usage::

    python benchmarks/semi_supervised_bench.py                       # all parts, the defaults below
    python benchmarks/semi_supervised_bench.py --parts task2 --threads 1 &      # two processes of
    python benchmarks/semi_supervised_bench.py --parts task3 shift --threads 1  # one thread each

Writes ``OUT/semi_supervised.json`` and ``OUT/semi_supervised.md`` (default
``benchmarks/results/semi_supervised``); the work (data, cells) goes to ``--work``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import yaml

from ichseg.benchmark import run_benchmark
from ichseg.data.synth import SynthConfig, generate_dataset
from ichseg.resources import example_path
from ichseg.stats.bootstrap import bootstrap_ci
from ichseg.stats.group_tests import wilcoxon_paired

# kok_losses' CPU-scale 2D nnU-Net-style network (src/ichseg/benchmark/configs/kok_losses.yaml): at
# the same wall time it takes ~4x the steps of bhsd_semi's 3D one. Batch Dice: with per-sample Dice
# over six classes, every 2D and 3D cell tried (150-600 steps) settled on background only (Dice(any)
# 0.000, loss ~6/7); with batch Dice the supervised 2D cell reached 0.350 at 400 steps (measured).
TRAINING = {"recipe": "nnunet", "spacing": [2.0, 2.0, 5.0], "optimizer": "adamw", "lr": 1.0e-2,
            "loss_options": {"batch": True}, "foreground_probability": 0.5, "split": "holdout",
            "checkpoint_every": 50, "log_every": 50}
NETWORK_NAME = "nnunet_2d"
NETWORK = {"model": "dynunet", "configuration": "2d", "patch_size": [96, 96], "batch_size": 8, "model_options": {
    "kernel_size": [[3, 3], [3, 3], [3, 3], [3, 3]], "strides": [[1, 1], [2, 2], [2, 2], [2, 2]],
    "filters": [8, 16, 32, 64]}}
TASK2_METHODS = {"supervised": {}, "mean_teacher": {}, "cps": {}, "entropy_min": {}, "ict": {}, "self_training": {}}
TASK3_TRAINERS = ("cps", "mean_teacher")
GE_BASE = "ge_head_ct"
DATA_SEED, SHIFT_SEED = 23, 29


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def synth_config(negatives: float = 0.0) -> SynthConfig:
    return SynthConfig(negative_fraction=negatives, pixel_mm=1.0, slice_mm=5.0)


def make_data(work: Path, args: argparse.Namespace) -> dict[str, Path]:
    """One generated set (labelled, unlabelled, slice-labelled) and a Task 2 view of it without
    the slice-labelled volumes; generation is seeded, so both views hold the same cases."""
    full = work / "data" / "task3"
    if not (full / "dataset.json").exists():
        partial = full.with_name("task3.partial")
        shutil.rmtree(partial, ignore_errors=True)
        total = args.labelled + args.test + args.unlabelled + args.weak
        log(f"generating {total} synthetic heads in {full}")
        generate_dataset(partial, args.labelled + args.test, DATA_SEED, synth_config(), n_unlabeled=args.unlabelled,
                         n_weak=args.weak, weak_negative_fraction=0.5,
                         progress=lambda done, n: log(f"  {done}/{n}") if done % 25 == 0 or done == n else None)
        partial.rename(full)
    view = work / "data" / "task2"
    if not (view / "dataset.json").exists():
        partial = view.with_name("task2.partial")
        shutil.rmtree(partial, ignore_errors=True)
        (partial / "imagesUnlabeled").mkdir(parents=True)
        for name in ("imagesTr", "labelsTr"):
            (partial / name).symlink_to((full / name).resolve(), target_is_directory=True)
        with open(full / "cases.csv", newline="") as stream:
            rows = list(csv.DictReader(stream))
        for row in rows:
            if row["split"] == "unlabeled":
                image = f"{row['case']}_0000.nii.gz"
                (partial / "imagesUnlabeled" / image).symlink_to((full / "imagesUnlabeled" / image).resolve())
        shutil.copy(full / "dataset.json", partial / "dataset.json")
        with open(partial / "cases.csv", "w", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(row for row in rows if row["split"] != "weak")
        partial.rename(view)
    return {"task2": view, "task3": full}


def labelled_cases(data: Path) -> list[str]:
    return sorted(p.name[: -len(".nii.gz")] for p in (data / "labelsTr").glob("*.nii.gz"))


def write_split(run: Path, dataset: str, cases: list[str], n_train: int) -> None:
    """The fixed protocol: the first ``n_train`` cases train, the rest are the held-out test set
    (written before ``ichseg benchmark`` runs, which then reuses it)."""
    path = run / "datasets" / dataset / "experiment" / "splits.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    split = {"scheme": "holdout", "split": {"train": cases[:n_train], "val": [], "test": cases[n_train:]}}
    if path.exists() and json.loads(path.read_text()) != split:
        raise SystemExit(f"{path}: another split is there already; use a new --work folder")
    path.write_text(json.dumps(split, indent=1) + "\n")


def task3_methods(weight: float) -> dict:
    """Task 3's cells at one weak-term weight (each weight trains in a run folder of its own)."""
    return {f"{trainer}_weak": {"trainer": trainer, "weak_weight": weight} for trainer in TASK3_TRAINERS}


def run_task(name: str, data: Path, methods: dict, args: argparse.Namespace, run_name: str | None = None) -> Path:
    run = args.work / "runs" / (run_name or name)
    write_split(run, name, labelled_cases(data), args.labelled)
    trainers = {f"{method}_s{seed}": {"trainer": method} | settings | {"seed": seed}
                for method, settings in methods.items() for seed in args.seeds}
    experiment = {"name": f"semi_supervised_{name}", "datasets": {name: str(data)},
                  "training": TRAINING | {"max_steps": args.steps}, "networks": {NETWORK_NAME: NETWORK},
                  "losses": ["dice_ce"], "trainers": trainers, "folds": [0],
                  "evaluation": {"regions": ["any"]}, "compare": {"regions": ["any"], "bootstrap": 1000}}
    config = args.work / f"{name}.yaml"
    config.write_text(yaml.safe_dump(experiment, sort_keys=False))
    log(f"{name}: {len(trainers)} cells of {args.steps} steps")
    run_benchmark(config, run, threads=args.threads, log=log)
    return run


def cell_dice(run: Path, dataset: str, label: str) -> dict[str, float]:
    """Dice(any) per test case of one finished cell."""
    path = run / "cells" / dataset / f"{NETWORK_NAME}__dice_ce__{label}" / "fold_0" / "metrics.csv"
    with open(path, newline="") as stream:
        return {row["case"]: float(row["dice"]) for row in csv.DictReader(stream) if row["region"] == "any"}


def method_scores(run: Path, dataset: str, method: str, seeds: list[int]) -> dict:
    per_seed = [cell_dice(run, dataset, f"{method}_s{seed}") for seed in seeds]
    cases = sorted(per_seed[0])
    return {"cases": cases, "per_case": [float(np.mean([s[c] for s in per_seed])) for c in cases],
            "seed_means": [float(np.mean(list(s.values()))) for s in per_seed]}


def summarise(scores: dict, reference: dict | None, seed: int = 0) -> dict:
    values = scores["per_case"]
    low, high = bootstrap_ci(values, n_resamples=2000, seed=seed)
    row = {"dice_any": float(np.mean(values)), "ci95": [low, high], "n_cases": len(values),
           "seed_means": scores["seed_means"]}
    if reference is not None:
        assert scores["cases"] == reference["cases"], "methods were tested on different cases"
        row["vs_supervised"] = wilcoxon_paired(values, reference["per_case"])
    return row


def make_shift_data(work: Path, args: argparse.Namespace) -> dict[str, Path]:
    """Scans built on the real GE head CT: unlabelled (to adapt on) and labelled (to test on)."""
    folders = {}
    base = [example_path(GE_BASE)]
    for kind, seed, labelled, unlabelled in (("ge_unlabelled", SHIFT_SEED, 0, args.shift_scans),
                                             ("ge_test", SHIFT_SEED + 1, args.test, 0)):
        folder = work / "data" / kind
        if not (folder / "dataset.json").exists():
            partial = folder.with_name(kind + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            log(f"generating {labelled + unlabelled} GE-base heads in {folder}")
            generate_dataset(partial, labelled, seed, synth_config(), n_unlabeled=unlabelled, bases=base,
                             base_fraction=1.0)
            partial.rename(folder)
        folders[kind] = folder
    return folders


def dice_on(bundle: Path, data: Path) -> dict[str, float]:
    """Dice(any) per labelled case of ``data`` (scored as ``ichseg adapt`` scores its anchor)."""
    from ichseg.adapt.run import anchor_dice
    from ichseg.data.dataset_format import list_dataset_cases
    from ichseg.infer.bundle import load_bundle
    from ichseg.infer.predictor import Predictor

    return anchor_dice(Predictor([load_bundle(bundle)], device="cpu"), list_dataset_cases(data))


def run_shift(task2_run: Path, data: dict[str, Path], args: argparse.Namespace) -> dict:
    """Adapt the procedural-only supervised models (one per seed) to GE-base scans."""
    from ichseg.adapt import AdaptConfig, AdaptRefused, adapt_bundle
    from ichseg.infer.bundle import export_bundle
    from ichseg.models.checkpoint import load_checkpoint

    shift = make_shift_data(args.work, args)
    anchor = args.work / "data" / "anchor"  # the labelled procedural training cases, as adapt's anchor
    if not anchor.exists():
        anchor.mkdir(parents=True)
        for name in ("imagesTr", "labelsTr"):
            (anchor / name).mkdir()
        for case in labelled_cases(data["task2"])[: args.labelled]:
            for folder, file in (("imagesTr", f"{case}_0000.nii.gz"), ("labelsTr", f"{case}.nii.gz")):
                (anchor / folder / file).symlink_to((data["task2"] / folder / file).resolve())
        shutil.copy(data["task2"] / "dataset.json", anchor / "dataset.json")
    seeds = {}
    for seed in args.seeds:
        folder = args.work / "shift" / f"seed_{seed}"
        source = folder / "source_bundle"
        if not (source / "bundle.json").exists():
            done = json.loads((task2_run / "cells" / "task2" / f"{NETWORK_NAME}__dice_ce__supervised_s{seed}" / "fold_0"
                               / "done.json").read_text())
            checkpoint = load_checkpoint(done["checkpoint"])
            # the recipe travels in training["config"], so that adapt trains with it
            export_bundle(checkpoint, source, name=f"procedural_supervised_s{seed}",
                          training={"config": checkpoint["config"], "steps": checkpoint["step"]}, half=False)
        adapted = folder / "adapted_bundle"
        config = AdaptConfig(trainer="mean_teacher", steps=args.steps, seed=seed, anchor=str(anchor),
                             max_dice_drop=args.max_dice_drop)
        refused = None
        if not (adapted / "bundle.json").exists():
            log(f"shift seed {seed}: adapting on {args.shift_scans} GE-base scans")
            try:
                adapt_bundle(str(source), shift["ge_unlabelled"] / "imagesUnlabeled", adapted, config,
                             threads=args.threads, log=log)
            except AdaptRefused as error:
                refused = str(error)
        before = dice_on(source, shift["ge_test"])
        after = dice_on(adapted, shift["ge_test"]) if refused is None else None
        card = json.loads((adapted / "bundle.json").read_text())["metrics"]["adaptation"] if after else None
        seeds[seed] = {"before": before, "after": after, "refused": refused, "card": card}
    cases = sorted(seeds[args.seeds[0]]["before"])
    out = {"cases": cases, "seeds": {str(k): v for k, v in seeds.items()}}
    for when in ("before", "after"):
        usable = [v[when] for v in seeds.values() if v[when] is not None]
        if usable:
            per_case = [float(np.mean([u[c] for u in usable])) for c in cases]
            out[when] = summarise({"cases": cases, "per_case": per_case,
                                   "seed_means": [float(np.mean(list(u.values()))) for u in usable]}, None)
            out[when]["per_case"] = per_case
    if "after" in out:
        out["after"]["vs_before"] = wilcoxon_paired(out["after"]["per_case"], out["before"]["per_case"])
    return out


def fmt(row: dict) -> str:
    low, high = row["ci95"]
    return f"{row['dice_any']:.3f} [{low:.3f}, {high:.3f}]"


def markdown(result: dict) -> str:
    lines = ["# Semi-supervised and semi-weakly-supervised training at CPU scale", "",
             f"{result['protocol']}", "",
             "| task | method | Dice(any) mean [95% CI] | per-seed means | vs supervised: median diff, p |",
             "|---|---|---|---|---|"]
    for task in ("task2", "task3"):
        for method, row in result.get(task, {}).items():
            test = row.get("vs_supervised")
            versus = (f"{test['median_difference']:+.3f}, p = {test['p']:.3g}" if test and test.get("p") is not None
                      else "—")
            seeds = ", ".join(f"{v:.3f}" for v in row["seed_means"])
            lines.append(f"| {task} | {method} | {fmt(row)} | {seeds} | {versus} |")
    shift = result.get("shift")
    if shift:
        lines += ["", "## Domain shift: procedural heads -> GE-base heads (`ichseg adapt`, mean teacher)", "",
                  "| model | Dice(any) on GE-base test [95% CI] | per-seed means |", "|---|---|---|"]
        for when in ("before", "after"):
            if when in shift:
                seeds = ", ".join(f"{v:.3f}" for v in shift[when]["seed_means"])
                lines.append(f"| {when} adaptation | {fmt(shift[when])} | {seeds} |")
        if "after" in shift:
            test = shift["after"]["vs_before"]
            lines += ["", f"after vs before (Wilcoxon, per case): median difference "
                          f"{test['median_difference']:+.3f}, p = {test['p']:.3g}"]
        refused = [f"seed {k}: {v['refused']}" for k, v in shift["seeds"].items() if v["refused"]]
        if refused:
            lines += ["", "Refused adaptations: " + "; ".join(refused)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", default=["task2", "task3", "shift"], choices=["task2", "task3", "shift"])
    parser.add_argument("--steps", type=int, default=400, help="training steps per cell (every method the same)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--labelled", type=int, default=12)
    parser.add_argument("--test", type=int, default=16, help="held-out labelled cases (all with blood)")
    parser.add_argument("--unlabelled", type=int, default=100)
    parser.add_argument("--weak", type=int, default=100, help="slice-labelled cases, about half without blood")
    parser.add_argument("--shift-scans", type=int, default=30, help="unlabelled GE-base scans to adapt on")
    parser.add_argument("--max-dice-drop", type=float, default=0.05)
    parser.add_argument("--weak-weights", type=float, nargs="+", default=[1.0, 0.1],
                        help="task3: the slice-label term's weight, one set of cells each")
    parser.add_argument("--threads", type=int, default=max(1, len(os.sched_getaffinity(0))))
    parser.add_argument("--work", type=Path, default=Path("/tmp/ichseg_semi_supervised"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/semi_supervised"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    data = make_data(args.work, args)
    found: dict = {"protocol": (
        f"{args.labelled} labelled procedural heads (all with blood), {args.unlabelled} unlabelled, {args.weak} "
        f"slice-labelled (about half without blood); tested on {args.test} held-out labelled heads; "
        f"one 2D nnU-Net-style network (filters 8-64, 96x96 patches at 2x2 mm, 5 mm slices), batch Dice+CE, "
        f"AdamW, {args.steps} steps per cell; seeds {', '.join(map(str, args.seeds))}; Dice(any) per case "
        "averaged over seeds, mean with a bootstrap 95% CI over cases; paired Wilcoxon signed-rank test against "
        f"supervised-only; task3's weak term weights {', '.join(f'{w:g}' for w in args.weak_weights)}.")}
    task2_run = args.work / "runs" / "task2"
    supervised_done = [task2_run / "cells" / "task2" / f"{NETWORK_NAME}__dice_ce__supervised_s{seed}" / "fold_0"
                       / "done.json" for seed in args.seeds]
    if "task2" in args.parts:
        run_task("task2", data["task2"], TASK2_METHODS, args)
        reference = method_scores(task2_run, "task2", "supervised", args.seeds)
        found["task2"] = {m: summarise(method_scores(task2_run, "task2", m, args.seeds),
                                       None if m == "supervised" else reference) for m in TASK2_METHODS}
    if "task3" in args.parts:
        task3_runs = {weight: run_task("task3", data["task3"], task3_methods(weight), args, f"task3_w{weight:g}")
                      for weight in args.weak_weights}
        if all(path.exists() for path in supervised_done):  # task2 may run in another process
            reference = method_scores(task2_run, "task2", "supervised", args.seeds)
            found["task3"] = {f"{m}_w{weight:g}": summarise(method_scores(run, "task3", m, args.seeds), reference)
                              for weight, run in task3_runs.items() for m in task3_methods(weight)}
        else:
            log("task3: its supervised reference (task2) is not finished; rerun with --parts task3 after it")
    if "shift" in args.parts:
        if not all(path.exists() for path in supervised_done):
            run_task("task2", data["task2"], {"supervised": {}}, args)
        found["shift"] = run_shift(task2_run, data, args)
    found[f"seconds_{'_'.join(args.parts)}"] = round(time.perf_counter() - started, 1)
    found["threads"] = args.threads
    # parts may run as separate processes: merge with what the others wrote meanwhile
    args.out.mkdir(parents=True, exist_ok=True)
    result_path = args.out / "semi_supervised.json"
    result = json.loads(result_path.read_text()) if result_path.exists() else {}
    result.update(found)
    result_path.write_text(json.dumps(result, indent=1) + "\n")
    (args.out / "semi_supervised.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
