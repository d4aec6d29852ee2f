"""Per-case evaluation over regions, summaries and folder evaluation."""

from __future__ import annotations

import csv
import json

import nibabel as nib
import numpy as np
import pytest

from ichseg.cli.main import main
from ichseg.evaluate import EmptyMaskPolicy, EvaluationConfig, describe_values, evaluate_case, evaluate_folders


def _labels():
    ref = np.zeros((40, 40, 8), np.uint8)
    ref[5:15, 5:15, 2:5] = 1  # IPH
    ref[25:30, 5:30, 3:5] = 4  # SDH
    return ref


def test_regions_and_groups():
    ref = _labels()
    pred = ref.copy()
    pred[pred == 4] = 5  # SDH called EDH: wrong type, right extra-axial blood
    rows = {r["region"]: r for r in evaluate_case(pred, ref, (0.5, 0.5, 5.0))}
    assert rows["IPH"]["dice"] == 1.0
    assert rows["SDH"]["case_type"] == "FN" and rows["SDH"]["dice"] == 0.0
    assert rows["EDH"]["case_type"] == "FP"
    assert rows["extra-axial"]["dice"] == 1.0
    assert rows["any"]["dice"] == 1.0
    assert rows["IVH"]["case_type"] == "TN" and rows["IVH"]["dice"] == 1.0


def test_unknown_region_is_refused():
    with pytest.raises(ValueError, match="unknown class or group"):
        EvaluationConfig(regions=("tumour",))


def test_describe_values_counts_exclusions():
    stats = describe_values([0.5, np.nan, 0.7, np.nan], n_resamples=500)
    assert stats["n"] == 2 and stats["n_excluded"] == 2
    assert stats["ci_low"] <= stats["mean"] <= stats["ci_high"]
    assert describe_values([np.nan])["mean"] is None


AFFINE = np.diag([0.5, 0.5, 5.0, 1.0])


def _save(array, path, affine=AFFINE):
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(array, affine), path)


def test_folder_evaluation_isolates_bad_cases(tmp_path):
    ref = _labels()
    for name in ("case_a", "case_b", "case_c", "case_d"):
        _save(ref, tmp_path / "gt" / f"{name}.nii.gz")
    _save(ref, tmp_path / "pred" / "case_a.nii.gz")
    _save(np.roll(ref, 2, axis=0), tmp_path / "pred" / "case_b" / "segmentation.nii.gz")  # predict layout
    _save(ref[:, :, :6], tmp_path / "pred" / "case_c.nii.gz")  # wrong grid
    summary = evaluate_folders(tmp_path / "pred", tmp_path / "gt", tmp_path / "out",
                               EvaluationConfig(regions=("IPH", "any")), n_resamples=200)
    assert summary["n_evaluated"] == 2
    assert "grid" in summary["failed"]["case_c"] and "no prediction" in summary["failed"]["case_d"]
    with open(tmp_path / "out" / "metrics.csv") as stream:
        rows = list(csv.DictReader(stream))
    assert [(r["case"], r["region"]) for r in rows] == [("case_a", "IPH"), ("case_a", "any"), ("case_b", "IPH"),
                                                        ("case_b", "any")]
    assert float(rows[0]["dice"]) == 1.0 and float(rows[2]["dice"]) < 1.0
    assert rows[0]["sensitivity"] == "1.0"
    written = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert written["regions"]["IPH"]["metrics"]["dice"]["n"] == 2


def test_label_maps(tmp_path):
    ref = _labels()
    bhsd = np.zeros_like(ref)
    bhsd[ref == 1] = 2  # BHSD: 2 = IPH
    bhsd[ref == 4] = 5  # BHSD: 5 = SDH
    _save(ref, tmp_path / "gt" / "x.nii.gz")
    _save(bhsd, tmp_path / "pred" / "x.nii.gz")
    summary = evaluate_folders(tmp_path / "pred", tmp_path / "gt", tmp_path / "out",
                               EvaluationConfig(regions=("IPH", "SDH")), pred_map={1: 5, 2: 1, 3: 2, 4: 3, 5: 4},
                               n_resamples=100)
    assert summary["regions"]["SDH"]["metrics"]["dice"]["mean"] == 1.0


def test_cli_evaluate(tmp_path, capsys):
    ref = _labels()
    _save(ref, tmp_path / "gt" / "x.nii.gz")
    _save(ref, tmp_path / "pred" / "x.nii.gz")
    code = main(["evaluate", str(tmp_path / "pred"), str(tmp_path / "gt"), "-o", str(tmp_path / "out"),
                 "--regions", "IPH,SAH", "--both-empty", "exclude", "--bootstrap", "100"])
    assert code == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["config"]["policy"] == {"both_empty": "exclude", "one_empty": "worst", "worst_distance_mm": None}
    assert summary["regions"]["SAH"]["metrics"]["dice"]["n_excluded"] == 1
    assert "IPH" in capsys.readouterr().out


def test_cli_evaluate_without_bootstrap(tmp_path, capsys):
    """--bootstrap 0 switches the confidence intervals off (it used to end in SciPy's traceback)."""
    ref = _labels()
    _save(ref, tmp_path / "gt" / "x.nii.gz")
    _save(ref, tmp_path / "pred" / "x.nii.gz")
    code = main(["evaluate", str(tmp_path / "pred"), str(tmp_path / "gt"), "-o", str(tmp_path / "out"),
                 "--regions", "IPH", "--bootstrap", "0"])
    assert code == 0
    dice = json.loads((tmp_path / "out" / "summary.json").read_text())["regions"]["IPH"]["metrics"]["dice"]
    assert dice["mean"] == 1.0 and dice["ci_low"] is None and dice["ci_high"] is None
    assert "IPH          Dice 1.000  cases" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["evaluate", str(tmp_path / "pred"), str(tmp_path / "gt"), "-o", str(tmp_path / "out"), "--bootstrap", "-1"])
    assert "resamples must be 0 (no CIs) or more, got -1" in capsys.readouterr().err


def test_policy_is_validated():
    with pytest.raises(ValueError, match="one_empty"):
        EmptyMaskPolicy(one_empty="zero")
