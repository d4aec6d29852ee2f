import json
import shutil
from importlib import resources

import jsonschema
import nibabel as nib
import numpy as np
import pytest

from ichseg.infer.bundle import CALIBRATION, load_bundle
from ichseg.infer.predictor import Predictor
from ichseg.infer.run import predict_inputs
from ichseg.io import Volume, write_nifti
from ichseg.quantify.uncertainty import VolumeCalibration, entropy_map, uncertain_volumes_ml


def test_entropy_is_zero_when_sure_and_one_when_every_class_is_equally_likely():
    sure = np.zeros((7, 2, 2, 1), np.float32)
    sure[3] = 1.0
    assert entropy_map(sure).max() == pytest.approx(0.0, abs=1e-5)
    assert entropy_map(np.full((7, 2, 2, 1), 1 / 7, np.float32)).min() == pytest.approx(1.0, abs=1e-5)


def test_uncertain_volume_counts_the_undecided_band_only():
    probabilities = np.zeros((2, 10, 1, 1), np.float32)
    probabilities[1, :, 0, 0] = [0.0, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 1.0, 1.0]
    probabilities[0] = 1 - probabilities[1]
    assert uncertain_volumes_ml(probabilities, 0.5)[1] == pytest.approx(5 * 0.5)


def test_intervals_cover_the_stated_share_of_exchangeable_cases():
    rng = np.random.default_rng(0)

    def draw(n):  # a model that under-segments by 20 % with noise that grows with the uncertain volume
        true = rng.gamma(2.0, 10.0, n)
        uncertain = 0.2 * true + rng.uniform(0, 2, n)
        predicted = np.maximum(0, 0.8 * true + rng.normal(0, 1, n) * (uncertain + 0.5))
        return true, predicted, uncertain

    calibration = VolumeCalibration.fit({"IPH": list(zip(*draw(200), strict=True))}, alpha=0.1)
    true, predicted, uncertain = draw(4000)
    intervals = np.array([calibration.interval("IPH", p, u) for p, u in zip(predicted, uncertain, strict=True)])
    inside = (intervals[:, 0] <= true) & (true <= intervals[:, 1])
    assert 0.87 <= inside.mean() <= 0.95
    assert np.median(intervals.mean(axis=1) - predicted) > 0  # the bias is corrected upwards
    # too few calibration cases for the level: no interval rather than a false promise
    assert VolumeCalibration.fit({"IPH": [(1.0, 1.0, 0.0)] * 5}, alpha=0.1).interval("IPH", 1.0, 0.0) is None
    assert calibration.interval("SDH", 1.0, 0.0) is None  # a type without calibration


def test_calibration_round_trips_and_a_broken_file_is_named(tmp_path):
    calibration = VolumeCalibration.fit({"IPH": [(2.0, 1.0, 1.0)] * 30}, source={"dataset": "x"})
    assert VolumeCalibration.from_dict(json.loads(json.dumps(calibration.to_dict()))) == calibration
    too_few = VolumeCalibration.fit({"IPH": [(2.0, 1.0, 1.0)] * 5})
    assert VolumeCalibration.from_dict(json.loads(json.dumps(too_few.to_dict(), allow_nan=False))) == too_few
    (tmp_path / "u.json").write_text('{"format_version": 1, "quantiles": {"IPH": [1]}}')
    with pytest.raises(ValueError, match="u.json: not a volume calibration"):
        VolumeCalibration.read(tmp_path / "u.json")


def _scan(path):
    rng = np.random.default_rng(0)
    shape = (60, 60, 8)
    image = np.where(np.indices(shape)[0] > 10, 35, -1000) + rng.normal(0, 5, shape)
    write_nifti(Volume(image.astype(np.int16), np.diag([0.9, 0.9, 5.0, 1.0])), path)
    return path


def test_predict_writes_the_map_and_intervals_only_where_calibrated(tmp_path, tiny_bundle):
    schema = json.loads((resources.files("ichseg.resources") / "volumes.schema.json").read_text())
    source = _scan(tmp_path / "in" / "scan.nii.gz")
    predictor = Predictor([load_bundle(tiny_bundle)], device="cpu", tta=True)
    predict_inputs(source, tmp_path / "out", predictor, progress=False, uncertainty=True)
    case = tmp_path / "out" / "scan"
    volumes = json.loads((case / "volumes.json").read_text())
    jsonschema.validate(volumes, schema)
    assert volumes["IPH"]["volume_interval_ml"] is None and "no uncertainty calibration" in volumes["uncertainty"]["method"]
    uncertainty = nib.load(case / "uncertainty.nii.gz")
    assert uncertainty.shape == nib.load(source).shape and np.allclose(uncertainty.affine, nib.load(source).affine)
    values = np.asarray(uncertainty.dataobj)
    assert values.min() >= 0.0 and values.max() <= 1.0 and values.std() > 0
    # the same model with a calibration beside it: every type gets an interval around its volume
    calibrated = tmp_path / "calibrated"
    shutil.copytree(tiny_bundle, calibrated)
    names = ["IPH", "IVH", "SAH", "SDH", "EDH", "PHE", "any"]
    fitted = VolumeCalibration.fit({n: [(1.0, 0.5, 1.0), (0.0, 0.0, 0.0)] * 20 for n in names},
                                   source={"dataset": "test", "tta": True})
    (calibrated / CALIBRATION).write_text(json.dumps(fitted.to_dict()))
    predictor = Predictor([load_bundle(calibrated)], device="cpu", tta=True)
    predict_inputs(source, tmp_path / "out2", predictor, progress=False, uncertainty=True)
    volumes = json.loads((tmp_path / "out2" / "scan" / "volumes.json").read_text())
    jsonschema.validate(volumes, schema)
    low, high = volumes["IPH"]["volume_interval_ml"]
    assert low <= volumes["IPH"]["volume_ml"] <= high and volumes["uncertainty"]["coverage"] == 0.9
    # calibrated with TTA: a predictor without it gets no intervals, and says why
    calibration, reason = Predictor([load_bundle(calibrated)], device="cpu").volume_calibration()
    assert calibration is None and "TTA" in reason
