"""The bundled model on the input shapes people bring (issue #16): one slice, a few slices,
8-bit windowed exports. Slow-ish (the real model on real-sized slices): about 30 s."""

import numpy as np
import pytest
from PIL import Image

from ichseg.demo import demo_case
from ichseg.infer.bundle import load_bundle
from ichseg.infer.predictor import Predictor
from ichseg.io import Volume, read_volume
from ichseg.preprocess import to_ras


@pytest.fixture(scope="module")
def predictor():
    return Predictor([load_bundle("default", program=True)], device="cpu")


@pytest.fixture(scope="module")
def demo():
    return demo_case()


def _piece(volume: Volume, start: int, stop: int) -> Volume:
    affine = volume.affine.copy()
    affine[:3, 3] = volume.affine[:3, :3] @ np.array([0, 0, start]) + volume.affine[:3, 3]
    return Volume(volume.array[:, :, start:stop].copy(), affine)


def test_one_slice_and_three_slices_find_the_blood_that_the_whole_volume_finds(predictor, demo):
    image, truth = demo.image, demo.labels.array > 0
    k = int(np.argmax(truth.sum(axis=(0, 1))))  # the slice with the most blood
    whole = predictor.predict(image).array[:, :, k] > 0
    alone = predictor.predict(_piece(image, k, k + 1)).array[:, :, 0] > 0
    three = predictor.predict(_piece(image, k - 1, k + 2)).array[:, :, 1] > 0
    reference = truth[:, :, k]
    assert reference.sum() > 2000 and whole.sum() > 0.5 * reference.sum()
    for found in (alone, three):
        dice = 2 * (found & whole).sum() / (found.sum() + whole.sum())
        assert dice > 0.7, dice  # the same blood, whether or not the neighbours were exported


def test_a_windowed_export_of_a_normal_head_shows_no_blood_along_the_skull(predictor, ge_volume, tmp_path):
    ras = to_ras(ge_volume)
    grey = np.clip(ras.array / 80.0 * 255.0, 0, 255).round().astype(np.uint8)  # brain window 40/80
    for k in range(grey.shape[2]):
        Image.fromarray(grey[:, :, k].T[::-1, ::-1]).save(tmp_path / f"{k + 1}.png")
    exported = read_volume(tmp_path, window=(40, 80), spacing=ras.spacing)
    labels = predictor.predict(exported)
    found_ml = float((labels.array > 0).sum()) * labels.voxel_volume_ml
    assert found_ml < 2.0, found_ml  # the skull, clipped to 80 HU, is the density of acute blood
