"""``ichseg adapt``: a bundle fine-tuned on unlabelled site scans, its card, and its refusal
when the held-out anchor's Dice collapses."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ichseg.adapt import AdaptConfig, adapt_bundle
from ichseg.adapt.changes import prediction_changes
from ichseg.cli.main import main
from ichseg.data.synth import SynthConfig, generate_dataset
from ichseg.infer.bundle import load_bundle
from ichseg.io import InputError

SMALL = SynthConfig(pixel_mm=1.0, slice_mm=5.0, negative_fraction=0.0, types=("IPH", "SDH"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Two unlabelled site scans and a labelled 4-case anchor (1 held out)."""
    root = tmp_path_factory.mktemp("adapt")
    generate_dataset(root / "site", 0, seed=41, config=SMALL, n_unlabeled=2)
    generate_dataset(root / "anchor", 4, seed=42, config=SMALL)
    return root / "site" / "imagesUnlabeled", root / "anchor"


def test_an_adapted_bundle_has_its_card_and_predicts(site, tiny_bundle, tmp_path):
    scans, anchor = site
    config = AdaptConfig(steps=2, anchor=str(anchor), batch_size=2, max_dice_drop=1.0, report_scans=2)
    record = adapt_bundle(str(tiny_bundle), scans, tmp_path / "site_model", config, threads=1, progress=False,
                          log=lambda message: None)
    out = tmp_path / "site_model"
    assert not (tmp_path / "site_model.partial").exists()  # the work folder goes once the bundle is out
    description = json.loads((out / "bundle.json").read_text())
    assert description["metrics"]["adaptation"] == json.loads(json.dumps(record))
    assert description["sha256"] != json.loads((tiny_bundle / "bundle.json").read_text())["sha256"]
    assert record["scans"]["used"] == 2 and record["anchor"]["validation_cases"]
    assert set(record["predictions"]["volume_ml"]) == {"IPH", "IVH", "SAH", "SDH", "EDH", "PHE", "any"}
    assert 0 <= record["predictions"]["changed_voxel_share"] <= 1
    card = (out / "MODEL_CARD.md").read_text()
    assert "2 unlabelled scan(s)" in card and "held-out anchor" in card
    adapted = load_bundle(out)
    assert adapted.spec == load_bundle(tiny_bundle).spec  # the same network, new weights


def test_adapt_refuses_when_the_anchor_dice_collapses(site, tmp_path, capsys):
    # the shipped model finds the anchor's blood; a learning rate of 10 destroys its weights in two steps
    scans, anchor = site
    out = tmp_path / "site_model"
    status = main(["adapt", "-i", str(scans), "-o", str(out), "--anchor", str(anchor), "--steps", "2",
                   "--lr", "10", "--batch-size", "2", "--report-scans", "1", "--threads", "2", "--no-progress"])
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert status == 3 and message.startswith("ichseg adapt: refused:") and "fell from" in message
    assert not out.exists()
    report = json.loads((tmp_path / "site_model.partial" / "adapt.json").read_text())
    assert not report["accepted"] and report["anchor"]["dice_any_before"] > 0.5
    assert report["anchor"]["drop"] > 0.05
    # the partial run belongs to these settings: other ones are refused, not mixed in
    with pytest.raises(InputError, match="other settings"):
        adapt_bundle("default", scans, out, AdaptConfig(steps=3, anchor=str(anchor)), log=lambda message: None)


def test_adapt_needs_a_semi_supervised_trainer_and_readable_scans(tmp_path, capsys):
    with pytest.raises(ValueError, match="does not learn from unlabelled"):
        AdaptConfig(trainer="supervised")
    (tmp_path / "empty").mkdir()
    assert main(["adapt", "-i", str(tmp_path / "empty"), "-o", str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("ichseg: error:") and "no readable scan to adapt on (empty folder)" in error
    assert not (tmp_path / "out.partial").exists()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        adapt_bundle("default", tmp_path / "empty", tmp_path / "out", log=lambda message: None)
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


def test_prediction_changes_count_volume_shift_and_changed_voxels():
    before = np.zeros((4, 4, 2), np.uint8)
    before[0, :, 0] = 4  # 4 voxels of SDH
    after = before.copy()
    after[0, :2, 0] = 0  # 2 of them gone
    after[3, 3, 1] = 2  # 1 new IVH voxel
    changes = prediction_changes({"a": (before, 0.5), "b": (before, 0.5)}, {"a": (after, 0.5), "b": (before, 0.5)})
    assert changes["volume_ml"]["SDH"] == {"before": 2.0, "after": 1.5, "mean_shift": -0.5}
    assert changes["volume_ml"]["any"]["mean_shift"] == pytest.approx(-0.25)
    assert changes["changed_voxel_share"] == pytest.approx(3 / 64)
    assert changes["changed_blood_voxel_share"] == pytest.approx(3 / 9)  # 4 + 5 voxels called blood by either
    with pytest.raises(ValueError, match="same scans"):
        prediction_changes({"a": (before, 0.5)}, {"b": (before, 0.5)})
