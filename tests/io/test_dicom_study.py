"""Choosing the series of a study folder."""

from __future__ import annotations

import shutil

import pydicom
import pytest

from dicom_factory import write_series
from ichseg.io import InputError, read_volume


def test_philips_study_picks_axial_brain_series(philips_study):
    volume = read_volume(philips_study)
    assert volume.metadata["series_number"] == 201
    assert "STD BRAIN 5MM" in volume.metadata["series_choice"]
    rejected = " ".join(f"{k}={v}" for k, v in volume.metadata["rejected_series"].items())
    assert "LOCALIZER" in rejected and "localizer" in rejected
    assert "Exam Summary" in rejected and "secondary capture" in rejected
    assert volume.metadata["skipped_files"]["DIRFILE"] == "DICOM directory index"
    assert volume.shape == (512, 512, 28) and volume.spacing[2] == pytest.approx(5.0)


def test_series_can_be_chosen_by_number(philips_study):
    localizer = read_volume(philips_study, series=100)
    assert localizer.metadata["series_number"] == 100
    assert "requested" in localizer.metadata["series_choice"]
    with pytest.raises(InputError, match="series 999 not found"):
        read_volume(philips_study, series=999)


def test_two_equivalent_series_need_a_choice(tmp_path, ge_folder):
    for name, uid in (("a", "1.2.826.0.1.1"), ("b", "1.2.826.0.1.2")):
        for path in ge_folder.glob("*.dcm"):
            dataset = pydicom.dcmread(path)
            dataset.SeriesInstanceUID = uid
            dataset.SOPInstanceUID = f"{uid}.{dataset.InstanceNumber}"
            (tmp_path / name).mkdir(exist_ok=True)
            dataset.save_as(tmp_path / name / path.name)
    with pytest.raises(InputError, match="several series fit equally well"):
        read_volume(tmp_path)
    assert read_volume(tmp_path, series="1.2.826.0.1.2").metadata["series_uid"] == "1.2.826.0.1.2"


def test_ranking_prefers_soft_tissue_and_5mm(tmp_path):
    study = "1.2.826.0.2"
    flat = lambda w: w[..., 0] * 0  # noqa: E731
    thin = [(0.0, 0.0, 0.625 * k) for k in range(160)]
    thick = [(0.0, 0.0, 5.0 * k) for k in range(24)]
    write_series(tmp_path / "bone", flat, positions=thick, shape=(8, 8), series_number=3, kernel="BONE",
                 study_uid=study)
    write_series(tmp_path / "thin", flat, positions=thin, shape=(8, 8), series_number=4, thickness=0.625,
                 study_uid=study)
    write_series(tmp_path / "std", flat, positions=thick, shape=(8, 8), series_number=5, study_uid=study)
    write_series(tmp_path / "sag", flat, positions=[(5.0 * k, 0, 0) for k in range(20)], shape=(8, 8),
                 series_number=6, orientation=(0, 1, 0, 0, 0, -1), study_uid=study)
    volume = read_volume(tmp_path)
    assert volume.metadata["series_number"] == 5
    assert "soft-tissue kernel" in volume.metadata["series_choice"]
    reasons = " ".join(volume.metadata["rejected_series"].values())
    assert "not axial" in reasons


def test_empty_and_non_dicom_folders_are_errors(tmp_path):
    with pytest.raises(InputError, match="empty folder"):
        read_volume(tmp_path)
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(InputError, match="no DICOM image series"):
        read_volume(tmp_path)


def test_localizer_only_folder_is_refused(tmp_path, philips_study):
    shutil.copytree(philips_study / "S1000", tmp_path / "S1000")
    with pytest.raises(InputError, match="localizer"):
        read_volume(tmp_path)
