"""Hemorrhage insertion into the real GE scan, and real lesion shapes from a bank."""

from __future__ import annotations

import gzip
import zipfile

import nibabel as nib
import numpy as np
import pytest
from scipy import ndimage

from ichseg.data.synth import ShapeBank, SynthConfig, generate_dataset, generate_on_base
from ichseg.data.synth.base import load_base
from ichseg.data.synth.shape_bank import place_shape
from ichseg.labels import IVH
from ichseg.resources import example_path

GE = str(example_path("ge_head_ct"))


@pytest.fixture(scope="module")
def ge_base():
    return load_base(GE)


def test_base_anatomy_of_the_real_scan(ge_base):
    volume, anatomy = ge_base
    ml = volume.voxel_volume_ml
    assert 1100 < anatomy.intracranial.sum() * ml < 1800
    assert 10 < anatomy.ventricles.sum() * ml < 100
    assert -5 < np.median(volume.array[anatomy.ventricles]) < 18
    assert 1 < anatomy.parameters["noise_sd_hu"] < 12


@pytest.mark.parametrize("seed", [1, 2, 4])
def test_insertion_stays_inside_and_leaves_the_rest(ge_base, seed):
    volume, anatomy = ge_base
    case = generate_on_base(seed, GE, SynthConfig(negative_fraction=0.0, mass_effect_probability=0.0))
    labels = case.labels.array
    assert labels.any() and case.image.shape == volume.shape
    assert np.array_equal(case.image.affine, volume.affine)
    base = volume.array[::-1] if case.parameters["mirrored"] else volume.array
    intracranial = anatomy.intracranial[::-1] if case.parameters["mirrored"] else anatomy.intracranial
    assert not labels[~intracranial].any()
    if (labels == IVH).any():
        ventricles = anatomy.ventricles[::-1] if case.parameters["mirrored"] else anatomy.ventricles
        assert ventricles[labels == IVH].all()
    changed = np.abs(case.image.array.astype(np.int32) - np.rint(base).astype(np.int32)) > 0
    fracture = (np.abs(case.image.array.astype(np.float32) - base) > 20) & (base > 200)  # lines through bone
    near_lesion = ndimage.binary_dilation((labels > 0) | fracture, iterations=3)
    assert not (changed & ~near_lesion).any()
    assert case.image.array.dtype == np.int16
    again = generate_on_base(seed, GE, SynthConfig(negative_fraction=0.0, mass_effect_probability=0.0))
    assert np.array_equal(again.image.array, case.image.array)


def test_mass_effect_on_the_real_scan_moves_brain_only(ge_base):
    volume, anatomy = ge_base
    case = generate_on_base(4, GE, SynthConfig(negative_fraction=0.0, mass_effect_probability=1.0))
    assert any(lesion.get("mass_effect_mm", 0) > 0 for lesion in case.lesions)
    base = volume.array[::-1] if case.parameters["mirrored"] else volume.array
    intracranial = anatomy.intracranial[::-1] if case.parameters["mirrored"] else anatomy.intracranial
    diff = case.image.array.astype(np.float32) - np.rint(base)
    fracture = (np.abs(diff) > 20) & (base > 200)
    outside = ~intracranial & ~ndimage.binary_dilation((case.labels.array > 0) | fracture, iterations=3)
    assert not (np.abs(diff) > 0)[outside].any()  # skull and scalp untouched
    brain = intracranial & (case.labels.array == 0)
    assert case.image.array[brain].max() < 300  # no bone pulled into the brain


def _write_masks(folder):
    folder.mkdir(parents=True)
    mask = np.zeros((40, 40, 10), np.uint8)
    mask[5:15, 5:15, 2:6] = 1  # 400 voxels of 1 x 1 x 5 mm = 2 mL
    mask[25:28, 25:28, 7] = 1  # 0.045 mL: too small to keep
    nib.save(nib.Nifti1Image(mask, np.diag([1.0, 1.0, 5.0, 1.0])), folder / "a.nii.gz")
    return mask


def test_bank_from_folders_and_zips(tmp_path):
    _write_masks(tmp_path / "masks")
    with zipfile.ZipFile(tmp_path / "masks.zip", "w") as archive:
        archive.writestr("inner/b.nii.gz", (tmp_path / "masks" / "a.nii.gz").read_bytes())
    bank = ShapeBank.load([tmp_path / "masks", tmp_path / "masks.zip"])
    assert len(bank) == 2
    assert all(shape.volume_ml == pytest.approx(2.0) for shape in bank.shapes)
    with pytest.raises(ValueError, match="empty"):
        ShapeBank([])
    assert gzip.decompress((tmp_path / "masks" / "a.nii.gz").read_bytes())[:4] != b""
    first, second = (ShapeBank.load([tmp_path / "masks", tmp_path / "masks.zip"], part=(k, 2)) for k in (0, 1))
    assert {s.source for s in first.shapes}.isdisjoint({s.source for s in second.shapes})
    assert len(first) + len(second) == 2
    with pytest.raises(ValueError, match="part"):
        ShapeBank.load([tmp_path / "masks"], part=(2, 2))


def test_placed_shape_is_rescaled_and_confined(tmp_path):
    _write_masks(tmp_path / "masks")
    shape = ShapeBank.load([tmp_path / "masks"]).shapes[0]
    grid = np.indices((80, 80, 40)).astype(np.float32)
    coordinates = (grid[0] - 40, grid[1] - 40, (grid[2] - 20) * 1.0)
    allowed = np.ones((80, 80, 40), bool)
    rng = np.random.default_rng(0)
    placed = place_shape(shape, coordinates, np.zeros(3), target_ml=4.0, rng=rng, allowed=allowed)
    assert placed.sum() / 1000 == pytest.approx(4.0, rel=0.15)  # scaled by 4/2 in volume
    allowed[:40] = False
    confined = place_shape(shape, coordinates, np.zeros(3), target_ml=4.0, rng=np.random.default_rng(0), allowed=allowed)
    assert not confined[:40].any() and confined.any()


@pytest.mark.slow  # in CI's slow run (.ci/run); a faster case of this family stays in the default run
def test_dataset_with_base_and_bank(tmp_path):
    _write_masks(tmp_path / "masks")
    config = SynthConfig(pixel_mm=1.0, slice_mm=5.0, negative_fraction=0.0, types=("IPH",), bank_probability=1.0,
                         shape_bank=ShapeBank.load([tmp_path / "masks"]))
    generate_dataset(tmp_path / "out", 3, seed=7, config=config, bases=[GE], base_fraction=1.0)
    rows = (tmp_path / "out" / "cases.csv").read_text()
    assert rows.count("base:ge_head_ct") == 3 and "masks/a.nii.gz" in rows
