import contextlib
import io
import json
import subprocess
import sys

import pytest

from ichseg.cli.main import main


def test_plan_command_writes_a_readable_plan(blob_dataset, tmp_path, capsys):
    assert main(["plan", str(blob_dataset), "-o", str(tmp_path / "plan.json"), "--memory-gb", "2"]) == 0
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["memory_budget_gb"] == 2
    assert plan["configurations"]["3d"]["spacing"] == [1.0, 1.0, 5.0]
    assert (tmp_path / "plan_fingerprint.json").exists()
    assert "3d: patch" in capsys.readouterr().out


def test_train_command_with_flags(blob_dataset, tmp_path):
    config = tmp_path / "small.yaml"
    config.write_text("model_options: {channels: [8, 16, 32], strides: [2, 2]}\npatch_size: [32, 32]\n"
                      "num_workers: 0\nvalidate_every: 4\nn_folds: 3\n")
    result = subprocess.run([sys.executable, "-m", "ichseg", "train", str(blob_dataset), "-o", str(tmp_path / "run"),
                             "--model", "unet", "--loss", "dice", "--config", "2d", "--fold", "1", "--max-steps", "4",
                             "--config-file", str(config), "--no-progress"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["steps"] == 4 and summary["output"].endswith("fold_1")


def test_train_command_rejects_unknown_settings(blob_dataset, tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("learning_rate: 1\n")
    result = subprocess.run([sys.executable, "-m", "ichseg", "train", str(blob_dataset), "-o", str(tmp_path / "run"),
                             "--config-file", str(config)], capture_output=True, text=True)
    assert result.returncode != 0 and "learning_rate" in result.stderr


def test_a_dataset_round_trips_through_predict_and_evaluate(blob_dataset, tiny_bundle, tmp_path, capsys):
    """predict -i DS/imagesTr names cases as DS/labelsTr does (no _0000), so evaluate pairs them all."""
    assert main(["predict", "-i", str(blob_dataset / "imagesTr"), "-o", str(tmp_path / "pred"),
                 "--model", str(tiny_bundle)]) == 0
    assert sorted(p.name for p in (tmp_path / "pred").iterdir() if p.is_dir())[0] == "blob_000"
    assert main(["evaluate", str(tmp_path / "pred"), str(blob_dataset / "labelsTr"), "-o", str(tmp_path / "ev")]) == 0
    assert "evaluated 6 of 6 cases" in capsys.readouterr().out


def _train(*arguments):
    """``ichseg train`` in this process: (exit code or one-line message, JSON summary or None)."""
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            code = main(["train", *map(str, arguments), "--no-progress"])
    except SystemExit as stop:
        return stop.code, None
    return code, json.loads(out.getvalue())


def test_two_cases_train_with_fold_all(tmp_path):
    from blob_dataset import write_blob_dataset

    dataset = write_blob_dataset(tmp_path / "two", n_cases=2)
    code, summary = _train(dataset, "-o", tmp_path / "run", "--model", "unet", "--config", "2d", "--fold", "all",
                           "--max-steps", "2")
    assert code == 0 and summary["output"].endswith("fold_all")
    assert json.loads((tmp_path / "run" / "splits.json").read_text())["scheme"] == "all"
    message, _ = _train(dataset, "-o", tmp_path / "run2", "--fold", "0", "--max-steps", "2")
    assert "2 patients cannot make 5 folds" in message and "--fold all" in message and "\n" not in message


PLUGIN = '''
from ichseg.train.trainer import SupervisedTrainer


class CountingTrainer(SupervisedTrainer):
    """Counts its steps in a file."""

    def train_step(self, images, labels):
        with open(self.output / "steps.txt", "a") as stream:
            stream.write("step\\n")
        return super().train_step(images, labels)
'''


def test_trainer_flag_takes_a_registered_name_or_a_class_outside_ichseg(blob_dataset, tmp_path, monkeypatch):
    (tmp_path / "my_trainers.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    base = [blob_dataset, "-o", tmp_path / "run", "--model", "unet", "--config", "2d", "--fold", "all",
            "--max-steps", "3"]
    code, _ = _train(*base, "--trainer", "my_trainers:CountingTrainer")
    assert code == 0
    assert (tmp_path / "run" / "fold_all" / "steps.txt").read_text().count("step") == 3
    message, _ = _train(*base, "--trainer", "mean_teacherz")
    assert message == ("ichseg train: unknown trainer 'mean_teacherz'; registered: cps, entropy_min, ict, "
                       "mean_teacher, self_training, supervised")


NETWORK_PLUGIN = '''
from monai.networks.nets import UNet


def build_tiny(spatial_dims, in_channels, out_channels, **config):
    """A tiny MONAI U-Net."""
    return UNet(spatial_dims, in_channels, out_channels, channels=(8, 16, 32), strides=(2, 2), **config)


build_tiny.ichseg_metadata = {"dims": (2, 3), "size_multiple": {2: (4, 4), 3: (4, 4, 4)}}
'''


def test_a_network_outside_ichseg_trains_by_module_and_name(blob_dataset, tmp_path, monkeypatch):
    """The how-to's example (docs/how-to/extend-ichseg.md), as written there."""
    (tmp_path / "my_nets.py").write_text(NETWORK_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    code, summary = _train(blob_dataset, "-o", tmp_path / "run", "--model", "my_nets:build_tiny", "--config", "2d",
                           "--fold", "all", "--max-steps", "2")
    assert code == 0 and summary["steps"] == 2
    # the checkpoint names the network; loading it as a model refuses to import code named by a file
    with pytest.raises(SystemExit) as stopped:
        main(["predict", "-i", str(blob_dataset / "imagesTr"), "-o", str(tmp_path / "pred"),
              "--model", str(tmp_path / "run" / "fold_all" / "checkpoint_best.pt")])
    assert "'my_nets:build_tiny' is not a registered network name" in str(stopped.value.code)


REGISTERING_PLUGIN = '''
from monai.networks.nets import UNet

from ichseg.models import MODELS


@MODELS.register("site_tiny_unet", description="a site's tiny U-Net", dims=(2, 3),
                 size_multiple={2: (4, 4), 3: (4, 4, 4)})
def build(spatial_dims, in_channels, out_channels, **config):
    return UNet(spatial_dims, in_channels, out_channels, channels=(8, 16, 32), strides=(2, 2), **config)
'''


def test_a_network_its_module_registers_is_stored_by_its_name_and_predicts(blob_dataset, tmp_path, monkeypatch):
    (tmp_path / "site_nets.py").write_text(REGISTERING_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    code, _ = _train(blob_dataset, "-o", tmp_path / "run", "--model", "site_nets:build", "--config", "2d",
                     "--fold", "all", "--max-steps", "2")
    assert code == 0
    from ichseg.models.checkpoint import load_checkpoint

    checkpoint = tmp_path / "run" / "fold_all" / "checkpoint_best.pt"
    assert load_checkpoint(checkpoint)["network"]["model"] == "site_tiny_unet"  # the registered name, not the path
    assert main(["predict", "-i", str(blob_dataset / "imagesTr" / "blob_000_0000.nii.gz"), "-o", str(tmp_path / "p"),
                 "--model", str(checkpoint)]) == 0  # its module is imported (here by the run above), so it loads
