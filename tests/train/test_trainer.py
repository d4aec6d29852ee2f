import csv
import dataclasses
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from ichseg.models.checkpoint import LAST, load_checkpoint
from ichseg.models.network_spec import build_network
from ichseg.train import TrainingConfig, recipe_settings, run_training
from ichseg.train.recipes import RECIPES
from ichseg.train.trainer import SupervisedTrainer, network_spec
from interrupt import kill_after_checkpoint

SMALL_UNET = {"model": "unet", "model_options": {"channels": [8, 16, 32, 64], "strides": [2, 2, 2]}}
FAST = {**SMALL_UNET, "configuration": "3d", "patch_size": [32, 32, 16], "batch_size": 2, "n_folds": 3,
        "num_workers": 0, "optimizer": "adamw", "lr": 1e-2, "schedule": "constant", "augmentation": "none",
        "foreground_probability": 0.8, "log_every": 5}


def _losses(folder: Path) -> list[float]:
    with open(folder / "log.csv", newline="") as stream:
        return [float(r["value"]) for r in csv.DictReader(stream) if r["kind"] == "train" and r["name"] == "loss"]


def test_tiny_model_learns(blob_dataset, tmp_path):
    config = TrainingConfig().merged({**FAST, "loss": "dice_ce", "max_steps": 60, "validate_every": 30,
                                      "checkpoint_every": 30, "ema_decay": 0.9})
    summary = run_training(blob_dataset, tmp_path / "run", config, progress=False)
    fold = Path(summary["output"])
    losses = _losses(fold)
    assert losses[-1] < 0.6 * losses[0]
    # all-background (the trivial answer) scores 0; blood is learnt from intensity
    assert summary["best_val_dice"] > 0.3
    assert (fold / "checkpoint_best.pt").exists() and (fold / LAST).exists()
    assert list((fold / "tensorboard").glob("events.out.tfevents.*"))
    state = load_checkpoint(fold / LAST)
    assert state["step"] == 60 and state["ema"] is not None
    assert state["labels"]["IPH"] == 1 and state["plan"]["configurations"]["3d"]
    network = build_network(state["network"])
    network.load_state_dict(state["model"])  # the checkpoint alone rebuilds the model
    splits = json.loads((tmp_path / "run" / "splits.json").read_text())
    assert len(splits["folds"]) == 3


def test_amp_on_cpu_trains_in_bfloat16(blob_dataset, tmp_path):
    seen: list[torch.dtype] = []
    original = SupervisedTrainer.train_step

    def recording_step(self, images, labels):
        if not seen:
            first_conv = next(m for m in self.network.modules() if isinstance(m, torch.nn.Conv3d))
            first_conv.register_forward_hook(lambda module, args, output: seen.append(output.dtype))
        return original(self, images, labels)

    config = TrainingConfig().merged({**FAST, "loss": "dice_ce", "max_steps": 40, "validate_every": 40,
                                      "checkpoint_every": 40, "amp": True})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SupervisedTrainer, "train_step", recording_step)
        summary = run_training(blob_dataset, tmp_path / "run", config, progress=False)  # default context: CPU
    losses = _losses(Path(summary["output"]))
    assert seen and seen[0] == torch.bfloat16  # amp: true autocasts on the CPU too
    assert losses[-1] < 0.7 * losses[0]
    assert all(p.dtype == torch.float32 for p in load_checkpoint(Path(summary["output"]) / LAST)["model"].values()
               if p.is_floating_point())  # the weights stay float32


def _train_command(dataset, output, config_file, *extra):
    return [sys.executable, "-m", "ichseg", "train", str(dataset), "-o", str(output), "--config-file",
            str(config_file), "--no-progress", *extra]


@pytest.mark.slow  # in CI's slow run (.ci/run); a faster case of this family stays in the default run
def test_killed_run_resumes_where_an_uninterrupted_run_ends(blob_dataset, tmp_path):
    settings = {**FAST, "loss": "dice_ce", "max_steps": 24, "checkpoint_every": 4, "validate_every": 1000,
                "num_workers": 1, "augmentation": "nnunet", "seed": 3}
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(settings))
    subprocess.run(_train_command(blob_dataset, tmp_path / "whole", config_file), check=True, capture_output=True)

    last = tmp_path / "killed" / "fold_0" / LAST
    killed_at = kill_after_checkpoint(_train_command(blob_dataset, tmp_path / "killed", config_file), last, 8, 120)
    assert 8 <= killed_at < 24, "the run was not interrupted mid-way"
    subprocess.run(_train_command(blob_dataset, tmp_path / "killed", config_file, "--resume"), check=True,
                   capture_output=True)

    whole = load_checkpoint(tmp_path / "whole" / "fold_0" / LAST)
    resumed = load_checkpoint(last)
    assert resumed["step"] == whole["step"] == 24
    for name, value in whole["model"].items():
        torch.testing.assert_close(resumed["model"][name], value, rtol=1e-4, atol=1e-5, msg=name)
    np.testing.assert_allclose(_losses(tmp_path / "killed" / "fold_0"), _losses(tmp_path / "whole" / "fold_0"),
                               rtol=1e-4)


def test_a_run_stopped_before_its_first_checkpoint_leaves_one_to_resume_from(blob_dataset, tmp_path):
    settings = {**FAST, "loss": "dice_ce", "max_steps": 400, "checkpoint_every": 1000, "validate_every": 1000,
                "log_every": 1, "seed": 3}
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(settings))
    process = subprocess.Popen(_train_command(blob_dataset, tmp_path / "stopped", config_file),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = tmp_path / "stopped" / "fold_0" / "log.csv"
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        if log.exists() and len(_losses(log.parent)) >= 3:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)  # what a scheduler or `kill` sends
    _, stderr = process.communicate(timeout=60)
    last = tmp_path / "stopped" / "fold_0" / LAST
    assert process.returncode != 0 and last.exists(), stderr
    stopped_at = load_checkpoint(last)["step"]
    assert 3 <= stopped_at < 400 and "--resume" in stderr


@pytest.mark.slow  # two processes, ~25 s: in CI's slow run (.ci/run)
def test_two_process_gloo_ddp(blob_dataset, tmp_path):
    settings = {**FAST, "loss": "dice", "max_steps": 6, "checkpoint_every": 3, "validate_every": 6}
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(settings))
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517",
               "-m", "ichseg", "train", str(blob_dataset), "-o", str(tmp_path / "ddp"), "--config-file",
               str(config_file), "--device", "cpu", "--no-progress"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((tmp_path / "ddp" / "fold_0" / "summary.json").read_text())
    assert summary["world_size"] == 2 and summary["steps"] == 6
    assert load_checkpoint(tmp_path / "ddp" / "fold_0" / LAST)["step"] == 6


def test_ctich2d_recipe_trains_on_windows(blob_dataset, tmp_path):
    config = TrainingConfig().merged({**recipe_settings("ctich2d"), **SMALL_UNET, "max_steps": 3, "batch_size": 2,
                                      "num_workers": 0, "validate_every": 3, "n_folds": 3})
    summary = run_training(blob_dataset, tmp_path / "ctich", config, progress=False)
    state = load_checkpoint(Path(summary["output"]) / LAST)
    assert state["network"]["spatial_dims"] == 2
    assert state["network"]["normalization"]["windows"] == "ctich_brain"
    assert summary["patch_size"] == [160, 160]  # the windows it trained on, not the plan's patch


def test_unetr_trains_at_the_plans_patch_size(blob_dataset, tmp_path):
    config = TrainingConfig().merged({**FAST, "model": "unetr", "patch_size": None, "max_steps": 1,
                                      "validate_every": 1, "model_options": {
                                          "feature_size": 8, "hidden_size": 96, "mlp_dim": 192, "num_heads": 4}})
    summary = run_training(blob_dataset, tmp_path / "unetr", config, progress=False)
    state = load_checkpoint(Path(summary["output"]) / LAST)
    assert state["network"]["options"]["img_size"] == state["network"]["patch_size"] == summary["patch_size"]
    assert summary["patch_size"] != [160, 160, 16]  # the plan's (blob) patch, not UNETR's old fixed default


def test_the_hu_threshold_baseline_trains_its_two_bounds_and_finds_the_blobs(blob_dataset, tmp_path):
    from ichseg.data.dataset_format import list_dataset_cases
    from ichseg.io import read_volume
    from ichseg.preprocess.model_input import prepare_model_input

    config = TrainingConfig().merged({**FAST, "model": "hu_threshold", "model_options": {}, "configuration": "2d",
                                      "context_slices": 1, "normalization": {"scheme": "windows", "windows": "rgb3"},
                                      "patch_size": [32, 32], "max_steps": 20, "validate_every": 20, "lr": 0.5})
    summary = run_training(blob_dataset, tmp_path / "threshold", config, progress=False)
    state = load_checkpoint(Path(summary["output"]) / LAST)
    assert state["network"]["options"]["channel"] == 1  # rgb3's 0-100 HU window, centre slice
    moved = [float(state["model"][k]) for k in ("low_hu", "high_hu")]
    assert moved != [50.0, 90.0]  # the bounds are trained
    network = build_network(state["network"])
    network.load_state_dict(state["model"])
    case = list_dataset_cases(blob_dataset)[0]
    prepared = prepare_model_input(read_volume(case.image), state["network"]["spacing"],
                                   state["network"]["normalization"], labels=read_volume(case.label))
    from ichseg.infer.sliding_window import slices_with_context

    with torch.no_grad():
        found = network(torch.from_numpy(slices_with_context(prepared.channels, 1))).argmax(1).numpy()
    iph = np.moveaxis(prepared.labels, 2, 0) == 1
    assert 2 * (found[iph] == 1).sum() / ((found == 1).sum() + iph.sum()) > 0.8  # 70 HU blobs in the range


@pytest.mark.parametrize("name", RECIPES.names())
def test_recipes_resolve_to_valid_networks(name):
    config = TrainingConfig().merged(recipe_settings(name))
    dims = 2 if config.configuration == "2d" else 3
    configuration = {"spacing": [0.5, 0.5, 5.0], "patch_size": [64, 64, 16][:dims], "batch_size": 2,
                     "strides": [[1] * dims] + [[2, 2, 1][:dims]] * 3, "kernel_sizes": [[3] * dims] * 4,
                     "features": [32, 64, 128, 256]}
    spec = network_spec(config, configuration, config.normalization or {"scheme": "ct", "statistics": {}})
    network = build_network(spec)
    assert sum(p.numel() for p in network.parameters()) > 0
    assert list(spec.patch_size) == (config.patch_size or configuration["patch_size"])[:dims] or \
        all(p >= q for p, q in zip(spec.patch_size, configuration["patch_size"]))


def test_initial_weights_come_from_a_bundle_of_the_same_network(tiny_bundle):
    from ichseg.infer.bundle import load_bundle
    from ichseg.train.trainer import initial_weights

    bundle = load_bundle(tiny_bundle)
    weights = initial_weights(str(tiny_bundle), bundle.spec)
    for name, value in bundle.network.state_dict().items():
        torch.testing.assert_close(weights[name], value.float())
    other = dataclasses.replace(bundle.spec, options={**bundle.spec.options, "channels": [8, 16, 32]})
    with pytest.raises(ValueError, match="options"):
        initial_weights(str(tiny_bundle), other)


def test_unusable_initial_weights_are_reported_before_preprocessing(blob_dataset, tmp_path):
    from ichseg.cli.main import main

    arguments = ["train", str(blob_dataset), "-o", str(tmp_path / "run"), "--model", "unet", "--config", "2d",
                 "--max-steps", "1", "--initial-weights", str(tmp_path / "nowhere"), "--no-progress"]
    assert main(arguments) != 0
    assert not list((tmp_path / "run").rglob("*.npz"))  # failed before any case was preprocessed
