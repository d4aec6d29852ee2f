import shutil

import pytest

from ichseg.infer.inputs import list_case_inputs
from ichseg.io import InputError


def test_a_series_folder_and_a_study_folder_are_one_case_each(ge_folder, philips_study):
    assert [(c.case, c.path) for c in list_case_inputs(ge_folder)] == [("ge_head_ct", ge_folder)]
    assert [c.case for c in list_case_inputs(philips_study)] == [philips_study.name]


def test_folder_of_inputs_and_csv(tmp_path, ge_folder):
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "scan_01.nii.gz").write_bytes(b"")
    (tmp_path / "inputs" / "README.md").write_text("notes")
    shutil.copytree(ge_folder, tmp_path / "inputs" / "ge")
    cases = list_case_inputs(tmp_path / "inputs")
    assert [c.case for c in cases] == ["scan_01", "ge"]
    (tmp_path / "list.csv").write_text("case,path\nfirst,inputs/scan_01.nii.gz\n,inputs/ge\n")
    listed = list_case_inputs(tmp_path / "list.csv")
    assert [c.case for c in listed] == ["first", "ge"]
    assert listed[0].path == tmp_path / "inputs" / "scan_01.nii.gz"
    (tmp_path / "bad.csv").write_text("file\nx\n")
    with pytest.raises(InputError, match="path"):
        list_case_inputs(tmp_path / "bad.csv")
    with pytest.raises(InputError, match="no such"):
        list_case_inputs(tmp_path / "missing")
