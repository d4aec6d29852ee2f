"""An install without the ``train`` extra (no torch, no MONAI): the bundled models still
predict, and a command that needs PyTorch says so in one line. Torch and MONAI are made
unimportable in a fresh interpreter (``sys.modules[name] = None``)."""

import json
import subprocess
import sys

from ichseg.resources import example_path

BLOCKED = ("torch", "monai", "einops", "onnx")


def run_without_training_packages(arguments: list[str]) -> subprocess.CompletedProcess:
    code = ("import sys\n"
            f"for name in {BLOCKED!r}:\n    sys.modules[name] = None\n"
            "from ichseg.cli.main import main\n"
            f"code = main({arguments!r})\n"
            "print('exit', code, 'torch' in sys.modules and sys.modules['torch'] is not None)\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_predict_runs_the_bundled_model_without_torch(tmp_path):
    result = run_without_training_packages(["predict", "-i", str(example_path("ge_head_ct")), "-o", str(tmp_path / "out")])
    assert result.stdout.strip().splitlines()[-1] == "exit 0 False", result.stderr[-2000:]
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["device"] == "cpu" and run["models"][0]["onnx_runtime"] is True
    assert (tmp_path / "out" / "ge_head_ct" / "segmentation.nii.gz").is_file()


def test_a_command_that_needs_torch_says_how_to_install_it_in_one_line(tmp_path):
    result = run_without_training_packages(["plan", str(tmp_path), "-o", str(tmp_path / "plan")])
    assert result.stdout.strip().splitlines()[-1] == "exit 1 False"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "pip install 'ichseg[train]'" in lines[0] and "Traceback" not in result.stderr
