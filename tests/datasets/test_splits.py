import functools
import json
import operator

import pytest

from ichseg.data.splits import kfold_splits, load_or_create, stratified_split


def test_kfold_covers_every_case_once_and_keeps_patients_together():
    cases = [f"p{p}_scan{s}" for p in range(12) for s in range(1 + p % 3)]
    patients = {case: case.split("_")[0] for case in cases}
    folds = kfold_splits(cases, n_folds=5, seed=3, patients=patients)
    validation = [case for fold in folds for case in fold["val"]]
    assert sorted(validation) == sorted(cases)
    for fold in folds:
        assert not set(fold["train"]) & set(fold["val"])
        assert {patients[c] for c in fold["train"]}.isdisjoint({patients[c] for c in fold["val"]})
    sizes = [len(fold["val"]) for fold in folds]
    assert max(sizes) - min(sizes) <= 2
    assert folds == kfold_splits(cases, n_folds=5, seed=3, patients=patients)
    assert folds != kfold_splits(cases, n_folds=5, seed=4, patients=patients)


def test_kfold_needs_enough_patients():
    with pytest.raises(ValueError, match="patients"):
        kfold_splits(["a", "b"], n_folds=5)


def test_stratified_split_keeps_ratios_per_stratum():
    cases = [f"c{i:02d}" for i in range(50)]
    strata = {c: ("IPH" if i < 30 else "IVH") for i, c in enumerate(cases)}
    split = stratified_split(cases, strata, seed=1)
    assert sorted(functools.reduce(operator.iadd, split.values(), [])) == cases
    for stratum, n in (("IPH", 30), ("IVH", 20)):
        counts = [sum(strata[c] == stratum for c in split[part]) for part in ("train", "val", "test")]
        assert counts == [n * 3 // 5, n // 5, n // 5]


def test_splits_are_saved_once_and_reused(tmp_path):
    calls = []

    def create():
        calls.append(1)
        return {"folds": kfold_splits([f"c{i}" for i in range(5)], n_folds=5)}

    first = load_or_create(tmp_path / "splits.json", create)
    second = load_or_create(tmp_path / "splits.json", create)
    assert first == second == json.loads((tmp_path / "splits.json").read_text())
    assert len(calls) == 1


def test_a_stratified_split_never_leaves_validation_or_test_empty():
    from ichseg.data.splits import stratified_split

    for n in range(3, 12):
        cases = [f"c{i}" for i in range(n)]
        split = stratified_split(cases, {c: ("IPH", "SDH", "none")[i % 3] for i, c in enumerate(cases)}, seed=n)
        assert all(split[part] for part in ("train", "val", "test")), (n, split)
        assert sorted(case for part in split.values() for case in part) == sorted(cases)
    assert [len(v) for v in stratified_split([f"c{i}" for i in range(6)], {}, seed=0).values()] == [4, 1, 1]
    with pytest.raises(ValueError, match="2 patients cannot make a train/val/test split"):
        stratified_split(["a", "b"], {})
