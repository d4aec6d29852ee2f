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


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory) -> Path:
    """An untrained 2.5D U-Net exported as a model bundle: fast, for output-contract tests."""
    import torch

    from ichseg.infer.bundle import export_bundle
    from ichseg.models.network_spec import NetworkSpec

    spec = NetworkSpec(model="unet", options={"channels": [4, 8, 16], "strides": [2, 2], "norm": "batch"},
                       spatial_dims=2, in_channels=9, out_channels=7, patch_size=(64, 64), context_slices=1,
                       spacing=(2.0, 2.0, 5.0), normalization={"scheme": "windows", "windows": "rgb3"})
    torch.manual_seed(0)
    network = spec.build()
    folder = tmp_path_factory.mktemp("bundle") / "tiny"
    export_bundle({"network": spec.to_dict(), "model": network.state_dict()}, folder, name="tiny",
                  training={"note": "untrained"})
    return folder
