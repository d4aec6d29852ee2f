"""``ichseg.segment``: the Python API gives what ``ichseg predict`` writes."""

import json

import numpy as np
import pytest

import ichseg
from ichseg.cli.main import main
from ichseg.io import InputError, read_volume


def test_segment_gives_the_labels_and_volumes_that_predict_writes(tiny_bundle, blob_dataset, tmp_path):
    image = blob_dataset / "imagesTr" / "blob_001_0000.nii.gz"
    result = ichseg.segment(image, model=str(tiny_bundle), device="cpu")
    assert main(["predict", "-i", str(image), "-o", str(tmp_path / "out"), "--model", str(tiny_bundle)]) == 0
    written = tmp_path / "out" / "blob_001_0000"
    assert result.volumes == json.loads((written / "volumes.json").read_text())
    assert np.array_equal(result.labels.array, read_volume(written / "segmentation.nii.gz").array)
    assert result.labels.shape == read_volume(image).shape


def test_a_volume_goes_in_as_it_is_and_is_not_changed(tiny_bundle, ge_volume):
    before = list(ge_volume.warnings)
    result = ichseg.segment(ge_volume, model=str(tiny_bundle), device="cpu")
    assert ge_volume.warnings == before  # the caller's volume keeps its own list
    assert set(before) <= set(result.warnings) and result.volumes["warnings"] == list(result.warnings)


def test_an_unreadable_scan_is_an_input_error_naming_it(tmp_path):
    broken = tmp_path / "broken.nii.gz"
    broken.write_bytes(b"not a nifti")
    with pytest.raises(InputError, match="broken.nii.gz"):
        ichseg.segment(broken, device="cpu")


def test_import_ichseg_stays_light():
    import subprocess
    import sys

    code = "import sys, ichseg; print('torch' in sys.modules, callable(ichseg.segment), 'torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.split() == ["False", "True", "False"]  # torch only to predict
