"""The label schema of ichseg: the one place where label values and names live.

Every dataset adapter, model bundle and metric refers to these values. Datasets with
fewer classes are mapped into this schema; evaluation can collapse classes into the
groups below so that models trained on different schemas can be compared.

Example:
    >>> from ichseg.labels import LABELS, GROUPS
    >>> LABELS[2]
    'IVH'
    >>> GROUPS["extra-axial"]
    (3, 4, 5)
"""

from __future__ import annotations

import numpy as np

BACKGROUND = 0
IPH = 1  # intraparenchymal hemorrhage
IVH = 2  # intraventricular hemorrhage
SAH = 3  # subarachnoid hemorrhage
SDH = 4  # subdural hematoma
EDH = 5  # epidural hematoma
PHE = 6  # perihematomal edema (not blood)

# A lesion is a 26-connected component: voxels touching by a face, an edge or a corner
# are one lesion (counting, ABC/2, post-processing, lesion-wise metrics all use this).
LESION_CONNECTIVITY = np.ones((3, 3, 3), bool)

LABELS: dict[int, str] = {
    BACKGROUND: "background",
    IPH: "IPH",
    IVH: "IVH",
    SAH: "SAH",
    SDH: "SDH",
    EDH: "EDH",
    PHE: "PHE",
}

DESCRIPTIONS: dict[str, str] = {
    "IPH": "intraparenchymal hemorrhage",
    "IVH": "intraventricular hemorrhage",
    "SAH": "subarachnoid hemorrhage",
    "SDH": "subdural hematoma",
    "EDH": "epidural hematoma",
    "PHE": "perihematomal edema (not blood)",
}

# Display colours of the classes (preview.png, DICOM-SEG's recommended display colour).
CLASS_COLOURS: dict[int, str] = {IPH: "#e6194b", IVH: "#4363d8", SAH: "#ffe119", SDH: "#3cb44b", EDH: "#f58231",
                                 PHE: "#911eb4"}

HEMORRHAGE_LABELS: tuple[int, ...] = (IPH, IVH, SAH, SDH, EDH)

GROUPS: dict[str, tuple[int, ...]] = {
    "any": HEMORRHAGE_LABELS,
    "extra-axial": (SAH, SDH, EDH),
}

# Foreign schemas -> ichseg values (docs/reference/label-schema.md).
BHSD_TO_ICHSEG: dict[int, int] = {0: BACKGROUND, 1: EDH, 2: IPH, 3: IVH, 4: SAH, 5: SDH}


def label_value(name: str) -> int:
    """Return the label value of a class name (case-insensitive).

    Raises:
        KeyError: if the name is not in the schema.
    """
    for value, label_name in LABELS.items():
        if label_name.lower() == name.lower():
            return value
    raise KeyError(f"unknown label name {name!r}; known: {', '.join(LABELS.values())}")
