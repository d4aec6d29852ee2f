import shutil

import nibabel as nib
import numpy as np
import pytest

from ichseg.data.fingerprint import extract_fingerprint
from ichseg.io import InputError


def test_fingerprint_of_a_small_dataset(blob_dataset):
    fingerprint = extract_fingerprint(blob_dataset)
    assert fingerprint["n_cases"] == 6
    assert fingerprint["median_spacing"] == pytest.approx([1.0, 1.0, 5.0])
    assert fingerprint["median_shape"] == [48, 48, 12]
    stats = fingerprint["foreground_intensity"]
    assert 60 < stats["mean"] < 95  # blood blobs are 70 and 95 HU
    assert fingerprint["classes"]["IPH"]["cases_with_class"] == 6
    assert fingerprint["classes"]["SDH"]["cases_with_class"] == 4
    assert fingerprint["classes"]["EDH"]["cases_with_class"] == 0
    assert all(size > 0 for case in fingerprint["cases"] for size in case["component_ml"].get("IPH", []))


def test_fingerprint_refuses_a_folder_that_is_not_a_dataset(tmp_path):
    with pytest.raises(InputError, match="imagesTr"):
        extract_fingerprint(tmp_path)


def test_fingerprint_shows_its_progress_over_the_cases(blob_dataset, capsys):
    # a 280-case fingerprint takes minutes: a silent one looks hung
    extract_fingerprint(blob_dataset, progress=True)
    shown = capsys.readouterr().err
    assert "fingerprint" in shown and "6/6" in shown


def test_a_dataset_without_labelled_voxels_takes_the_soft_tissue_range(blob_dataset, tmp_path):
    copy = tmp_path / "unlabelled"
    shutil.copytree(blob_dataset, copy)
    for path in (copy / "labelsTr").glob("*.nii.gz"):
        image = nib.load(path)
        nib.save(nib.Nifti1Image(np.zeros(image.shape, np.uint8), image.affine), path)
    stats = extract_fingerprint(copy)["foreground_intensity"]
    assert 0 < stats["percentile_00_5"] <= stats["mean"] <= stats["percentile_99_5"] < 100
