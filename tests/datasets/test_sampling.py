import numpy as np
import pytest

from ichseg.data.sampling import PatchSampler, TrainingCase, crop_with_padding


def _case(name="a", shape=(40, 40, 10), seed=0):
    rng = np.random.default_rng(seed)
    labels = np.zeros(shape, np.uint8)
    labels[5:9, 5:9, 2:4] = 5      # a small rare class
    labels[20:35, 20:35, 3:8] = 1  # a large common one
    channels = rng.normal(size=(1, *shape)).astype(np.float32)
    return TrainingCase.build(name, channels, labels)


def test_crop_pads_outside_the_volume():
    array = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)
    out = crop_with_padding(array, [-1, 0, 2], [3, 3, 3], fill=[-7.0])
    assert out.shape == (1, 3, 3, 3)
    assert (out[:, 0] == -7).all() and (out[:, :, :, 2] == -7).all()
    assert out[0, 1, 0, 0] == array[0, 0, 0, 2]


def test_foreground_probability_and_class_balance():
    sampler = PatchSampler([_case()], patch_size=(8, 8, 4), foreground_probability=1.0, seed=0)
    centres = [sampler.sample(i)["label"] for i in range(200)]
    with_rare = sum((patch == 5).any() for patch in centres)
    with_any = sum((patch > 0).any() for patch in centres)
    assert with_any == 200
    assert 60 < with_rare < 140  # the rare class is a centre about half the time, not 4 % as by volume
    background_only = PatchSampler([_case()], patch_size=(8, 8, 4), foreground_probability=0.0, seed=0)
    empty = sum(not (background_only.sample(i)["label"] > 0).any() for i in range(200))
    assert empty > 100


def test_samples_depend_only_on_seed_and_index():
    a = PatchSampler([_case("a"), _case("b", seed=1)], patch_size=(8, 8, 4), seed=5)
    b = PatchSampler([_case("a"), _case("b", seed=1)], patch_size=(8, 8, 4), seed=5)
    for index in (7, 3, 7, 100):
        first, second = a.sample(index), b.sample(index)
        assert first["case"] == second["case"]
        np.testing.assert_array_equal(first["image"], second["image"])
    assert not np.array_equal(a.sample(1)["image"], a.sample(2)["image"])


def test_min_foreground_per_volume():
    sampler = PatchSampler([_case("a"), _case("b", seed=1)], patch_size=(8, 8, 4), foreground_probability=0.0,
                           samples_per_volume=4, min_foreground_per_volume=1, seed=2)
    for slot in range(20):
        group = [sampler.sample(slot * 4 + j) for j in range(4)]
        assert len({g["case"] for g in group}) == 1
        assert (group[0]["label"] > 0).any()


def test_two_and_a_half_d_stacks_neighbours_as_channels():
    case = _case()
    # each slice holds its own index + 10, so a channel tells which slice it came from
    case.channels[:] = 10 + np.arange(case.labels.shape[2], dtype=np.float32)
    case.background[:] = 10
    sampler = PatchSampler([case], patch_size=(16, 16, 1), context_slices=1, foreground_probability=1.0, seed=0)
    for index in range(20):
        sample = sampler.sample(index)
        assert sample["image"].shape == (3, 16, 16) and sample["label"].shape == (1, 16, 16)
        below, centre, above = sample["image"][:, 8, 8]
        z = int(centre) - 10
        assert 2 <= z <= 7  # foreground slices of the case
        assert (below, above) == (centre - 1, centre + 1)
        assert sample["label"][0, 8, 8] == case.labels[:, :, z].max() or sample["label"][0, 8, 8] > 0
    with pytest.raises(ValueError, match="2D"):
        PatchSampler([case], patch_size=(8, 8, 4), context_slices=1)


def test_neighbours_beyond_the_volume_are_the_nearest_slice_as_in_inference():
    case = _case(shape=(40, 40, 2))
    case.channels[:] = 10 + np.arange(2, dtype=np.float32)  # slice 0 holds 10, slice 1 holds 11
    case.background[:] = -5
    sampler = PatchSampler([case], patch_size=(16, 16, 1), context_slices=1, foreground_probability=0.0, seed=3)
    seen = set()
    for index in range(40):
        below, centre, above = sampler.sample(index)["image"][:, 8, 8]
        seen.add((float(below), float(centre), float(above)))
    assert seen <= {(10.0, 10.0, 11.0), (10.0, 11.0, 11.0), (-5.0, -5.0, -5.0)}  # -5: in-plane padding only
    assert {(10.0, 10.0, 11.0), (10.0, 11.0, 11.0)} <= seen


def test_context_dropout_shows_some_patches_as_a_single_slice():
    case = _case()
    case.channels[:] = 10 + np.arange(case.labels.shape[2], dtype=np.float32)
    plain = PatchSampler([case], patch_size=(16, 16, 1), context_slices=1, foreground_probability=1.0, seed=0)
    dropped = PatchSampler([case], patch_size=(16, 16, 1), context_slices=1, foreground_probability=1.0, seed=0,
                           context_dropout=0.5)
    alone = 0
    for index in range(200):
        below, centre, above = dropped.sample(index)["image"][:, 8, 8]
        if below == centre == above:
            alone += 1
        else:
            assert (below, above) == (centre - 1, centre + 1)
    assert 70 <= alone <= 130
    assert all(len(set(plain.sample(i)["image"][:, 8, 8].tolist())) == 3 for i in range(50))
    with pytest.raises(ValueError, match="context_dropout"):
        PatchSampler([case], patch_size=(16, 16, 1), context_slices=1, context_dropout=1.5)


def test_context_cut_shows_some_patches_with_neighbours_on_one_side_only():
    case = _case()
    case.channels[:] = 10 + np.arange(case.labels.shape[2], dtype=np.float32)
    sampler = PatchSampler([case], patch_size=(16, 16, 1), context_slices=1, foreground_probability=1.0, seed=0,
                           context_cut=0.5)
    kinds = {"both": 0, "below cut": 0, "above cut": 0}
    for index in range(200):
        below, centre, above = sampler.sample(index)["image"][:, 8, 8]
        if (below, above) == (centre - 1, centre + 1):
            kinds["both"] += 1
        elif (below, above) == (centre, centre + 1):
            kinds["below cut"] += 1
        else:
            assert (below, above) == (centre - 1, centre)  # never both sides: that is context_dropout
            kinds["above cut"] += 1
    assert 70 <= kinds["both"] <= 130 and kinds["below cut"] >= 30 and kinds["above cut"] >= 30
    with pytest.raises(ValueError, match="context_cut"):
        PatchSampler([case], patch_size=(16, 16, 1), context_slices=1, context_cut=-0.1)
