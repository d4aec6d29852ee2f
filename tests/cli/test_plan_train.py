import json
import subprocess
import sys

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
