"""The label schema."""

import pytest

from ichseg.labels import BHSD_TO_ICHSEG, GROUPS, LABELS, label_value


def test_schema_matches_design():
    assert LABELS == {0: "background", 1: "IPH", 2: "IVH", 3: "SAH", 4: "SDH", 5: "EDH", 6: "PHE"}
    assert GROUPS == {"any": (1, 2, 3, 4, 5), "extra-axial": (3, 4, 5)}
    assert [LABELS[BHSD_TO_ICHSEG[v]] for v in range(1, 6)] == ["EDH", "IPH", "IVH", "SAH", "SDH"]


def test_label_value():
    assert label_value("sdh") == 4
    with pytest.raises(KeyError, match="unknown label"):
        label_value("tumour")
