"""The semi-supervised trainers: each learns, mean teacher's teacher is the EMA of its
student, CPS keeps two different networks, and every one resumes to the weights of an
uninterrupted run."""

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from blob_dataset import write_blob_dataset
from ichseg.data.dataset_format import list_dataset_cases, list_unlabelled_images
from ichseg.io import read_nifti
from ichseg.models.checkpoint import LAST, load_checkpoint
from ichseg.train import TrainingConfig, run_training
from ichseg.train.data_loading import SampleDataset
from ichseg.train.ema import warmed_up_decay
from ichseg.train.experiment import fold_cases, make_splits, plan_dataset
from ichseg.train.plan import Plan
from ichseg.train.semi_supervised import sigmoid_rampup
from ichseg.train.trainer import TRAINERS
from interrupt import kill_after_checkpoint

SEMI = ("mean_teacher", "cps", "entropy_min", "ict", "self_training")
FAST = {"model": "unet", "model_options": {"channels": [8, 16, 32], "strides": [2, 2]}, "configuration": "3d",
        "patch_size": [32, 32, 8], "batch_size": 2, "unlabelled_batch_size": 2, "n_folds": 2, "num_workers": 0,
        "optimizer": "adam", "lr": 3e-3, "schedule": "constant", "augmentation": "none", "loss": "dice_ce",
        "foreground_probability": 0.8, "log_every": 5, "validate_every": 1000, "max_validation_cases": 0,
        "deep_supervision": False, "checkpoint_every": 1000, "seed": 5}


@pytest.fixture(scope="module")
def semi_dataset(tmp_path_factory):
    """Six labelled blob cases and four unlabelled ones (imagesUnlabeled/)."""
    root = write_blob_dataset(tmp_path_factory.mktemp("semi") / "dataset")
    extra = write_blob_dataset(tmp_path_factory.mktemp("semi_extra") / "dataset", n_cases=4, seed=9)
    (root / "imagesUnlabeled").mkdir()
    for entry in list_dataset_cases(extra):
        shutil.copy(entry.image, root / "imagesUnlabeled" / entry.image.name.replace("blob_", "unlabelled_"))
    return root


def _losses(folder: Path) -> list[float]:
    with open(folder / "log.csv", newline="") as stream:
        return [float(r["value"]) for r in csv.DictReader(stream) if r["kind"] == "train" and r["name"] == "loss"]


def _trainer(dataset: Path, output: Path, settings: dict):
    config = TrainingConfig().merged(FAST | settings)
    plan_dataset(dataset, output / "plan.json")
    splits = make_splits(dataset, output, config)
    entries = {e.case: e for e in list_dataset_cases(dataset)}
    train, val, folder = fold_cases(splits, config.fold, list(entries))
    plan = Plan.from_dict(json.loads((output / "plan.json").read_text()))
    return TRAINERS.entry(config.trainer).builder(
        [entries[c] for c in train], [entries[c] for c in val], output / folder, config, plan,
        cache=output / "preprocessed", progress=False, unlabelled=list_unlabelled_images(dataset))


def test_the_unlabelled_images_are_listed(semi_dataset, tmp_path):
    images = list_unlabelled_images(semi_dataset)
    assert [i.case for i in images] == [f"unlabelled_{k:03d}" for k in range(4)]
    with pytest.raises(Exception, match="does not exist"):
        list_unlabelled_images(semi_dataset, tmp_path / "nowhere")


# two of them in the default run; every one in CI's slow run (.ci/run)
LEARN_CASES = [pytest.param(t, marks=[] if t in ("entropy_min", "mean_teacher") else [pytest.mark.slow]) for t in SEMI]


@pytest.mark.parametrize("trainer", LEARN_CASES)
def test_each_trainer_learns(semi_dataset, tmp_path, trainer):
    config = TrainingConfig().merged(FAST | {"trainer": trainer, "max_steps": 40, "rampup": 0.0})
    summary = run_training(semi_dataset, tmp_path / "run", config, progress=False)
    losses = _losses(Path(summary["output"]))
    if trainer == "self_training":  # its loss gains a term when the pseudo-labels join (step 13): from there on
        losses = losses[3:]
    assert losses[-1] < 0.7 * losses[0], losses


def test_a_trainer_without_unlabelled_images_is_refused(blob_dataset, tmp_path):
    config = TrainingConfig().merged(FAST | {"trainer": "entropy_min", "max_steps": 2})
    with pytest.raises(ValueError, match="needs unlabelled images"):
        run_training(blob_dataset, tmp_path / "run", config, progress=False)


def test_the_mean_teacher_is_the_ema_of_its_student(semi_dataset, tmp_path):
    trainer = _trainer(semi_dataset, tmp_path, {"trainer": "mean_teacher"})
    decay = 0.99
    teacher = [p.detach().clone() for p in trainer.ema.module.parameters()]
    samples = SampleDataset(trainer.build_sampler(), trainer.build_augmentation(), 0)
    batches = iter(torch.utils.data.DataLoader(samples, batch_size=2, sampler=range(100)))
    for _ in range(3):
        images, labels = next(batches)
        updates = int(trainer.ema.n_averaged)
        trainer.train_step(images, labels)
        trainer.step += 1
        weight = 1 - warmed_up_decay(decay, updates)
        student = [p.detach() for p in trainer.network.parameters()]
        teacher = [t + weight * (s - t) if updates else s.clone() for t, s in zip(teacher, student)]
        for expected, actual in zip(teacher, trainer.ema.module.parameters()):
            torch.testing.assert_close(actual.detach(), expected, rtol=1e-5, atol=1e-6)
    # and the teacher is not the student
    assert any(not torch.equal(t, s) for t, s in zip(trainer.ema.module.parameters(), trainer.network.parameters()))


def test_cps_trains_two_networks_that_differ(semi_dataset, tmp_path):
    config = TrainingConfig().merged(FAST | {"trainer": "cps", "max_steps": 6})
    summary = run_training(semi_dataset, tmp_path / "run", config, progress=False)
    state = load_checkpoint(Path(summary["output"]) / LAST)
    a, b = state["model"], state["model_b"]
    assert a.keys() == b.keys()
    assert all(not torch.equal(a[k], b[k]) for k in a if a[k].is_floating_point() and a[k].numel() > 1)


# two of them in the default run; every one in CI's slow run (.ci/run)
RESUME_CASES = [pytest.param(t, marks=[] if t in ("cps", "mean_teacher") else [pytest.mark.slow]) for t in SEMI]


@pytest.mark.parametrize("trainer", RESUME_CASES)
def test_an_interrupted_run_resumes_to_the_uninterrupted_weights(semi_dataset, tmp_path, trainer, monkeypatch):
    settings = {"trainer": trainer, "max_steps": 6, "augmentation": "nnunet", "rampup": 0.5}
    config = TrainingConfig().merged(FAST | settings)
    whole = run_training(semi_dataset, tmp_path / "whole", config, progress=False)

    builder = TRAINERS.entry(trainer).builder
    original = builder.train_step

    def interrupted(self, images, labels):
        if self.step == 3:
            raise KeyboardInterrupt  # what Ctrl-C or SIGTERM does mid-run; the trainer saves its state
        return original(self, images, labels)

    monkeypatch.setattr(builder, "train_step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_training(semi_dataset, tmp_path / "cut", config, progress=False)
    monkeypatch.setattr(builder, "train_step", original)
    assert load_checkpoint(tmp_path / "cut" / "fold_0" / LAST)["step"] == 3
    run_training(semi_dataset, tmp_path / "cut", config, resume=True, progress=False)

    expected = load_checkpoint(Path(whole["output"]) / LAST)
    actual = load_checkpoint(tmp_path / "cut" / "fold_0" / LAST)
    for key in ("model", "model_b", "ema"):
        if expected.get(key) is None:
            continue
        for name, value in expected[key].items():
            assert torch.equal(actual[key][name], value), f"{key}.{name} differs after the resume"


@pytest.mark.slow  # a subprocess killed mid-run: in CI's slow run (.ci/run)
def test_a_killed_cps_run_resumes_to_the_uninterrupted_weights(semi_dataset, tmp_path):
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(FAST | {"trainer": "cps", "max_steps": 24, "checkpoint_every": 4,
                                                  "augmentation": "nnunet", "rampup": 0.5}))

    def command(output, *extra):
        return [sys.executable, "-m", "ichseg", "train", str(semi_dataset), "-o", str(output), "--config-file",
                str(config_file), "--no-progress", *extra]

    subprocess.run(command(tmp_path / "whole"), check=True, capture_output=True)
    last = tmp_path / "killed" / "fold_0" / LAST
    # no chance to save: the run goes on from its last checkpoint
    assert 8 <= kill_after_checkpoint(command(tmp_path / "killed"), last, 8) < 24, "the run was not interrupted mid-way"
    subprocess.run(command(tmp_path / "killed", "--resume"), check=True, capture_output=True)
    whole = load_checkpoint(tmp_path / "whole" / "fold_0" / LAST)
    resumed = load_checkpoint(last)
    assert resumed["step"] == whole["step"] == 24
    for key in ("model", "model_b"):  # both networks of the pair
        for name, value in whole[key].items():
            assert torch.equal(resumed[key][name], value), f"{key}.{name} differs after the resume"


def test_self_training_keeps_the_confident_half_each_round(semi_dataset, tmp_path):
    config = TrainingConfig().merged(FAST | {"trainer": "self_training", "max_steps": 6})
    summary = run_training(semi_dataset, tmp_path / "run", config, progress=False)
    fold = Path(summary["output"])
    rounds = json.loads((fold / "self_training.json").read_text())
    assert [r["round"] for r in rounds] == [1, 2] and [r["step"] for r in rounds] == [2, 4]
    for entry in rounds:
        kept = json.loads((fold / "self_training" / f"round_{entry['round']}" / "kept.json").read_text())
        assert len(kept["kept"]) == 2 and len(kept["confidence"]) == 4  # half of the 4 unlabelled images
        ranked = sorted(kept["confidence"], key=lambda name: -kept["confidence"][name])
        assert kept["kept"] == ranked[:2]  # the most confident ones


def test_the_rampup_rises_to_the_full_weight():
    values = [sigmoid_rampup(step, 40) for step in range(0, 50, 10)]
    assert values == sorted(values) and values[0] < 0.01 and values[-1] == 1.0


@pytest.mark.slow  # two processes each: in CI's slow run (.ci/run)
@pytest.mark.parametrize("trainer", ["cps", "mean_teacher", "self_training"])
def test_two_process_gloo_ddp(semi_dataset, tmp_path, trainer):
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(FAST | {"trainer": trainer, "max_steps": 6}))
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29531",
               "-m", "ichseg", "train", str(semi_dataset), "-o", str(tmp_path / "ddp"), "--config-file",
               str(config_file), "--device", "cpu", "--no-progress"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((tmp_path / "ddp" / "fold_0" / "summary.json").read_text())
    assert summary["world_size"] == 2 and summary["steps"] == 6


@pytest.fixture(scope="module")
def weak_dataset(semi_dataset, tmp_path_factory):
    """The semi dataset whose unlabelled images carry slice labels (from their blob labels)."""
    root = tmp_path_factory.mktemp("weak") / "dataset"
    shutil.copytree(semi_dataset, root)
    extra = write_blob_dataset(tmp_path_factory.mktemp("weak_labels") / "dataset", n_cases=4, seed=9)
    with open(root / "slice_labels.csv", "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=["case", "slice", "IPH", "IVH", "SAH", "SDH", "EDH", "PHE", "any"])
        writer.writeheader()
        for entry in list_dataset_cases(extra):
            labels = np.asarray(read_nifti(entry.label).array)
            for k in range(labels.shape[2]):
                present = {name: int((labels[..., k] == value).any()) for name, value in
                           (("IPH", 1), ("IVH", 2), ("SAH", 3), ("SDH", 4), ("EDH", 5), ("PHE", 6))}
                writer.writerow({"case": entry.case.replace("blob_", "unlabelled_"), "slice": k, **present,
                                 "any": int(any(present[n] for n in ("IPH", "IVH", "SAH", "SDH", "EDH")))})
    return root


@pytest.mark.parametrize("trainer", ["entropy_min", pytest.param("cps", marks=pytest.mark.slow)])
def test_slice_labels_add_a_weak_term(weak_dataset, tmp_path, trainer):
    runs = {}
    for weight in (0.0, 1.0):
        config = TrainingConfig().merged(FAST | {"trainer": trainer, "max_steps": 4, "weak_weight": weight})
        summary = run_training(weak_dataset, tmp_path / f"w{weight}", config, progress=False)
        runs[weight] = load_checkpoint(Path(summary["output"]) / LAST)["model"]
    assert any(not torch.equal(runs[0.0][k], runs[1.0][k]) for k in runs[0.0])  # the term changed the training


def test_weak_labels_are_refused_where_they_cannot_apply(weak_dataset, semi_dataset, tmp_path):
    with pytest.raises(ValueError, match="cannot use slice labels"):
        run_training(weak_dataset, tmp_path / "ict", TrainingConfig().merged(
            FAST | {"trainer": "ict", "max_steps": 2, "weak_weight": 1.0}), progress=False)
    with pytest.raises(ValueError, match="no unlabelled image has rows in slice_labels.csv"):
        run_training(semi_dataset, tmp_path / "none", TrainingConfig().merged(
            FAST | {"trainer": "entropy_min", "max_steps": 2, "weak_weight": 1.0}), progress=False)
