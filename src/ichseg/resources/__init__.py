"""Data shipped with ichseg: a real head CT for the demo, tests and documentation.

``ge_head_ct``: a normal adult head CT, GE HiSpeed Dual, 28 axial DICOM slices with
+18.5 degree gantry tilt and uneven slice gaps (4 mm then 7 mm), from the public
``dcm_qa_ct`` DICOM validation set by Chris Rorden, BSD-2-Clause (LICENSE beside it).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

EXAMPLES = ("ge_head_ct",)


def example_path(name: str) -> Path:
    """Folder of a shipped example (``'ge_head_ct'``).

    Example:
        >>> example_path("ge_head_ct").name
        'ge_head_ct'
    """
    if name not in EXAMPLES:
        raise KeyError(f"unknown example {name!r}; shipped: {', '.join(EXAMPLES)}")
    return Path(str(resources.files(__name__) / name))
