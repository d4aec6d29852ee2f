import csv
import json
import shutil

import highdicom as hd
import nibabel as nib
import numpy as np
import pytest

from ichseg.infer.bundle import load_bundle
from ichseg.infer.output_folder import LOCK_NAME, SUMMARY_COLUMNS
from ichseg.infer.predictor import Predictor
from ichseg.infer.run import predict_inputs
from ichseg.io import Volume, read_volume, write_nifti
from ichseg.labels import LABELS

CLASSES = ("IPH", "IVH", "SAH", "SDH", "EDH", "PHE")


@pytest.fixture(scope="module")
def predictor(tiny_bundle):
    return Predictor([load_bundle(tiny_bundle)], device="cpu")


def _nifti(path, shape=(60, 60, 8), spacing=(0.9, 0.9, 5.0)):
    rng = np.random.default_rng(0)
    image = np.where(np.indices(shape)[0] > 10, 35, -1000) + rng.normal(0, 5, shape)
    write_nifti(Volume(image.astype(np.int16), np.diag([*spacing, 1.0])), path)
    return path


def test_output_contract(tmp_path, predictor):
    source = _nifti(tmp_path / "in" / "scan_01.nii.gz")
    before = source.read_bytes()
    rows = predict_inputs(source, tmp_path / "out", predictor, progress=False)
    assert rows[0]["status"] == "ok"
    case = tmp_path / "out" / "scan_01"
    assert sorted(p.name for p in case.iterdir()) == ["preview.png", "segmentation.nii.gz", "viewer.json", "volumes.json"]
    segmentation, image = nib.load(case / "segmentation.nii.gz"), nib.load(source)
    assert segmentation.shape == image.shape and np.allclose(segmentation.affine, image.affine)
    assert segmentation.get_data_dtype() == np.uint8
    report = (tmp_path / "out" / "report.html").read_text()
    assert "scan_01" in report and json.loads((case / "viewer.json").read_text())["n_slices"] == 8
    volumes = json.loads((case / "volumes.json").read_text())
    assert "any_hemorrhage_ml" in volumes
    for name in CLASSES:
        assert set(volumes[name]) == {"volume_ml", "abc2_ml", "n_lesions", "max_diameter_mm"}
    voxel_ml = np.prod(segmentation.header.get_zooms()) / 1000
    labels = np.asarray(segmentation.dataobj)
    assert volumes["any_hemorrhage_ml"] == pytest.approx(np.isin(labels, [1, 2, 3, 4, 5]).sum() * voxel_ml, abs=1e-3)
    with open(tmp_path / "out" / "summary.csv", newline="") as stream:
        table = list(csv.DictReader(stream))
    assert list(table[0]) == SUMMARY_COLUMNS and table[0]["case"] == "scan_01"
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["models"][0]["name"] == "tiny" and run["device"] == "cpu" and run["cases"][0]["status"] == "ok"
    assert source.read_bytes() == before
    assert [p.name for p in (tmp_path / "out").glob(".*")] == [LOCK_NAME]  # no temporary leftovers


def test_a_bad_case_does_not_stop_the_others(tmp_path, predictor):
    folder = tmp_path / "inputs"
    _nifti(folder / "good.nii.gz")
    (folder / "broken.nii.gz").write_bytes(b"not a nifti at all")
    rows = predict_inputs(folder, tmp_path / "out", predictor, progress=False)
    status = {row["case"]: row for row in rows}
    assert status["good"]["status"] == "ok"
    assert status["broken"]["status"] == "error" and "broken.nii.gz" in status["broken"]["error"]
    assert (tmp_path / "out" / "good" / "volumes.json").exists()
    assert not (tmp_path / "out" / "broken").exists()


def test_single_slice_and_dicom_seg(tmp_path, predictor, ge_folder):
    one_slice = ge_folder / "12.dcm"
    rows = predict_inputs(one_slice, tmp_path / "slice", predictor, progress=False)
    assert rows[0]["status"] == "ok", rows[0]["error"]
    assert nib.load(tmp_path / "slice" / "12" / "segmentation.nii.gz").shape[2] == 1

    rows = predict_inputs(ge_folder, tmp_path / "series", predictor, dicom_seg=True, progress=False)
    assert rows[0]["status"] == "ok", rows[0]["error"]
    segmentation = hd.seg.segread(tmp_path / "series" / "ge_head_ct" / "segmentation.dcm")
    labels = np.asarray(nib.load(tmp_path / "series" / "ge_head_ct" / "segmentation.nii.gz").dataobj)
    found = {LABELS[int(v)] for v in np.unique(labels) if v}
    names = {segmentation.get_segment_description(n).segment_label for n in segmentation.segment_numbers}
    assert names and names <= found  # one segment per class found, none for absent classes
    assert len(segmentation.get_source_image_uids()) == 28


def test_study_folder_input(tmp_path, predictor, philips_study):
    rows = predict_inputs(philips_study, tmp_path / "out", predictor, progress=False)
    assert rows[0]["status"] == "ok", rows[0]["error"]
    segmentation = nib.load(tmp_path / "out" / philips_study.name / "segmentation.nii.gz")
    assert segmentation.shape == read_volume(philips_study).shape


def test_dicom_seg_of_a_nifti_input_is_a_warning_and_everything_else_is_written(tmp_path, predictor):
    rows = predict_inputs(_nifti(tmp_path / "a.nii.gz"), tmp_path / "out", predictor, dicom_seg=True,
                          progress=False)
    assert rows[0]["status"] == "ok" and "--dicom-seg needs a DICOM input" in rows[0]["warnings"]
    case = tmp_path / "out" / "a"
    assert sorted(p.name for p in case.iterdir()) == ["preview.png", "segmentation.nii.gz", "viewer.json", "volumes.json"]
    assert any("segmentation.dcm not written" in w for w in json.loads((case / "volumes.json").read_text())["warnings"])


def test_ensemble_tta_and_damaged_bundle(tmp_path, tiny_bundle):
    bundle = load_bundle(tiny_bundle)
    volume = read_volume(_nifti(tmp_path / "a.nii.gz"))
    single = Predictor([bundle], device="cpu")
    probabilities, _ = single.probabilities(volume)
    ensemble, _ = Predictor([bundle, load_bundle(tiny_bundle)], device="cpu").probabilities(volume)
    np.testing.assert_allclose(ensemble, probabilities, atol=1e-5)  # same member twice
    tta, _ = Predictor([bundle], device="cpu", tta=True).probabilities(volume)
    assert tta.shape == probabilities.shape and not np.allclose(tta, probabilities)
    damaged = tmp_path / "damaged"
    shutil.copytree(tiny_bundle, damaged)
    with open(damaged / "model.safetensors", "r+b") as stream:
        stream.seek(-4, 2)
        stream.write(b"\x00\x01\x02\x03")
    with pytest.raises(ValueError, match="checksum"):
        load_bundle(damaged)
