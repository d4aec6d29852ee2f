"""ichseg benchmark: a 2 x 2 table of tiny cells that finishes, resumes after a kill without
recomputing finished cells, and gives the same numbers on a 2-worker Dask cluster."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from ichseg.benchmark import load_experiment, run_benchmark, shipped_configs
from ichseg.cli.main import main
from ichseg.io import InputError

TINY_NETWORK = {"channels": [4, 8], "strides": [2]}


def write_config(folder: Path, dataset: Path, **changes) -> Path:
    spec = {
        "name": "tiny",
        "datasets": {"blobs": str(dataset)},
        "training": {"configuration": "3d", "patch_size": [32, 32, 8], "batch_size": 2, "max_steps": 6,
                     "optimizer": "adam", "lr": 3e-3, "schedule": "constant", "deep_supervision": False,
                     "augmentation": "none", "checkpoint_every": 2, "log_every": 2, "n_folds": 2, "seed": 3},
        "networks": {"unet_a": {"model": "unet", "model_options": TINY_NETWORK},
                     "unet_b": {"model": "unet", "model_options": TINY_NETWORK | {"channels": [6, 12]}}},
        "losses": ["dice", "dice_ce"],
        "folds": [0],
        "evaluation": {"regions": ["any", "IPH"]},
        "compare": {"regions": ["any"], "bootstrap": 50},
    } | changes
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def cell_metrics(out: Path) -> dict[str, list[dict]]:
    tables = {}
    for path in sorted((out / "cells").glob("*/*/fold_*/metrics.csv")):
        with open(path, newline="") as stream:
            tables[str(path.relative_to(out))] = list(csv.DictReader(stream))
    return tables


@pytest.fixture(scope="module")
def serial_run(blob_dataset, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    config = write_config(folder, blob_dataset)
    summary = run_benchmark(config, folder / "out", threads=1, log=lambda line: None)
    return config, folder / "out", summary


def test_the_table_finishes_with_results(serial_run):
    _config, out, summary = serial_run
    assert summary["finished"] == 4 and summary["failed"] == [] and summary["reused"] == 0
    tables = cell_metrics(out)
    assert len(tables) == 4
    for rows in tables.values():  # each cell tested on its fold's 3 held-out cases, two regions
        assert {r["region"] for r in rows} == {"any", "IPH"} and len({r["case"] for r in rows}) == 3
    results = (out / "results.md").read_text()
    for model in ("unet_a__dice", "unet_a__dice_ce", "unet_b__dice", "unet_b__dice_ce"):
        assert f"| {model} | any |" in results
    assert "Kruskal-Wallis on dice (any)" in results
    with open(out / "results.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert {r["dataset"] for r in rows} == {"blobs"} and len(rows) == 4
    assert (out / "compare" / "blobs" / "tests.json").exists()


def test_a_rerun_recomputes_nothing(serial_run):
    config, out, _summary = serial_run
    done = {p: p.stat().st_mtime_ns for p in (out / "cells").rglob("done.json")}
    summary = run_benchmark(config, out, threads=1, log=lambda line: None)
    assert summary["reused"] == 4
    assert {p: p.stat().st_mtime_ns for p in done} == done


def test_killed_and_resumed(serial_run, tmp_path):
    config, reference, _summary = serial_run
    out = tmp_path / "out"
    command = [sys.executable, "-m", "ichseg", "benchmark", str(config), "-o", str(out), "--threads", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 240
    while not list((out / "cells").rglob("done.json")) and time.monotonic() < deadline:
        assert process.poll() is None, "the benchmark ended before it could be killed"
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = {p: p.stat().st_mtime_ns for p in (out / "cells").rglob("done.json")}
    assert 1 <= len(finished) < 4, "killed after the first cell and before the last"
    summary = run_benchmark(config, out, threads=1, log=lambda line: None)
    assert summary["finished"] == 4 and summary["reused"] >= len(finished)
    assert {p: p.stat().st_mtime_ns for p in finished} == finished  # never recomputed
    assert cell_metrics(out) == cell_metrics(reference)  # the resumed cells end where an uncut run does


def test_a_local_dask_cluster_gives_the_serial_results(serial_run, tmp_path):
    pytest.importorskip("distributed")
    config, reference, _summary = serial_run
    summary = run_benchmark(config, tmp_path / "out", workers=2, threads=1, log=lambda line: None)
    assert summary["finished"] == 4 and summary["failed"] == []
    assert cell_metrics(tmp_path / "out") == cell_metrics(reference)


def test_a_failing_cell_does_not_stop_the_others(blob_dataset, tmp_path):
    networks = {"good": {"model": "unet", "model_options": TINY_NETWORK},
                "broken": {"model": "unet", "model_options": {"channels": [4, 8], "strides": [2], "bogus": 1}}}
    config = write_config(tmp_path, blob_dataset, networks=networks, losses=["dice"])
    summary = run_benchmark(config, tmp_path / "out", threads=1, log=lambda line: None)
    assert summary["finished"] == 1 and [f["key"] for f in summary["failed"]] == ["blobs/broken__dice__supervised/fold_0"]
    results = (tmp_path / "out" / "results.md").read_text()
    assert "1 cell(s) failed" in results and "| good | any |" in results


def test_changed_settings_are_refused_in_an_old_folder(serial_run, tmp_path):
    config, out, _summary = serial_run
    changed = write_config(tmp_path, Path(yaml.safe_load(config.read_text())["datasets"]["blobs"]),
                           training=yaml.safe_load(config.read_text())["training"] | {"lr": 1e-2})
    with pytest.raises(InputError, match="other settings for cell blobs/unet_a__dice__supervised/fold_0"):
        run_benchmark(changed, out, threads=1, log=lambda line: None)


@pytest.mark.parametrize("name", shipped_configs())
def test_the_shipped_configs_parse_into_cells(name):
    experiment = load_experiment(name, budget_steps=7)
    assert experiment.cells and all(cell.settings["max_steps"] == 7 for cell in experiment.cells)
    assert len({cell.key for cell in experiment.cells}) == len(experiment.cells)


def test_the_shipped_tables_have_the_papers_rows():
    models = {name: {cell.network for cell in load_experiment(name).cells} for name in shipped_configs()}
    assert models["hemseg200"] == {"unet", "vnet", "segresnet", "attention_unet", "unetr", "swin_unetr", "nnunet"}
    assert models["ctich2d"] == {"unet", "unetplusplus", "linknet", "resunet", "deeplabv3plus", "hu_threshold"}
    kok = load_experiment("kok_losses")
    assert {c.loss for c in kok.cells} == {"dice_ce", "tversky", "focal", "focal_tversky", "dice_topk"}
    assert {c.settings["configuration"] for c in kok.cells} == {"2d", "3d"} and kok.ensembles
    semi = load_experiment("bhsd_semi")
    assert {c.trainer for c in semi.cells} == {"supervised", "mean_teacher", "cps", "entropy_min", "ict",
                                               "self_training"}
    assert semi.datasets["synthetic"]["synth"]["unlabeled"] > 0
    viola = load_experiment("instance_viola")
    assert {c.settings["loss"] for c in viola.cells} == {"dice_focal", "dice_ce"}  # each network's own recipe


@pytest.mark.parametrize("name", shipped_configs())
def test_every_region_a_shipped_table_scores_is_in_its_synthetic_set(name):
    experiment = load_experiment(name)
    regions = set(experiment.compare.get("regions", [])) | set(experiment.evaluation.get("regions", []))
    for value in experiment.datasets.values():
        types = set(value["synth"].get("types", ["IPH", "IVH", "SAH", "SDH", "EDH", "PHE"]))
        assert regions - {"any", "extra-axial"} <= types, f"{name} scores a class its data never has"


@pytest.mark.parametrize("change, message", [
    ({"networks": {}}, "no networks to train"),
    ({"losses": ["dice", "no_such_loss"]}, None),
    ({"colour": "blue"}, "unknown section"),
    ({"ensembles": {"e": ["unet_a", "missing"]}}, "missing not among the networks"),
])
def test_bad_configs_are_refused_in_one_line(blob_dataset, tmp_path, capsys, change, message):
    config = write_config(tmp_path, blob_dataset, **change)
    code = main(["benchmark", str(config), "-o", str(tmp_path / "out")])
    error = capsys.readouterr().err.strip()
    assert code == 1 and error.startswith("ichseg: error:") and len(error.splitlines()) == 1
    assert str(config) in error and (message is None or message in error)
    assert not (tmp_path / "out").exists()


def test_a_missing_dataset_folder_is_refused(tmp_path, capsys, blob_dataset):
    config = write_config(tmp_path, tmp_path / "nowhere")
    code = main(["benchmark", str(config), "-o", str(tmp_path / "out")])
    error = capsys.readouterr().err.strip()
    assert code == 1 and "nowhere" in error and len(error.splitlines()) == 1
    assert not (tmp_path / "out").exists()
