"""read_volume dispatch and its errors for unusable paths."""

from __future__ import annotations

import pytest

from ichseg.io import InputError, read_volume


def test_missing_path(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        read_volume(tmp_path / "nothing.nii.gz")


def test_empty_file(tmp_path):
    (tmp_path / "scan.dcm").write_bytes(b"")
    with pytest.raises(InputError, match="scan.dcm: empty file"):
        read_volume(tmp_path / "scan.dcm")


def test_unknown_format(tmp_path):
    (tmp_path / "scan.bin").write_bytes(b"\x00" * 1000)
    with pytest.raises(InputError, match="not a recognised image format"):
        read_volume(tmp_path / "scan.bin")


def test_dicom_file_without_pixels(tmp_path):
    import pydicom
    from pydicom.data import get_testdata_file

    report = pydicom.dcmread(get_testdata_file("test-SR.dcm"))
    report.save_as(tmp_path / "report.dcm")
    with pytest.raises(InputError, match="without image data"):
        read_volume(tmp_path / "report.dcm")


def test_inputs_are_never_modified(ge_folder):
    before = {p.name: p.stat().st_mtime_ns for p in ge_folder.iterdir()}
    read_volume(ge_folder)
    assert {p.name: p.stat().st_mtime_ns for p in ge_folder.iterdir()} == before
