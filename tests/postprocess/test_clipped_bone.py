import numpy as np

from ichseg.infer.predictor import load_predictor
from ichseg.io import Volume
from ichseg.labels import EDH, IPH
from ichseg.postprocess import PostprocessConfig, clipped_bone, postprocess

WINDOW = (40, 80)  # grey 0 = 0 HU, grey 255 = 80 HU
SPACING = (1.0, 1.0, 5.0)


def _export():
    """A read-back brain-window export: floored air, a saturated 4 mm skull, brain, a bright
    (saturated) clot deep in the brain and a saturated collection against the inner table."""
    x, y = np.mgrid[:80, :80]
    r = np.hypot(x - 40, y - 40)
    plane = np.zeros((80, 80), np.float32)
    plane[r < 34] = 80.0
    plane[r < 30] = 35.0
    plane[(r < 5)] = 80.0                             # dense IPH in the middle: 20 mm from the skull
    plane[(r >= 27) & (r < 30) & (x < 30)] = 79.4     # dense EDH fused with the skull, JPEG-dimmed
    return np.repeat(plane[:, :, None], 4, axis=2), r, x


def test_the_skull_and_what_fuses_with_it_are_clipped_bone_but_a_deep_clot_is_not():
    image, r, x = _export()
    mask = clipped_bone(image, SPACING, WINDOW)
    assert mask[(r >= 30) & (r < 34)].all()
    assert mask[(r >= 27) & (r < 30) & (x < 30)].all()
    assert not mask[r < 5].any() and not mask[(r > 6) & (r < 26)].any()


def test_nothing_is_clipped_bone_without_saturation_or_without_outside_air():
    image, _, _ = _export()
    below_top = np.minimum(image, 70.0)
    assert not clipped_bone(below_top, SPACING, WINDOW).any()
    # a crop inside the skull: no air at the border, so no voxel can be told to be bone
    assert not clipped_bone(image[25:55, 25:55], SPACING, WINDOW).any()


def test_postprocess_takes_labels_off_voxels_that_cannot_be_blood_before_measuring_components():
    image, r, x = _export()
    labels = np.zeros(image.shape, np.uint8)
    labels[(r >= 27) & (r < 34) & (x < 30)] = EDH     # the model read the skull rim as EDH
    labels[r < 5] = IPH
    out = postprocess(labels, SPACING, PostprocessConfig(), clipped_bone(image, SPACING, WINDOW))
    assert not (out == EDH).any()
    assert (out[r < 5] == IPH).all()
    assert np.array_equal(postprocess(labels, SPACING, PostprocessConfig(), None), labels)


def test_the_predictor_applies_the_rule_only_to_windowed_input_and_only_when_switched_on(tiny_bundle):
    image, _, _ = _export()
    windowed = Volume(image, np.diag([*SPACING, 1.0]), {"window": list(WINDOW)})
    in_hu = Volume(image, np.diag([*SPACING, 1.0]))
    on = load_predictor([str(tiny_bundle)], device="cpu")
    off = load_predictor([str(tiny_bundle)], device="cpu",
                         postprocessing=PostprocessConfig(clipped_bone_not_blood=False))
    assert on._not_blood(windowed).sum() == clipped_bone(image, SPACING, WINDOW).sum() > 0
    assert on._not_blood(in_hu) is None and off._not_blood(windowed) is None
