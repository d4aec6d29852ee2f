import json
import subprocess
import sys

import numpy as np
import pytest

from ichseg.data.synth import SynthConfig, generate_case
from ichseg.data.synth.pairs import expansion_pair, grow_hematoma, thicken
from ichseg.expansion import measure_expansion, volume_change
from ichseg.expansion.registration import register_rigid, resample_to
from ichseg.io import Volume, write_nifti
from ichseg.labels import IPH

CONFIG = SynthConfig(types=("IPH",), negative_fraction=0.0, slice_mm=5.0, tilt_probability=0.0)


def _angle(a, b):
    return float(np.degrees(np.arccos(np.clip((np.trace(np.asarray(a).T @ b) - 1) / 2, -1, 1))))


class ReferenceLabels:
    """A predictor that answers each scan with its reference labels: what the expansion
    pipeline measures when the segmentation is right."""

    def __init__(self, *pairs):
        self.labels = {image.array.tobytes(): labels for image, labels in pairs}

    def predict(self, volume):
        return volume.with_array(self.labels[np.asarray(volume.array).tobytes()].array.copy())


@pytest.fixture(scope="module")
def pair():
    """Seed 21: a 19 mL deep IPH; the follow-up grown by ~11 mL, turned 14 degrees, shifted 20 mm."""
    return expansion_pair(21, growth_ml=10.0, rotation_deg=(3.0, -4.0, 14.0), shift_mm=(12.0, -15.0, 6.0),
                          pixel_mm=1.2)


def test_growth_is_the_requested_volume_in_the_brain_only():
    case = generate_case(21, SynthConfig(**{**CONFIG.__dict__, "pixel_mm": 1.8}))
    _, labels = grow_hematoma(case.image, case.labels, 7.0, np.random.default_rng(0))
    added = (labels.array == IPH) & (case.labels.array != IPH)
    assert abs(added.sum() * labels.voxel_volume_ml - 7.0) < labels.voxel_volume_ml
    assert not (added & (case.image.array > 200)).any()  # never into bone


def test_thick_reference_leaves_out_voxels_the_skull_makes_bone_bright():
    # 4 thin slices per thick one: a clot covering 3 of 4 against bone (1000 HU) averages to
    # ~770 HU and is not blood to a reader; the same clot over brain (30 HU) is.
    hu = np.full((2, 1, 4), 70.0, np.float32)
    hu[0, 0, 3] = 1000.0
    hu[1, 0, 3] = 30.0
    labels = np.zeros(hu.shape, np.uint8)
    labels[:, :, :3] = IPH
    image, reference = thicken(Volume(hu, np.eye(4)), Volume(labels, np.eye(4)), 4)
    assert image.shape == (2, 1, 1)
    assert reference.array[:, 0, 0].tolist() == [0, IPH]


def test_registration_recovers_a_known_motion():
    moved = expansion_pair(21, growth_ml=0.0, rotation_deg=(-4.0, 5.0, -15.0), shift_mm=(-8.0, 14.0, 10.0),
                           pixel_mm=1.5)
    found = register_rigid(moved.baseline, moved.followup)
    assert _angle(found.matrix, moved.matrix) < 1.0
    image = moved.baseline
    centre = (image.affine @ np.array([*np.argwhere(image.array > -300).mean(axis=0), 1.0]))[:3]
    assert np.linalg.norm((found.matrix @ centre + found.offset) - (moved.matrix @ centre + moved.offset)) < 1.5
    # the labels brought back overlap the originals
    back = resample_to(image, moved.followup_labels, found, labels=True).array == IPH
    truth = moved.baseline_labels.array == IPH
    assert 2 * (back & truth).sum() / (back.sum() + truth.sum()) > 0.8
    assert register_rigid(image, moved.followup).to_dict() == found.to_dict()  # deterministic


@pytest.mark.parametrize(("before", "after", "expansion", "percent"), [
    (20.0, 26.0, True, 30.0),  # 6 mL rule
    (9.0, 12.0, True, 33.3),  # 33 % rule
    (9.0, 11.9, False, 32.2),
    (0.0, 5.0, False, None),  # no baseline: no percentage, the 6 mL rule alone
    (0.0, 6.5, True, None),
    (30.0, 20.0, False, -33.3),
])
def test_expansion_rules(before, after, expansion, percent):
    change = volume_change({"IPH": {"volume_ml": before}}, {"IPH": {"volume_ml": after}})
    assert change["iph_expansion"] is expansion and change["IPH"]["change_percent"] == percent
    assert change["new_ivh"] is False


def test_a_pair_from_thin_slices_has_the_requested_growth_and_motion(pair):
    assert pair.baseline.spacing[2] == 5.0 and pair.baseline.shape == pair.followup.shape
    assert abs(pair.true_growth_ml - 10.0) < 2.0  # thick slices re-label the clot's rim
    assert _angle(pair.matrix, np.eye(3)) == pytest.approx(np.degrees(np.arccos((np.trace(pair.matrix) - 1) / 2)))


def test_the_pipeline_measures_the_true_growth_and_aligns_the_scans(pair, tmp_path):
    oracle = ReferenceLabels((pair.baseline, pair.baseline_labels), (pair.followup, pair.followup_labels))
    record = measure_expansion(pair.baseline, pair.followup, tmp_path / "out", oracle)
    assert record["change"]["IPH"]["change_ml"] == pytest.approx(pair.true_growth_ml, abs=1e-3)
    assert record["change"]["iph_expansion"] is True and record["change"]["new_ivh"] is False
    assert _angle(record["registration"]["matrix"], pair.matrix) < 1.0
    assert record["registration"]["head_overlap_dice"] > 0.95 and not record["warnings"]
    for name in ("expansion.json", "expansion.png", "baseline/segmentation.nii.gz", "baseline/volumes.json",
                 "followup/segmentation.nii.gz", "followup/segmentation_on_baseline.nii.gz"):
        assert (tmp_path / "out" / name).is_file(), name
    assert json.loads((tmp_path / "out" / "expansion.json").read_text())["change"] == record["change"]


@pytest.mark.slow
def test_the_bundled_model_sees_the_growth(pair, tmp_path):
    """The model's own accuracy (benchmarks/expansion_bench.py has 20 pairs): the growth is
    found and flagged; its size is bounded loosely, by the model's known IPH bias."""
    from ichseg.infer.predictor import load_predictor

    record = measure_expansion(pair.baseline, pair.followup, tmp_path / "out", load_predictor(("default",),
                                                                                              device="cpu"))
    assert record["change"]["iph_expansion"] is True
    assert abs(record["change"]["IPH"]["change_ml"] - pair.true_growth_ml) < 0.5 * pair.true_growth_ml


def test_cli_refuses_a_missing_scan_in_one_line(tmp_path):
    case = generate_case(21, SynthConfig(**{**CONFIG.__dict__, "pixel_mm": 3.0}))
    write_nifti(case.image, tmp_path / "base.nii.gz")
    result = subprocess.run([sys.executable, "-m", "ichseg", "expansion", str(tmp_path / "base.nii.gz"),
                             str(tmp_path / "missing.nii.gz"), "-o", str(tmp_path / "out"), "--device", "cpu"],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "missing.nii.gz" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) <= 3
