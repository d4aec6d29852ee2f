"""``adapt_bundle``: fine-tune a model bundle on a site's own unlabelled scans with a
registered semi-supervised trainer, a labelled anchor set in every batch, and a refusal to
write the new bundle when the anchor's Dice falls by more than a stated margin.

Stages, each kept in ``OUT.partial/`` so that an interrupted run continues where it stopped:
copy the scans (any input ``ichseg predict`` reads, as NIfTI), make the anchor, score the
source model (anchor Dice, predictions on the scans), train, score the candidate the same
way, then either publish ``OUT`` (bundle, card) or refuse and keep the partial folder with
the report.

Example (from a shell)::

    ichseg adapt -i SITE_SCANS/ -o site_model --steps 300
    ichseg predict -i new_scan.nii.gz -o out --model site_model
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..data.dataset_format import DatasetCase
from ..evaluate.case import EvaluationConfig, evaluate_case
from ..infer.bundle import BUNDLED, DESCRIPTION, ModelBundle, bundled_model_path, export_bundle, load_bundle
from ..infer.inputs import CaseInput, list_case_inputs
from ..infer.predictor import Predictor
from ..io import InputError, read_nifti, read_volume, write_nifti
from ..io.atomic import atomic_path
from ..models.checkpoint import load_checkpoint
from ..train.config import TrainingConfig
from ..train.experiment import run_training
from .anchor import prepare_anchor
from .card import model_card
from .changes import prediction_changes

REPORT = "adapt.json"


class AdaptRefused(Exception):
    """The candidate's anchor Dice fell by more than the allowed margin: no bundle was written."""


@dataclass(frozen=True)
class AdaptConfig:
    """How to adapt.

    Args:
        trainer: a registered semi-supervised trainer (``ichseg train --trainer``).
        steps: training steps (each: a labelled anchor batch + a batch of the site's scans).
        lr: learning rate; ``None``: a tenth of the source model's own.
        batch_size: ``None``: the source model's.
        anchor: a labelled dataset folder as the anchor; ``None``: generated synthetic heads.
        anchor_cases: how many synthetic anchor heads (a quarter is held out).
        max_dice_drop: the largest fall of the held-out anchor's mean Dice(any) accepted.
        report_scans: the site scans (first by name) whose predictions are compared in the card.
        seed: training, anchor generation and split.
    """

    trainer: str = "mean_teacher"
    steps: int = 300
    lr: float | None = None
    batch_size: int | None = None
    anchor: str | None = None
    anchor_cases: int = 16
    max_dice_drop: float = 0.05
    report_scans: int = 20
    seed: int = 0

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        if self.anchor_cases < 2:
            raise ValueError(f"anchor_cases must be >= 2 (training and validation), got {self.anchor_cases}")
        if self.report_scans < 1:
            raise ValueError(f"report_scans must be >= 1, got {self.report_scans}")
        from ..train.trainer import TRAINERS  # noqa: PLC0415  (the registry imports the trainers)

        try:
            entry = TRAINERS.entry(self.trainer)
        except KeyError as error:
            raise ValueError(error.args[0]) from None
        if not getattr(entry.builder, "uses_unlabelled", False):
            raise ValueError(f"trainer {self.trainer!r} does not learn from unlabelled scans; "
                             "choose a semi-supervised one (mean_teacher, cps, entropy_min, ict, self_training)")


def _bundle_folder(model: str) -> Path:
    return bundled_model_path(model) if model in BUNDLED else Path(model)


def _copy_scans(cases: list[CaseInput], folder: Path, log) -> tuple[list[str], list[dict]]:
    """Every readable scan of ``cases`` as ``folder/NAME.nii.gz`` (read as predict reads it);
    unreadable ones are listed with why, and skipped."""
    folder.mkdir(parents=True, exist_ok=True)
    names, skipped = [], []
    for k, case in enumerate(cases, 1):
        target = folder / f"{case.case}.nii.gz"
        if case.error:
            skipped.append({"scan": case.case, "why": case.error.removeprefix(f"{case.path}: ")})
            continue
        if not target.exists():
            try:
                volume = read_volume(case.path)
            except InputError as error:
                skipped.append({"scan": case.case, "why": str(error).removeprefix(f"{case.path}: ")})
                log(f"  skipped {error}")
                continue
            write_nifti(volume, target, dtype=np.float32)
        names.append(case.case)
        if k % 25 == 0 or k == len(cases):
            log(f"  scans {k}/{len(cases)}")
    return names, skipped


def anchor_dice(predictor: Predictor, cases: list[DatasetCase]) -> dict[str, float]:
    """Dice(any) per held-out anchor case (both empty: 1; one empty: 0)."""
    config = EvaluationConfig(regions=("any",))
    scores = {}
    for case in cases:
        labels = predictor.predict(read_volume(case.image))
        reference = read_nifti(case.label, nan_as_air=False)
        rows = evaluate_case(labels.array, np.rint(reference.array).astype(np.uint8), reference.spacing, config)
        scores[case.case] = float(rows[0]["dice"])
    return scores


def _score(bundle: ModelBundle, anchor_cases: list[DatasetCase], scans: list[Path], folder: Path, log,
           threads: int | None) -> dict:
    """Anchor Dice and the scans' label maps of one model (saved in ``folder``; reused when there)."""
    record = folder / "score.json"
    if record.exists():
        return json.loads(record.read_text())
    predictor = Predictor([bundle], device="cpu")
    if threads:  # the predictor takes every core by default
        torch.set_num_threads(threads)
    log(f"  {bundle.name}: {len(anchor_cases)} held-out anchor case(s), {len(scans)} site scan(s)")
    dice = anchor_dice(predictor, anchor_cases)
    for scan in scans:
        write_nifti(predictor.predict(read_volume(scan)), folder / scan.name, dtype=np.uint8)
    result = {"anchor_dice": dice, "mean_anchor_dice": float(np.mean(list(dice.values())))}
    with atomic_path(record) as temporary:
        temporary.write_text(json.dumps(result, indent=1) + "\n")
    return result


def _label_maps(folder: Path, scans: list[Path]) -> dict[str, tuple[np.ndarray, float]]:
    maps = {}
    for scan in scans:
        volume = read_nifti(folder / scan.name, nan_as_air=False)
        maps[scan.name.removesuffix(".nii.gz")] = (np.asarray(volume.array).astype(np.uint8),
                                                   volume.voxel_volume_ml)
    return maps


def training_config(source: ModelBundle, source_path: str, config: AdaptConfig, scans: Path) -> TrainingConfig:
    """The source model's own training settings (when its bundle records them), with the
    network fixed to the source's and fine-tuning values for the rest."""
    spec = source.spec
    recorded = dict(source.description.training.get("config") or {})
    known = {f.name for f in dataclasses.fields(TrainingConfig)}
    base = {k: v for k, v in recorded.items() if k in known}
    lr = config.lr if config.lr is not None else 0.1 * float(base.get("lr", 1e-2))
    settings = base | {
        "trainer": config.trainer, "model": spec.model, "model_options": dict(spec.options),
        "configuration": "2d" if spec.spatial_dims == 2 else "3d", "context_slices": spec.context_slices,
        "spacing": list(spec.spacing), "patch_size": list(spec.patch_size), "normalization": dict(spec.normalization),
        "initial_weights": source_path, "max_steps": config.steps, "lr": lr, "seed": config.seed,
        "unlabelled": str(scans), "fold": "all", "max_validation_cases": 0, "num_workers": 0,
        "warmup_steps": min(int(base.get("warmup_steps", 0)), config.steps // 10), "weak_weight": 0.0,
        "checkpoint_every": max(1, min(50, config.steps // 4)), "log_every": max(1, min(25, config.steps // 4)),
        "ema_decay": None, "batch_size": config.batch_size or base.get("batch_size")}
    return TrainingConfig().merged(settings)


def _request(source: ModelBundle, scans: list[str], config: AdaptConfig) -> dict:
    return {"source": source.name, "source_sha256": source.description.sha256, "scans": scans,
            "config": dataclasses.asdict(config)}


def _check_request(work: Path, request: dict) -> None:
    path = work / "request.json"
    if path.exists() and json.loads(path.read_text()) != request:
        raise InputError(work, "holds an adaptation with other settings or scans; delete it or choose another -o")
    path.write_text(json.dumps(request, indent=1) + "\n")


def adapt_bundle(model: str, scans: str | Path, out: str | Path, config: AdaptConfig = AdaptConfig(), *,
                 threads: int | None = None, progress: bool = True, log=print) -> dict:
    """Adapt ``model`` (a bundled name or a bundle folder) to the scans in ``scans``; write the
    new bundle to ``out`` and return its adaptation record.

    Raises:
        InputError: ``out`` exists, no scan is readable, the anchor is unusable, the model is not a bundle.
        AdaptRefused: the held-out anchor's Dice fell by more than ``config.max_dice_drop``;
            nothing is written to ``out`` (the run and its report stay in ``OUT.partial``).
    """
    started = time.perf_counter()
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise InputError(out, "exists and is not empty; choose a new folder for the adapted bundle")
    if threads:
        torch.set_num_threads(threads)
    try:
        source = load_bundle(model)
    except ValueError as error:
        raise InputError(model, str(error).removeprefix(f"{model}: ")) from None
    source_path = str(_bundle_folder(model))
    cases = list_case_inputs(scans)
    work = out.with_name(out.name + ".partial")
    fresh = not work.exists()
    work.mkdir(parents=True, exist_ok=True)
    _check_request(work, _request(source, [case.case for case in cases], config))
    log(f"adapting {source.name} to the scans in {scans} (work in {work})")
    names, skipped = _copy_scans(cases, work / "scans", log)
    if not names:
        if fresh:
            shutil.rmtree(work)
        raise InputError(scans, "no readable scan to adapt on" + (f" ({skipped[0]['why']})" if skipped else ""))
    anchor = prepare_anchor(work, dataset=config.anchor, n_cases=config.anchor_cases, seed=config.seed, log=log)
    report_scans = [work / "scans" / f"{name}.nii.gz" for name in names[: config.report_scans]]
    log("scoring the source model")
    before = _score(source, anchor.validation, report_scans, work / "before", log, threads)
    settings = training_config(source, source_path, config, work / "scans")
    log(f"training: {config.trainer}, {config.steps} steps, lr {settings.lr:g}, {len(names)} site scan(s)")
    fold = work / "train" / "fold_all"
    summary = run_training(anchor.train_folder, work / "train", settings,
                           resume=(fold / "checkpoint_last.pt").exists(), progress=progress)
    candidate_folder = work / "candidate"
    if not (candidate_folder / DESCRIPTION).exists():
        checkpoint = load_checkpoint(fold / "checkpoint_last.pt")
        export_bundle(checkpoint, candidate_folder, name=f"{source.name}_adapted",
                      training={"config": checkpoint["config"], "steps": checkpoint["step"]},
                      half=source.description.dtype == "float16")
    candidate = load_bundle(candidate_folder)
    log("scoring the adapted model")
    after = _score(candidate, anchor.validation, report_scans, work / "after", log, threads)
    drop = before["mean_anchor_dice"] - after["mean_anchor_dice"]
    changes = prediction_changes(_label_maps(work / "before", report_scans), _label_maps(work / "after", report_scans))
    record = {
        "source": {"name": source.name, "sha256": source.description.sha256, "path": source_path},
        "trainer": config.trainer, "steps": int(summary.get("steps", config.steps)), "lr": settings.lr,
        "batch_size": settings.batch_size, "seed": config.seed,
        "scans": {"folder": str(scans), "used": len(names), "skipped": skipped, "compared": len(report_scans)},
        "anchor": {"what": anchor.source, "validation_cases": [c.case for c in anchor.validation],
                   "dice_any_before": round(before["mean_anchor_dice"], 4),
                   "dice_any_after": round(after["mean_anchor_dice"], 4), "drop": round(drop, 4),
                   "max_drop": config.max_dice_drop},
        "predictions": changes,
        "accepted": bool(drop <= config.max_dice_drop),
        "seconds": round(time.perf_counter() - started, 1)}
    (work / REPORT).write_text(json.dumps(record, indent=1) + "\n")
    if not record["accepted"]:
        raise AdaptRefused(f"{out}: not written: the held-out anchor's Dice(any) fell from "
                           f"{before['mean_anchor_dice']:.3f} to {after['mean_anchor_dice']:.3f} (by {drop:.3f}, "
                           f"more than the allowed {config.max_dice_drop:g}); the run and its report are in {work}")
    _publish(candidate_folder, out, record)
    shutil.rmtree(work)
    log(f"wrote {out}: anchor Dice(any) {before['mean_anchor_dice']:.3f} -> {after['mean_anchor_dice']:.3f}; "
        f"changed voxels {changes['changed_voxel_share']:.2%} of all, "
        f"{changes['changed_blood_voxel_share']:.1%} of those called blood")
    return record


def _publish(candidate: Path, out: Path, record: dict) -> None:
    """The candidate with the adaptation in ``bundle.json``'s metrics and its card, renamed into place."""
    description = json.loads((candidate / DESCRIPTION).read_text())
    description["metrics"] = dict(description.get("metrics") or {}) | {"adaptation": record}
    (candidate / DESCRIPTION).write_text(json.dumps(description, indent=1) + "\n")
    (candidate / "MODEL_CARD.md").write_text(model_card(description["name"], record))
    if out.exists():
        out.rmdir()  # an empty folder (checked above)
    out.parent.mkdir(parents=True, exist_ok=True)
    candidate.rename(out)
