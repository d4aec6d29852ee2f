"""The standing bad-input corpus through every command that reads it.

For each kind: the documented exit status, one line naming the file and the problem (or a
warning for a case that still runs), no traceback, inputs byte-identical afterwards, the
good cases of a mixed batch complete, nothing written outside ``-o``.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from bad_input_corpus import build_reader_corpus, head_hu, snapshot, write_head

from ichseg.cli.main import main
from ichseg.infer.bundle import WEIGHTS, sha256_of
from ichseg.io import Volume, write_nifti

ICHSEG = [sys.executable, "-m", "ichseg"]
CASE_FILES = ["preview.png", "segmentation.nii.gz", "viewer.json", "volumes.json"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    kinds = build_reader_corpus(root / "inputs")
    return root, kinds


def _error_line(captured: str) -> str:
    lines = [line for line in captured.splitlines() if line.strip()]
    assert len(lines) == 1, captured
    assert "Traceback" not in captured
    return lines[0]


def test_corpus_is_large_enough(corpus):
    _, kinds = corpus
    assert len(kinds) >= 40


def test_info_refuses_or_warns_on_every_reader_kind(corpus, capsys):
    root, kinds = corpus
    before = snapshot(root / "inputs")
    for kind in kinds:
        code = main(["info", str(kind.path), "--json"])
        captured = capsys.readouterr()
        if kind.problem:
            assert code == 1, kind.name
            line = _error_line(captured.err)
            assert line.startswith("ichseg: error: ") and str(kind.path.parent) in line, (kind.name, line)
            assert re.search(kind.problem, line), (kind.name, line)
        else:
            assert code == 0, (kind.name, captured.err)
            warnings = json.loads(captured.out)["warnings"]
            assert any(re.search(kind.warning, w) for w in warnings), (kind.name, warnings)
    assert snapshot(root / "inputs") == before


@pytest.mark.parametrize("name", ["degenerate orientation", "zero pixdim / singular affine", "NaN slice position",
                                  "folder of random bytes"])
def test_a_refusal_is_one_line_on_stderr_in_a_real_process(corpus, name):
    """Library warnings and log messages (numpy, nibabel) would add lines that capsys misses."""
    kind = next(k for k in corpus[1] if k.name == name)
    result = subprocess.run([*ICHSEG, "info", str(kind.path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and result.stdout == ""
    assert re.search(kind.problem, _error_line(result.stderr))


def test_good_inputs_get_no_quality_warning(corpus, capsys, ge_folder):
    root, _ = corpus
    for path in (root / "inputs" / "head_good.nii.gz", ge_folder):
        assert main(["info", str(path), "--json"]) == 0
        assert not [w for w in json.loads(capsys.readouterr().out)["warnings"] if "head" in w or "HU" in w]


def _write_batch_list(root: Path, kinds) -> Path:
    rows = [{"path": str(kind.path), "case": f"kind_{k:02d}"} for k, kind in enumerate(kinds)]
    rows += [{"path": str(root / "inputs" / "head_good.nii.gz"), "case": "good_head"},
             {"path": str(root / "inputs" / "head_good.nii.gz"), "case": "../escaped"},
             {"path": str(root / "inputs" / "head_good.nii.gz"), "case": str(root / "absolute")},
             {"path": str(root / "inputs" / "head_good.nii.gz"), "case": ".hidden"},
             {"path": "", "case": ""}, {"path": " ", "case": " "}]  # blank rows: skipped
    listing = root / "batch.csv"
    with open(listing, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=["path", "case"])
        writer.writeheader()
        writer.writerows(rows)
    return listing


def test_predict_batch_over_the_whole_corpus(corpus, tiny_bundle):
    """One predict run (a subprocess, as a user runs it) over every kind plus unsafe case names."""
    root, kinds = corpus
    listing = _write_batch_list(root, kinds)
    before, around = snapshot(root / "inputs"), sorted(p.name for p in root.iterdir())
    out = root / "out"
    result = subprocess.run([*ICHSEG, "predict", "-i", str(listing), "-o", str(out), "--model", str(tiny_bundle)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 3, result.stderr[-2000:]
    assert "Traceback" not in result.stderr + result.stdout
    with open(out / "summary.csv", newline="") as stream:
        table = {row["case"]: row for row in csv.DictReader(stream)}
    assert len(table) == len(kinds) + 4  # blank rows skipped, not errors
    for k, kind in enumerate(kinds):
        row = table[f"kind_{k:02d}"]
        if kind.problem:
            assert row["status"] == "error" and re.search(kind.problem, row["error"]), (kind.name, row["error"])
            assert not (out / row["case"]).exists()
        else:
            assert row["status"] == "ok", (kind.name, row["error"])
            assert re.search(kind.warning, row["warnings"]), (kind.name, row["warnings"])
            volumes = json.loads((out / row["case"] / "volumes.json").read_text())
            assert any(re.search(kind.warning, w) for w in volumes["warnings"])
            assert f"{row['case']}: warning: " in result.stderr
    assert table["good_head"]["status"] == "ok" and table["good_head"]["warnings"] == ""
    assert sorted(p.name for p in (out / "good_head").iterdir()) == CASE_FILES
    for unsafe in ("../escaped", str(root / "absolute"), ".hidden"):
        assert table[unsafe]["status"] == "error" and "unusable case name" in table[unsafe]["error"]
    assert not (root / "escaped").exists() and not (root / "absolute").exists()
    assert snapshot(root / "inputs") == before
    assert sorted(p.name for p in root.iterdir()) == sorted([*around, "out"])  # nothing written beside -o
    assert not [p for p in out.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


def test_a_symlink_back_into_a_batch_folder_is_not_followed(tmp_path, tiny_bundle):
    batch = tmp_path / "batch"
    batch.mkdir()
    write_head(batch / "head.nii.gz")
    os.symlink(tmp_path, batch / "loop")
    assert main(["predict", "-i", str(batch), "-o", str(tmp_path / "out"), "--model", str(tiny_bundle)]) == 3
    table = {row["case"]: row for row in csv.DictReader((tmp_path / "out" / "summary.csv").read_text().splitlines())}
    assert table["head"]["status"] == "ok"
    assert "symbolic link to a folder that contains it" in table["loop"]["error"]


@pytest.fixture
def bundles(tmp_path, tiny_bundle):
    """Broken copies of the tiny bundle."""
    made = {}
    for name in ("crafted", "swapped", "bad_json", "unknown_net", "garbage_weights"):
        made[name] = tmp_path / name
        shutil.copytree(tiny_bundle, made[name])
    (made["crafted"] / "model.ts").write_bytes(b"PK\x03\x04 a program written by someone else")
    description = json.loads((tiny_bundle / "bundle.json").read_text())
    (made["crafted"] / "bundle.json").write_text(json.dumps(
        {**description, "program_sha256": sha256_of(made["crafted"] / "model.ts")}))
    data = bytearray((made["swapped"] / WEIGHTS).read_bytes())
    data[-3] ^= 0x55
    (made["swapped"] / WEIGHTS).write_bytes(bytes(data))
    (made["bad_json"] / "bundle.json").write_text('{"name": "x", ')
    (made["garbage_weights"] / WEIGHTS).write_bytes(b"not a safetensors file")  # with a matching checksum
    (made["garbage_weights"] / "bundle.json").write_text(json.dumps(
        {**description, "sha256": sha256_of(made["garbage_weights"] / WEIGHTS)}))
    (made["unknown_net"] / "bundle.json").write_text(json.dumps(
        {**description, "network": {**description["network"], "model": "builtins:eval"}}))
    made["not_a_bundle"] = tmp_path / "empty_bundle"
    made["not_a_bundle"].mkdir()
    return made


@pytest.mark.parametrize("name, problem", [
    ("swapped", r"model\.safetensors: checksum .* does not match"),
    ("bad_json", r"bundle\.json: not a readable bundle description"),
    ("unknown_net", r"bundle\.json: network\.model 'builtins:eval' is not a registered network name"),
    ("not_a_bundle", r"empty_bundle: not a model bundle"),
    ("garbage_weights", r"model\.safetensors: not a readable safetensors file"),
])
def test_predict_refuses_broken_bundles_in_one_line(tmp_path, bundles, name, problem):
    scan = write_head(tmp_path / "head.nii.gz")
    with pytest.raises(SystemExit) as raised:
        main(["predict", "-i", str(scan), "-o", str(tmp_path / "out"), "--model", str(bundles[name])])
    message = str(raised.value)
    assert "\n" not in message and re.search(problem, message), message


@pytest.mark.parametrize("device", ["cpu", "auto"])
def test_a_crafted_program_is_never_opened(tmp_path, bundles, monkeypatch, device):
    import torch

    opened: list = []
    monkeypatch.setattr(torch.jit, "load", lambda *args, **kwargs: opened.append(args))
    scan = write_head(tmp_path / "head.nii.gz")
    assert main(["predict", "-i", str(scan), "-o", str(tmp_path / "out"), "--model", str(bundles["crafted"]),
                 "--device", device]) == 0
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert opened == [] and run["models"][0]["onnx_runtime"] is (run["device"] == "cpu")


@pytest.mark.parametrize("make_output, problem", [
    (lambda base: (base / "a_file").write_text("x") and base / "a_file", "the output exists and is not a folder"),
    (lambda base: (base / "file2").write_text("x") and base / "file2" / "sub", "cannot write to the output folder"),
])
def test_predict_refuses_an_unusable_output_before_loading_a_model(tmp_path, capsys, make_output, problem):
    output = make_output(tmp_path)
    scan = write_head(tmp_path / "head.nii.gz")
    assert main(["predict", "-i", str(scan), "-o", str(output), "--model", str(tmp_path / "no_such_bundle")]) == 1
    line = _error_line(capsys.readouterr().err)
    assert str(output) in line and problem in line


def test_a_full_disk_fails_the_case_not_silently(tmp_path, tiny_bundle, monkeypatch, capsys):
    from ichseg.infer import run as run_module

    batch = tmp_path / "batch"
    batch.mkdir()
    for name in ("a", "b", "c"):
        write_head(batch / f"{name}.nii.gz")
    real = run_module.write_nifti

    def full_disk(volume, path, **options):
        if "b.tmp-" in str(path) or "/.b." in str(path):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(volume, path, **options)

    monkeypatch.setattr(run_module, "write_nifti", full_disk)
    out = tmp_path / "out"
    assert main(["predict", "-i", str(batch), "-o", str(out), "--model", str(tiny_bundle)]) == 3
    table = {row["case"]: row for row in csv.DictReader((out / "summary.csv").read_text().splitlines())}
    assert table["b"]["status"] == "error" and "No space left on device" in table["b"]["error"]
    assert table["a"]["status"] == table["c"]["status"] == "ok"
    assert not (out / "b").exists() and not [p for p in out.iterdir() if ".tmp-" in p.name]


def _label_file(path: Path, labels: np.ndarray) -> None:
    write_nifti(Volume(labels, np.diag([1.0, 1.0, 5.0, 1.0])), path)


def test_evaluate_refuses_label_maps_outside_the_schema(tmp_path, capsys):
    pred, ref = tmp_path / "pred", tmp_path / "ref"
    pred.mkdir(), ref.mkdir()
    good = np.zeros((16, 16, 4), np.uint8)
    good[4:8, 4:8, 1:3] = 1
    bad = {"values": good * 9, "nan": np.where(good > 0, np.nan, 0).astype(np.float32),
           "fraction": good * np.float32(0.5), "negative": good.astype(np.int16) - 1}
    for name, labels in {"fine": good, **bad}.items():
        _label_file(ref / f"{name}.nii.gz", good)
        _label_file(pred / f"{name}.nii.gz", labels)
    assert main(["evaluate", str(pred), str(ref), "-o", str(tmp_path / "eval"), "--bootstrap", "0"]) == 3
    failed = json.loads((tmp_path / "eval" / "summary.json").read_text())["failed"]
    assert sorted(failed) == sorted(bad)
    assert "label values [9] are not in ichseg's schema" in failed["values"]
    assert "NaN" in failed["nan"] and "non-integer" in failed["fraction"] and "negative" in failed["negative"]
    assert all(failed[name].startswith(str(pred / name)) for name in bad)


@pytest.mark.parametrize("extra, config, problem", [
    ([], None, "6 patients cannot make 7 folds: train on more cases"),
    (["--model", "unet2d"], None, "model 'unet2d' is 2D only, not 3D"),
    ([], "trainer: no_such_trainer\n", "unknown trainer 'no_such_trainer'"),
])
def test_train_refuses_in_one_line(tmp_path, blob_dataset, extra, config, problem):
    arguments = ["train", str(blob_dataset), "-o", str(tmp_path / "run"), "--max-steps", "1", *extra]
    if config:
        (tmp_path / "config.yaml").write_text(config)
        arguments += ["--config-file", str(tmp_path / "config.yaml")]
    else:
        (tmp_path / "folds.yaml").write_text("n_folds: 7\n" if not extra else "configuration: 3d\n")
        arguments += ["--config-file", str(tmp_path / "folds.yaml")]
    with pytest.raises(SystemExit) as raised:
        main(arguments)
    assert problem in str(raised.value) and "\n" not in str(raised.value)


def _batch(folder: Path, names) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        write_head(folder / f"{name}.nii.gz", head_hu((128, 128, 8)))
    return folder


def _complete(out: Path, names) -> bool:
    return all(sorted(p.name for p in (out / n).iterdir()) == CASE_FILES for n in names)


def test_kill_during_a_predict_batch_leaves_no_half_case_and_the_rerun_completes(tmp_path, tiny_bundle):
    names = [f"case_{k}" for k in range(8)]
    batch, out = _batch(tmp_path / "batch", names), tmp_path / "out"
    command = [*ICHSEG, "predict", "-i", str(batch), "-o", str(out), "--model", str(tiny_bundle)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not (out / "case_1").exists():
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    visible = [p for p in out.iterdir() if not p.name.startswith(".")] if out.exists() else []
    assert all(sorted(c.name for c in p.iterdir()) == CASE_FILES for p in visible if p.is_dir())
    assert subprocess.run(command, capture_output=True, timeout=300).returncode == 0
    assert _complete(out, names)
    assert not [p for p in out.iterdir() if ".tmp-" in p.name or ".old-" in p.name]  # the killed run's litter is gone


@pytest.mark.slow  # in CI's slow run (.ci/run); a faster case of this family stays in the default run
def test_two_predicts_into_one_folder_at_once(tmp_path, tiny_bundle):
    same = [f"s{k}" for k in range(5)]
    first, second = _batch(tmp_path / "first", same), _batch(tmp_path / "second", [*same[:2], "x0", "x1"])
    out = tmp_path / "out"
    runs = [subprocess.Popen([*ICHSEG, "predict", "-i", str(batch), "-o", str(out), "--model", str(tiny_bundle)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for batch in (first, second)]
    results = [(run.wait(timeout=300), run.stderr.read()) for run in runs]
    assert all(code == 0 for code, _ in results), results
    names = [*same, "x0", "x1"]
    assert _complete(out, names)
    with open(out / "summary.csv", newline="") as stream:
        table = list(csv.DictReader(stream))
    assert sorted(row["case"] for row in table) == sorted(names) and {row["status"] for row in table} == {"ok"}
    assert not [p for p in out.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


def test_real_scans_the_model_should_not_be_trusted_on_are_flagged(tmp_path, capsys, ge_folder, philips_study):
    """The real GE head stored as most scanners store CT (HU + 1024, intercept -1024) with
    its rescale tags then stripped (stored values read as HU), and the real Philips
    geometric phantom: both are read, and both are flagged."""
    import pydicom

    stripped = tmp_path / "ge_no_rescale"
    stripped.mkdir()
    for path in sorted(ge_folder.glob("*.dcm")):
        dataset = pydicom.dcmread(path)
        assert dataset.RescaleIntercept == 0 and dataset.RescaleSlope == 1  # GE stores HU as they are
        dataset.PixelData = (dataset.pixel_array.astype(np.int16) + 1024).astype(np.int16).tobytes()
        del dataset.RescaleSlope, dataset.RescaleIntercept
        dataset.save_as(stripped / path.name)
    assert main(["info", str(stripped), "--json"]) == 0
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    assert any("have no RescaleSlope/RescaleIntercept" in w for w in warnings)
    # air now reads about +24 HU: the tilt canvas is still -1024, so the flag is the body size
    assert any("air not stored as -1000 HU" in w for w in warnings)
    assert main(["info", str(philips_study), "--json"]) == 0
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    assert any("little brain-like tissue" in w for w in warnings)
