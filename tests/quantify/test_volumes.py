import numpy as np
import pytest

from ichseg.quantify import measure_lesion, quantify_labels
from ichseg.quantify.abc2 import axial_diameters

SPACING = (0.5, 0.5, 5.0)


def _ellipsoid(shape, centre_mm, radii_mm, spacing=SPACING):
    grid = np.indices(shape).astype(float) * np.asarray(spacing).reshape(3, 1, 1, 1)
    return sum(((g - c) / r) ** 2 for g, c, r in zip(grid, centre_mm, radii_mm)) <= 1


def test_volumes_and_abc2_of_an_ellipsoid():
    labels = np.zeros((160, 160, 20), np.uint8)
    labels[_ellipsoid(labels.shape, (40, 40, 50), (20, 12, 25))] = 1
    result = quantify_labels(labels, SPACING)
    true_ml = 4 / 3 * np.pi * 20 * 12 * 25 / 1000
    assert result["IPH"]["volume_ml"] == pytest.approx(float((labels == 1).sum()) * 1.25 / 1000, abs=1e-3)
    assert result["IPH"]["volume_ml"] == pytest.approx(true_ml, rel=0.08)
    # Kothari's C on an ellipsoid: 5 slices count 1, 4 count 0.5 -> 35 of its 50 mm (see test_abc2.py)
    assert result["IPH"]["abc2_ml"] == pytest.approx(40 * 24 * 35 / 2 / 1000, rel=0.05)
    assert result["IPH"]["max_diameter_mm"] == pytest.approx(40, abs=1.5)
    assert result["IPH"]["n_lesions"] == 1
    assert result["any_hemorrhage_ml"] == result["IPH"]["volume_ml"]
    assert result["ich_volume_ge_30ml"] is False and result["ivh_present"] is False


def test_lesions_are_summed_and_flags_set():
    labels = np.zeros((200, 200, 24), np.uint8)
    labels[_ellipsoid(labels.shape, (30, 30, 50), (18, 18, 30))] = 1
    labels[_ellipsoid(labels.shape, (70, 70, 50), (15, 15, 20))] = 1
    labels[_ellipsoid(labels.shape, (50, 80, 60), (5, 8, 10))] = 2
    labels[_ellipsoid(labels.shape, (80, 20, 30), (4, 4, 6))] = 6
    result = quantify_labels(labels, SPACING)
    assert result["IPH"]["n_lesions"] == 2 and result["IVH"]["n_lesions"] == 1
    one = quantify_labels(np.where(labels == 1, labels, 0) * _ellipsoid(labels.shape, (30, 30, 50), (19, 19, 31)),
                          SPACING)["IPH"]["abc2_ml"]
    assert one < result["IPH"]["abc2_ml"]
    assert result["ivh_present"] is True
    assert result["ich_volume_ge_30ml"] is True  # 40.7 + 23.6 mL of IPH
    assert result["any_hemorrhage_ml"] == pytest.approx(result["IPH"]["volume_ml"] + result["IVH"]["volume_ml"])
    assert result["PHE"]["volume_ml"] > 0  # edema is reported, not counted as blood


def test_empty_map():
    result = quantify_labels(np.zeros((10, 10, 3), np.uint8), SPACING)
    assert result["any_hemorrhage_ml"] == 0
    assert all(result[name] == {"volume_ml": 0.0, "abc2_ml": 0.0, "n_lesions": 0, "max_diameter_mm": 0.0}
               for name in ("IPH", "IVH", "SAH", "SDH", "EDH", "PHE"))


def test_diameters_use_true_spacing_and_pixel_edges():
    single = np.zeros((5, 5), bool)
    single[2, 2] = True
    a, b = axial_diameters(single, (0.5, 0.8))
    assert a == pytest.approx(np.hypot(0.5, 0.8)) and b > 0
    line = np.zeros((30, 3), bool)
    line[5:25, 1] = True
    a, b = axial_diameters(line, (1.0, 1.0))
    assert a == pytest.approx(np.hypot(20, 1)) and b == pytest.approx(2 / np.hypot(20, 1) * 20, rel=1e-6)
    assert measure_lesion(np.zeros((3, 3, 3), bool), SPACING).abc2_ml == 0


def test_volumes_json_follows_its_published_schema():
    import json
    from importlib import resources

    import jsonschema

    schema = json.loads((resources.files("ichseg.resources") / "volumes.schema.json").read_text())
    labels = np.zeros((60, 60, 8), np.uint8)
    labels[_ellipsoid(labels.shape, (15, 15, 20), (6, 5, 10))] = 1
    written = quantify_labels(labels, SPACING) | {"iph_infratentorial": False,
                                                  "warnings": ["gantry tilt 18.5 degrees: resampled"]}
    jsonschema.validate(json.loads(json.dumps(written)), schema)  # what predict writes, as JSON
    broken = json.loads(json.dumps(written))
    broken["IPH"]["volume_ml"] = -1.0
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
    del broken["IPH"]
    with pytest.raises(jsonschema.ValidationError, match="'IPH' is a required property"):
        jsonschema.validate(broken, schema)
