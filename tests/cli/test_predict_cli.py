import json
from pathlib import Path

import numpy as np
import pytest

from ichseg.cli.main import main
from ichseg.io import InputError, Volume, write_nifti


@pytest.mark.parametrize("device", ["cpu", "auto"])
def test_predict_options_reach_run_json_and_the_cpu_runs_the_onnx_graph(tmp_path, tiny_bundle, device):
    scan = tmp_path / "scan.nii.gz"
    write_nifti(Volume(np.full((40, 40, 6), 35, np.int16), np.diag([1.0, 1.0, 5.0, 1.0])), scan)
    arguments = ["predict", "-i", str(scan), "-o", str(tmp_path / "out"), "--model", str(tiny_bundle),
                 "--device", device, "--min-component-ml", "0.5", "--component-scope", "lesion", "--smooth",
                 "--keep-isolated-edema", "--keep-extra-axial-in-iph", "--keep-blood-on-clipped-bone"]
    assert main(arguments) == 0
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["postprocessing"] == {"min_component_ml": 0.5, "component_scope": "lesion", "smooth": True,
                                     "edema_needs_hematoma": False, "extra_axial_in_iph": False,
                                     "clipped_bone_not_blood": False}
    assert run["models"][0]["onnx_runtime"] is (run["device"] == "cpu")
    assert run["onnxruntime"] and run["threads"] >= 1


def test_a_negative_component_threshold_is_refused_before_anything_runs(tmp_path, capsys):
    scan = tmp_path / "scan.nii.gz"
    write_nifti(Volume(np.full((40, 40, 6), 35, np.int16), np.diag([1.0, 1.0, 5.0, 1.0])), scan)
    with pytest.raises(SystemExit) as error:
        main(["predict", "-i", str(scan), "-o", str(tmp_path / "out"), "--min-component-ml", "-1"])
    assert "min_component_ml must be 0 (keep all) or more, got -1.0" in str(error.value)
    assert not (tmp_path / "out").exists()


def test_a_png_folder_and_another_series_of_a_study_go_through_predict(tmp_path, tiny_bundle, philips_study):
    from PIL import Image

    slices = tmp_path / "pngs"
    slices.mkdir()
    for k in range(3):
        Image.fromarray(np.full((48, 40), 100 + 20 * k, np.uint8)).save(slices / f"{k + 1}.png")
    common = ["--model", str(tiny_bundle), "--device", "cpu"]
    assert main(["predict", "-i", str(slices), "-o", str(tmp_path / "png_out"), "--window", "40,80",
                 "--spacing", "0.5,0.5,5", *common]) == 0
    segmentation = tmp_path / "png_out" / "pngs" / "segmentation.nii.gz"
    import nibabel as nib

    assert nib.load(segmentation).shape == (40, 48, 3)
    from ichseg.io import read_volume

    shapes = {}
    for series in ("201", "100"):  # the axial brain series (the default choice) and the localizer
        out = tmp_path / f"series_{series}"
        assert main(["predict", "-i", str(philips_study), "-o", str(out), "--series", series, *common]) == 0
        shapes[series] = nib.load(out / philips_study.name / "segmentation.nii.gz").shape
        assert shapes[series] == read_volume(philips_study, series=int(series)).shape
    assert shapes["201"] != shapes["100"]


def test_parts_of_a_cohort_into_one_folder_make_the_whole_run(tiny_bundle, blob_dataset, tmp_path):
    """predict --num-parts 2 --part-id K (as on two machines sharing OUT): disjoint parts, the whole cohort."""
    import csv

    images = str(blob_dataset / "imagesTr")
    for part in ("0", "1"):
        assert main(["predict", "-i", images, "-o", str(tmp_path / "parts"), "--model", str(tiny_bundle),
                     "--num-parts", "2", "--part-id", part]) == 0
    assert main(["predict", "-i", images, "-o", str(tmp_path / "serial"), "--model", str(tiny_bundle)]) == 0
    rows = {folder: sorted(row["case"] for row in csv.DictReader(
        (tmp_path / folder / "summary.csv").read_text().splitlines())) for folder in ("parts", "serial")}
    assert rows["parts"] == rows["serial"] and len(rows["serial"]) == 6
    for case in rows["serial"]:
        assert (tmp_path / "parts" / case / "volumes.json").read_text() == (
            tmp_path / "serial" / case / "volumes.json").read_text()
    with pytest.raises(SystemExit, match="--part-id must be in 0..1"):
        main(["predict", "-i", images, "-o", str(tmp_path / "bad"), "--num-parts", "2", "--part-id", "2"])


def test_parts_in_separate_folders_merge_into_the_whole_run(tiny_bundle, blob_dataset, tmp_path, capsys):
    import csv

    images = str(blob_dataset / "imagesTr")
    for part in ("0", "1"):
        assert main(["predict", "-i", images, "-o", str(tmp_path / f"part{part}"), "--model", str(tiny_bundle),
                     "--num-parts", "2", "--part-id", part]) == 0
    assert main(["predict", "-i", images, "-o", str(tmp_path / "serial"), "--model", str(tiny_bundle)]) == 0
    assert main(["merge-runs", str(tmp_path / "part0"), str(tmp_path / "part1"), "-o", str(tmp_path / "merged")]) == 0
    assert "6/6 cases done" in capsys.readouterr().out

    def table(folder):
        rows = csv.DictReader((tmp_path / folder / "summary.csv").read_text().splitlines())
        return {row["case"]: {k: v for k, v in row.items() if k != "seconds"} for row in rows}

    assert table("merged") == table("serial")
    for case in table("serial"):
        assert (tmp_path / "merged" / case / "volumes.json").read_text() == (
            tmp_path / "serial" / case / "volumes.json").read_text()
    record = json.loads((tmp_path / "merged" / "run.json").read_text())
    assert [Path(r["folder"]).name for r in record["merged_from"]] == ["part0", "part1"] and record["n_done"] == 6
    with pytest.raises(InputError, match="the parts overlap"):  # the same cases twice
        from ichseg.infer.merge_runs import merge_runs
        merge_runs([tmp_path / "part0", tmp_path / "serial"], tmp_path / "bad")
    assert main(["merge-runs", str(blob_dataset), "-o", str(tmp_path / "bad2")]) == 1  # one line, no traceback
    assert "no summary.csv" in capsys.readouterr().err
