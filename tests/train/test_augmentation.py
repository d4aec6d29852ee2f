import numpy as np
import pytest
import torch

from ichseg.train.augmentation import AUGMENTATIONS, build_augmentation


@pytest.mark.parametrize("name", AUGMENTATIONS.names())
@pytest.mark.parametrize("dims", [2, 3])
def test_pipelines_keep_shapes_and_labels(name, dims):
    shape = (24, 24, 8)[:dims]
    rng = np.random.default_rng(0)
    label = np.zeros((1, *shape), np.uint8)
    label[(0, *(slice(4, 12),) * dims)] = 3
    data = {"image": rng.normal(size=(2, *shape)).astype(np.float32), "label": label}
    pipeline = build_augmentation(name, dims)
    for seed in range(12):  # enough draws that every transform of the pipeline runs
        pipeline.set_random_state(seed=seed)
        out = pipeline(dict(data))
        assert tuple(out["image"].shape) == (2, *shape) and tuple(out["label"].shape) == (1, *shape)
        assert set(torch.unique(out["label"]).tolist()) <= {0, 3}  # nearest for labels: no new values
    outputs = []
    for _ in range(2):
        pipeline.set_random_state(seed=11)
        outputs.append(pipeline(dict(data)))
    torch.testing.assert_close(outputs[0]["image"], outputs[1]["image"])  # same seed, same result


def test_flip_moves_image_and_label_together():
    pipeline = build_augmentation("hemseg", 2)
    image = np.zeros((1, 8, 8), np.float32)
    image[0, 0, 0] = 1
    flipped = 0
    for seed in range(20):
        pipeline.set_random_state(seed=seed)
        out = pipeline({"image": image.copy(), "label": image.astype(np.uint8)})
        np.testing.assert_array_equal(out["image"].numpy().astype(np.uint8), out["label"].numpy())
        flipped += int(out["image"][0, 0, 0] == 0)
    assert 5 < flipped < 20
