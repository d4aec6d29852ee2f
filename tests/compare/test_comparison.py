"""compare_models and the compare command end to end."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from ichseg.cli.main import main
from ichseg.compare.comparison import compare_models
from ichseg.io import InputError


def _table(path, dice_mean, volume_bias, seed):
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=["case", "region", "case_type", "dice", "iou", "hd95", "nsd",
                                                    "abs_rvd", "sensitivity", "precision", "volume_difference_ml",
                                                    "pred_volume_ml", "ref_volume_ml"])
        writer.writeheader()
        for k in range(24):
            ref = float(rng.uniform(1, 60))
            pred = ref + volume_bias + rng.normal(0, 1)
            dice = float(np.clip(rng.normal(dice_mean, 0.05), 0, 1))
            writer.writerow({"case": f"c{k:02d}", "region": "any", "case_type": "TP", "dice": dice, "iou": dice / (2 - dice),
                             "hd95": rng.uniform(1, 5), "nsd": dice, "abs_rvd": abs(pred - ref) / ref,
                             "sensitivity": dice, "precision": "" if k == 0 else dice,
                             "volume_difference_ml": pred - ref, "pred_volume_ml": pred, "ref_volume_ml": ref})


def test_compare_three_models(tmp_path, capsys):
    for name, dice, bias, seed in (("unet", 0.85, 0.0, 1), ("segresnet", 0.86, 0.5, 2), ("weak", 0.6, -3.0, 3)):
        _table(tmp_path / name / "metrics.csv", dice, bias, seed)
    tables = [str(tmp_path / n / "metrics.csv") for n in ("unet", "segresnet", "weak")]
    assert main(["compare", *tables, "-o", str(tmp_path / "cmp"), "--bootstrap", "200"]) == 0
    out = capsys.readouterr().out
    assert "| model | region | n | dice |" in out and "unet" in out
    tests = json.loads((tmp_path / "cmp" / "tests.json").read_text())
    dice_tests = tests["regions"]["any"]["dice"]
    assert dice_tests["kruskal_dunn"]["p"] < 0.001
    weakest = [r for r in dice_tests["kruskal_dunn"]["dunn"] if "weak" in (r["a"], r["b"])]
    assert all(r["p_adjusted"] < 0.01 for r in weakest)
    agreement = {row["model"]: row for row in csv.DictReader((tmp_path / "cmp" / "agreement.csv").read_text().splitlines())}
    assert float(agreement["weak"]["bias"]) == pytest.approx(-3.0, abs=0.6)
    assert float(agreement["unet"]["ccc"]) > 0.99
    for png in ("dice_any.png", "bland_altman_weak_any.png", "concordance_unet_any.png"):
        assert (tmp_path / "cmp" / png).stat().st_size > 5000
    assert "(1 excl.)" in (tmp_path / "cmp" / "results.csv").read_text()


def test_not_a_metrics_table(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="not an ichseg metrics table"):
        compare_models([tmp_path / "x.csv"], tmp_path / "out")
