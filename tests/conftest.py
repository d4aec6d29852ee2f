"""Shared fixtures: the real scans shipped with the project."""

from __future__ import annotations

from pathlib import Path

import pytest

from ichseg.resources import example_path

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def ge_folder() -> Path:
    """Real GE head CT: 28 slices, +18.5 degree tilt, 4 mm then 7 mm slices."""
    return example_path("ge_head_ct")


@pytest.fixture(scope="session")
def ge_volume(ge_folder):
    from ichseg.io import read_volume

    return read_volume(ge_folder)


@pytest.fixture(scope="session")
def philips_study() -> Path:
    """Real Philips study folder: localizer, axial 5 mm brain series, screenshots, DIRFILEs."""
    return DATA / "dicom" / "philips_phantom_study"


@pytest.fixture(scope="session")
def compressed_folder() -> Path:
    return DATA / "dicom" / "compressed"


@pytest.fixture(scope="session")
def blob_dataset(tmp_path_factory) -> Path:
    """Six tiny labelled cases (IPH and SDH blobs) in the dataset format (see blob_dataset.py)."""
    from blob_dataset import write_blob_dataset

    return write_blob_dataset(tmp_path_factory.mktemp("blobs") / "dataset")
