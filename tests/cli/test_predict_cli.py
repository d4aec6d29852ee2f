import json

import numpy as np
import pytest

from ichseg.cli.main import main
from ichseg.io import Volume, write_nifti


@pytest.mark.parametrize("trusted", [True, False])
def test_predict_options_reach_run_json_and_only_trusted_programs_run(tmp_path, tiny_bundle, monkeypatch, trusted):
    from ichseg.infer import bundle

    if trusted:  # as if the tiny bundle's program were shipped with ichseg
        monkeypatch.setattr(bundle, "TRUSTED_PROGRAMS", frozenset({bundle.sha256_of(tiny_bundle / bundle.PROGRAM)}))
    scan = tmp_path / "scan.nii.gz"
    write_nifti(Volume(np.full((40, 40, 6), 35, np.int16), np.diag([1.0, 1.0, 5.0, 1.0])), scan)
    arguments = ["predict", "-i", str(scan), "-o", str(tmp_path / "out"), "--model", str(tiny_bundle),
                 "--device", "cpu", "--min-component-ml", "0.5", "--smooth", "--keep-isolated-edema"]
    assert main(arguments) == 0
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["postprocessing"] == {"min_component_ml": 0.5, "smooth": True, "edema_needs_hematoma": False}
    assert run["models"][0]["exported_program"] is trusted


def test_a_negative_component_threshold_is_refused_before_anything_runs(tmp_path, capsys):
    scan = tmp_path / "scan.nii.gz"
    write_nifti(Volume(np.full((40, 40, 6), 35, np.int16), np.diag([1.0, 1.0, 5.0, 1.0])), scan)
    with pytest.raises(SystemExit) as error:
        main(["predict", "-i", str(scan), "-o", str(tmp_path / "out"), "--min-component-ml", "-1"])
    assert "min_component_ml must be 0 (keep all) or more, got -1.0" in str(error.value)
    assert not (tmp_path / "out").exists()
