import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from ichseg.infer.bundle import PROGRAM, load_bundle
from ichseg.infer.predictor import Predictor
from ichseg.io import Volume


def test_exported_program_predicts_what_the_network_does(tiny_bundle):
    network, program = load_bundle(tiny_bundle), load_bundle(tiny_bundle, program=True)
    assert not network.exported and program.exported
    volume = Volume(np.random.default_rng(0).normal(40, 30, (50, 45, 6)).astype(np.float32), np.diag([0.9, 0.9, 5, 1]))
    expected, _ = Predictor([network], device="cpu").probabilities(volume)
    found, _ = Predictor([program], device="cpu").probabilities(volume)
    torch.testing.assert_close(found, expected, atol=1e-5, rtol=0)


def test_exported_program_is_refused_off_the_cpu(tiny_bundle):
    with pytest.raises(ValueError, match="CPU only"):
        Predictor([load_bundle(tiny_bundle, program=True)], device="meta")  # any non-CPU device


def test_loading_the_program_does_not_import_monai(tiny_bundle):
    code = ("import sys; from ichseg.infer.bundle import load_bundle; "
            f"load_bundle({str(tiny_bundle)!r}, program=True); print('monai' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_damaged_program_is_refused_and_a_bundle_without_one_builds_the_network(tmp_path, tiny_bundle):
    damaged = tmp_path / "damaged"
    shutil.copytree(tiny_bundle, damaged)
    with open(damaged / PROGRAM, "r+b") as stream:
        stream.seek(-4, 2)
        stream.write(b"\x00\x01\x02\x03")
    with pytest.raises(ValueError, match="checksum"):
        load_bundle(damaged, program=True)
    (damaged / PROGRAM).unlink()
    with pytest.raises(ValueError, match="missing"):  # listed in bundle.json but gone
        load_bundle(damaged, program=True)
    description = json.loads((damaged / "bundle.json").read_text())
    del description["program_sha256"]
    (damaged / "bundle.json").write_text(json.dumps(description))
    assert not load_bundle(damaged, program=True).exported
