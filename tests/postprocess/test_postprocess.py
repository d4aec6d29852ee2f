import numpy as np
import pytest

from ichseg.postprocess import (
    PostprocessConfig,
    drop_edema_without_hematoma,
    extra_axial_parts_of_iph_to_iph,
    postprocess,
    remove_small_components,
    smooth_labels,
)


def _labels():
    labels = np.zeros((40, 40, 6), np.uint8)
    labels[5:20, 5:20, 1:4] = 1      # hematoma, 675 voxels
    labels[20:22, 5:20, 1:4] = 6     # edema touching it
    labels[30:33, 30:33, 2] = 6      # edema far from any hematoma
    labels[35, 35, 5] = 3            # a speck
    return labels


def test_small_components_are_removed_per_class():
    cleaned = remove_small_components(_labels(), (1.0, 1.0, 5.0), min_ml=0.01)
    assert cleaned[35, 35, 5] == 0 and (cleaned == 1).sum() == 675
    assert remove_small_components(_labels(), (1.0, 1.0, 5.0), min_ml=0.0).sum() == _labels().sum()


def test_edema_needs_a_hematoma():
    out = drop_edema_without_hematoma(_labels())
    assert (out[20:22, 5:20, 1:4] == 6).all() and (out[30:33, 30:33, 2] == 0).all()
    no_hematoma = np.where(_labels() == 1, 0, _labels())
    assert not (drop_edema_without_hematoma(no_hematoma) == 6).any()


def test_extra_axial_edge_of_a_larger_iph_becomes_iph_and_other_types_stay():
    labels = np.zeros((40, 40, 6), np.uint8)
    labels[5:20, 5:20, 1:4] = 1      # a parenchymal clot, 675 voxels
    labels[20:23, 5:20, 1:4] = 5     # its edge against the skull typed EDH (135 voxels)
    labels[5:20, 20:22, 1:4] = 2     # its extension into a ventricle
    labels[30:38, 30:38, 1:4] = 4    # a separate SDH
    labels[25:30, 25:27, 2] = 4      # an SDH fused with a smaller IPH: not the clot's edge
    labels[25:27, 27, 2] = 1
    out = extra_axial_parts_of_iph_to_iph(labels)
    assert (out[20:23, 5:20, 1:4] == 1).all()
    assert (out[5:20, 20:22, 1:4] == 2).all() and (out[30:38, 30:38, 1:4] == 4).all()
    assert (out[25:30, 25:27, 2] == 4).all() and labels[21, 10, 2] == 5  # the input is not modified
    no_iph = np.where(labels == 1, 0, labels)
    np.testing.assert_array_equal(extra_axial_parts_of_iph_to_iph(no_iph), no_iph)


def test_smoothing_removes_thin_protrusions_in_plane_only():
    labels = np.zeros((20, 20, 3), np.uint8)
    labels[5:15, 5:15, :] = 4
    labels[15:19, 10, 1] = 4  # a one-pixel-wide spur
    smoothed = smooth_labels(labels)
    assert (smoothed[16:19, 10, 1] == 0).all() and (smoothed[6:14, 6:14, :] == 4).all()


def test_pipeline_switches():
    labels = _labels()
    everything_off = PostprocessConfig(min_component_ml=0, smooth=False, edema_needs_hematoma=False,
                                       extra_axial_in_iph=False)
    np.testing.assert_array_equal(postprocess(labels, (1.0, 1.0, 5.0), everything_off), labels)
    default = postprocess(labels, (1.0, 1.0, 5.0))
    assert default[35, 35, 5] == 0 and default[31, 31, 2] == 0 and default[10, 10, 2] == 1
    assert labels[35, 35, 5] == 3  # the input is not modified


def test_default_keeps_a_half_millilitre_bleed_and_drops_a_smaller_one():
    """The default threshold (0.5 mL, chosen on validation data) at 1 x 1 x 5 mm voxels of 0.005 mL."""
    labels = np.zeros((40, 40, 6), np.uint8)
    labels[2:12, 2:12, 1] = 1    # 100 voxels = 0.5 mL: kept
    labels[20:29, 20:30, 1] = 3  # 90 voxels = 0.45 mL: removed
    cleaned = postprocess(labels, (1.0, 1.0, 5.0))
    assert (cleaned == 1).sum() == 100 and not (cleaned == 3).any()


def test_a_negative_or_nan_threshold_is_an_error_not_a_silent_off_switch():
    for threshold in (-0.5, float("nan")):
        with pytest.raises(ValueError, match="min_component_ml must be 0"):
            PostprocessConfig(min_component_ml=threshold)
    assert PostprocessConfig(min_component_ml=0).min_component_ml == 0


def test_lesion_scope_measures_a_bleed_split_between_two_types_at_its_whole_size():
    labels = np.zeros((40, 40, 6), np.uint8)
    labels[2:12, 2:12, 1] = 1    # 0.5 mL called IPH ...
    labels[2:12, 2:12, 2] = 2    # ... and the 0.5 mL above it called IVH: one 1 mL bleed
    labels[30:35, 30:35, 4] = 3  # an isolated 0.125 mL speck
    per_class = postprocess(labels, (1.0, 1.0, 5.0), PostprocessConfig(min_component_ml=0.6, component_scope="class"))
    lesion = postprocess(labels, (1.0, 1.0, 5.0), PostprocessConfig(min_component_ml=0.6, component_scope="lesion"))
    assert not per_class.any()
    np.testing.assert_array_equal(lesion[:, :, :3], labels[:, :, :3])  # both parts kept with their own labels
    assert not lesion[30:35, 30:35, 4].any()
    with pytest.raises(ValueError, match="component_scope must be one of class, lesion"):
        PostprocessConfig(component_scope="blob")
