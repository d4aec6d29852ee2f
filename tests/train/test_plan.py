"""Plans read back for training are checked: version, normalisation, configurations."""

import json

import pytest

from ichseg.train.plan import Plan
from ichseg.train.planner import make_plan

FINGERPRINT = {"dataset": "toy", "n_cases": 2, "foreground_intensity": {
    "mean": 60.0, "std": 10.0, "percentile_00_5": 30.0, "percentile_99_5": 90.0},
    "cases": [{"spacing": [0.45, 0.45, 5.0], "shape": [512, 512, 30]}] * 2}


def test_a_plan_round_trips_and_names_its_configurations():
    plan = Plan.from_dict(json.loads(json.dumps(make_plan(FINGERPRINT, memory_gb=8))))
    assert set(plan.configurations) == {"2d", "3d"} and plan.normalization["scheme"] == "ct"
    with pytest.raises(ValueError, match="no '4d' configuration"):
        plan.configuration("4d")


@pytest.mark.parametrize("edit, problem", [
    (lambda p: p.update(plan_version=99), "plan version 99 is not one this ichseg reads"),
    (lambda p: p.pop("normalization"), "normalization is missing"),
    (lambda p: p["configurations"]["3d"].pop("strides"), "configuration '3d' lacks strides"),
])
def test_an_edited_plan_that_cannot_train_is_refused_naming_the_file(edit, problem):
    data = make_plan(FINGERPRINT, memory_gb=8)
    edit(data)
    with pytest.raises(ValueError, match=problem) as raised:
        Plan.from_dict(data, source="run/plan.json")
    assert str(raised.value).startswith("run/plan.json: ")


def test_train_refuses_a_broken_plan_in_one_line(blob_dataset, tmp_path):
    from ichseg.cli.main import main

    run = tmp_path / "run"
    run.mkdir()
    (run / "plan.json").write_text(json.dumps({"plan_version": 7}))
    with pytest.raises(SystemExit) as stopped:
        main(["train", str(blob_dataset), "-o", str(run), "--max-steps", "1", "--no-progress"])
    assert "plan.json: plan version 7" in str(stopped.value.code) and "\n" not in str(stopped.value.code)
