"""``ichseg convert``: every adapter on a copy of its release's layout; bad layouts refused;
inputs only read; an interrupted conversion resumes and never looks complete."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import releases

from ichseg.cli.main import main
from ichseg.data.adapters import ADAPTERS, convert
from ichseg.data.adapters.hemseg import hemseg_labels
from ichseg.data.dataset_format import list_dataset_cases
from ichseg.io import InputError, read_nifti

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def _tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _slice_rows(dataset: Path) -> dict[str, list[dict]]:
    with open(dataset / "slice_labels.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    out: dict[str, list[dict]] = {}
    for row in rows:
        out.setdefault(row["case"], []).append(row)
    return out


def _pairs(dataset: Path):
    for case in list_dataset_cases(dataset):
        image, labels = read_nifti(case.image), read_nifti(case.label)
        assert image.shape == labels.shape and np.allclose(image.affine, labels.affine)
        yield case.case, image, labels


def test_every_release_of_the_issue_has_a_registered_adapter():
    assert {"ctich", "instance2022", "bhsd", "hemseg", "rsna2019", "blastct"} <= set(ADAPTERS.names())


def test_ctich_nifti_release_becomes_the_binary_task_with_per_type_slice_labels(tmp_path):
    source = releases.write_ctich(tmp_path / "ct-ich-1.3.1")
    before = _tree_digest(source)
    report = convert("ctich", source, tmp_path / "ds")
    assert _tree_digest(source) == before  # inputs only read
    assert report["labelled"] == 2 and report["cases_found"] == 3
    assert report["skipped"] == [{"source": str(source / "ct_scans" / "051.nii"), "why": "no mask masks/051.nii"}]
    meta = json.loads((tmp_path / "ds" / "dataset.json").read_text())
    assert meta["task"] == "binary" and meta["labels"] == {"background": 0, "hemorrhage": 1}
    for _case, image, labels in _pairs(tmp_path / "ds"):
        assert set(np.unique(labels.array)) == {0, 1}  # 0/255 of patient 050 read as 1
        assert image.array[labels.array == 1].min() >= 70  # the blob's voxels
    rows = _slice_rows(tmp_path / "ds")
    expected_049 = releases.blob_case(49)[1].any(axis=(0, 1)).astype(int)
    assert [int(r["SDH"]) for r in rows["ctich_049"]] == expected_049.tolist()
    assert {r["IPH"] for r in rows["ctich_049"]} == {"0"} and {r["PHE"] for r in rows["ctich_049"]} == {""}
    assert [int(r["IPH"]) for r in rows["ctich_050"]] == releases.blob_case(50)[1].any(axis=(0, 1)).astype(int).tolist()


def test_ctich_jpg_release_reads_its_window_and_masks(tmp_path):
    source = releases.write_ctich_jpg(tmp_path / "ct-ich-jpg")
    with pytest.raises(InputError, match="--spacing"):
        convert("ctich", source, tmp_path / "nospacing")
    report = convert("ctich", source, tmp_path / "ds", spacing=(0.45, 0.45, 5.0))
    assert report["labelled"] == 2 and report["window"] == [40.0, 120.0]
    for case, image, labels in _pairs(tmp_path / "ds"):
        truth = releases.blob_case(int(case[-3:]))[1] > 0
        assert labels.array.shape == truth.shape
        assert (labels.array > 0).sum() == truth.sum() and ((labels.array > 0) == truth).all()
        assert abs(float(np.median(image.array[truth])) - 80) < 6  # HU restored from the L40 W120 window
    rows = _slice_rows(tmp_path / "ds")
    assert sum(int(r["IVH"]) for r in rows["ctich_049"]) == int(releases.blob_case(49)[1].any(axis=(0, 1)).sum())


def test_instance2022_reorients_a_flipped_label_and_skips_a_wrong_sized_one(tmp_path):
    source = releases.write_instance2022(tmp_path / "INSTANCE2022")
    report = convert("instance2022", source, tmp_path / "ds")
    assert report["labelled"] == 2
    assert "does not match image shape" in report["skipped"][0]["why"]
    for case, _image, labels in _pairs(tmp_path / "ds"):
        truth = releases.blob_case(int(case[-3:]))[1]
        assert (labels.array == truth).all()  # 002 read back on the image's axes
    notes = {c["case"]: c["notes"] for c in report["cases"]}
    assert notes["instance_002"] == ["label axes reoriented to the image (no interpolation)"]


def test_bhsd_values_map_into_ichseg_and_the_official_split_is_kept(tmp_path):
    source = releases.write_bhsd(tmp_path / "BHSD")
    report = convert("bhsd", source, tmp_path / "ds")
    assert report["labelled"] == 3 and report["splits"] == {"train": 2, "test": 1}
    found = {case: set(np.unique(labels.array)) - {0} for case, _, labels in _pairs(tmp_path / "ds")}
    # BHSD 1 EDH, 2 IPH, 3 IVH, 4 SAH, 5 SDH -> ichseg 5, 1, 2, 3, 4
    assert found == {"bhsd_ID_00000000_ID_000000000a": {5, 4}, "bhsd_ID_00000001_ID_000000001a": {1, 2},
                     "bhsd_ID_00000002_ID_000000002a": {3}}
    meta = json.loads((source / "dataset.json").read_text())
    meta["labels"]["1"] = "intraparenchymal"
    (source / "dataset.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match="not BHSD's"):
        convert("bhsd", source, tmp_path / "other")


def test_rsna2019_rebuilds_each_series_with_its_slice_labels(tmp_path):
    source, _series = releases.write_rsna2019(tmp_path / "rsna")
    report = convert("rsna2019", source, tmp_path / "ds")
    assert report["unlabelled"] == 2 and report["series_in_source"] == 2
    images = sorted((tmp_path / "ds" / "imagesUnlabeled").glob("*.nii.gz"))
    assert [p.name for p in images] == ["rsna_aaaaaaaaaa_0000.nii.gz", "rsna_bbbbbbbbbb_0000.nii.gz"]
    assert read_nifti(images[0]).shape[2] == 8 and read_nifti(images[1]).shape[2] == 6
    rows = _slice_rows(tmp_path / "ds")
    for case, n in (("rsna_aaaaaaaaaa", 8), ("rsna_bbbbbbbbbb", 6)):
        assert [int(r["SDH"]) for r in rows[case]] == [int(k in (3, 4)) for k in range(n)]
        assert {r["IPH"] for r in rows[case]} == {"0"} and {r["PHE"] for r in rows[case]} == {""}
    # slice 3 of the written volume is the slice with the blob
    volume = read_nifti(images[0])
    assert volume.array[:, :, 3].max() >= 75 and volume.array[:, :, 0].max() < 40


def test_hemseg_rebuilds_each_scan_from_its_listed_slices_onto_the_label_grid(tmp_path):
    slices, labels, slice_list = releases.write_hemseg(tmp_path / "hemseg")
    report = convert("hemseg", slices, tmp_path / "ds", labels=labels, slice_list=slice_list)
    assert report["labelled"] == 2 and report["splits"] == {"train": 1, "val": 1}
    assert "1 of 6 RSNA slices not in" in report["skipped"][0]["why"]
    for _case, image, mask in _pairs(tmp_path / "ds"):
        assert mask.array.sum() > 0
        assert image.array[mask.array > 0].min() >= 60  # the label sits on the blob it was drawn from
        assert image.array[mask.array == 0].max() < 60
    assert [c["notes"][:1] for c in report["cases"]] == [[], []]  # same grid: nothing resampled or reoriented


def test_blastct_extra_axial_is_written_as_the_extra_axial_group(tmp_path):
    real = SHARED / "blast-ct-scan0" / "scan_0_segmentation.nii.gz"
    source = releases.write_blastct(tmp_path / "blast", real if real.exists() else None)
    report = convert("blastct", source, tmp_path / "ds")
    assert report["labelled"] == 2 and report["evaluate_groups"] == ["extra-axial"]
    assert "extra-axial" in report["label_map"]["2"]
    cases = {case: labels for case, _, labels in _pairs(tmp_path / "ds")}
    assert set(np.unique(cases["blastct_scan_1"].array)) == {0, 4}
    source_map = np.asarray(read_nifti(source / "scan_0_segmentation.nii.gz").array)
    converted = cases["blastct_scan_0"].array
    for foreign, ours in ((1, 1), (2, 4), (3, 6), (4, 2)):
        assert ((source_map == foreign) == (converted == ours)).all()


@pytest.mark.skipif(not (SHARED / "hemseg-labels").exists(), reason="the real HemSeg label zips are not here")
def test_the_real_hemseg_label_zips_are_read_with_their_splits_and_geometry():
    for name, counts in (("IPH_IVH_label.zip", {"train": 133, "val": 44, "test": 45}),
                         ("HemSeg-500.zip", {"train": 334, "val": 85, "test": 106})):
        found = hemseg_labels(SHARED / "hemseg-labels" / name)
        assert {split: sum(v.split == split for v in found) for split in counts} == counts
        for label in found[:: max(1, len(found) // 6)]:
            volume = label.read()
            assert volume.shape[:2] == (512, 512) and 20 <= volume.shape[2] <= 80
            assert 0.3 < volume.spacing[0] < 0.6 and 2.0 < volume.spacing[2] <= 7.5
            assert set(np.unique(volume.array)) <= {0, 1}


@pytest.mark.parametrize("kind, expected", [("ctich", "ct_scans/"), ("instance2022", "data/"),
                                            ("bhsd", "dataset.json"), ("rsna2019", "stage_2_train"),
                                            ("blastct", "_image.nii.gz"), ("hemseg", "--labels")])
def test_a_folder_that_is_not_the_release_is_refused_in_one_line(tmp_path, capsys, kind, expected):
    (tmp_path / "download").mkdir()
    (tmp_path / "download" / "notes.txt").write_text("not a release")
    assert main(["convert", kind, str(tmp_path / "download"), "-o", str(tmp_path / "ds")]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("ichseg: error:") and expected in error and "\n" not in error
    assert not (tmp_path / "ds").exists() and not (tmp_path / "ds.partial").exists()


def test_an_existing_dataset_folder_is_never_overwritten(tmp_path):
    source = releases.write_instance2022(tmp_path / "INSTANCE2022")
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "mine.txt").write_text("keep")
    with pytest.raises(InputError, match="not empty"):
        convert("instance2022", source, tmp_path / "ds")
    assert (tmp_path / "ds" / "mine.txt").read_text() == "keep"


def test_an_interrupted_conversion_never_looks_complete_and_resumes(tmp_path):
    source = releases.write_bhsd(tmp_path / "BHSD")

    def stop_after_first(done, total, what):
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        convert("bhsd", source, tmp_path / "ds", progress=stop_after_first)
    assert not (tmp_path / "ds").exists()
    first = tmp_path / "ds.partial" / "imagesTr" / "bhsd_ID_00000000_ID_000000000a_0000.nii.gz"
    written = first.stat().st_mtime_ns
    seen = []
    report = convert("bhsd", source, tmp_path / "ds", progress=lambda done, total, what: seen.append(what))
    assert report["labelled"] == 3 and not (tmp_path / "ds.partial").exists()
    assert (tmp_path / "ds" / "imagesTr" / first.name).stat().st_mtime_ns == written  # not converted again
    assert len(list_dataset_cases(tmp_path / "ds")) == 3


def test_convert_cli_prints_what_it_wrote(tmp_path, capsys):
    source = releases.write_instance2022(tmp_path / "INSTANCE2022")
    assert main(["convert", "instance2022", str(source), "-o", str(tmp_path / "ds")]) == 0
    out = capsys.readouterr()
    assert "wrote 2 labelled + 0 unlabelled case(s)" in out.out and "binary task" in out.out
    assert "[3/3] instance_003" in out.err
    with pytest.raises(SystemExit, match="unknown release 'kaggle'; choose from"):
        main(["convert", "kaggle", str(source), "-o", str(tmp_path / "x")])
