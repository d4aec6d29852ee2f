"""One scan in, its segmentation and measurements out: what ``ichseg predict`` does per
case and what :func:`ichseg.segment` returns, in one place.

Example:
    >>> import numpy as np
    >>> from ichseg.io import Volume
    >>> class Nothing:  # any object with predict(volume) -> labels on the volume's grid
    ...     def predict(self, volume):
    ...         return volume.with_array(np.zeros(volume.shape, np.uint8))
    >>> head = Volume(np.full((8, 8, 3), 30.0, np.float32), np.diag([1.0, 1.0, 5.0, 1.0]))
    >>> result = segment_volume(Nothing(), head)
    >>> result.volumes["any_hemorrhage_ml"], result.volumes["ivh_present"]
    (0.0, False)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..io import Volume
from ..io.quality import input_quality_warnings
from ..quantify import quantify_labels


@dataclass(frozen=True)
class Segmentation:
    """The labels (uint8, on the input's own grid and affine), ``volumes.json``'s content
    and the warnings about the input (also inside ``volumes``)."""

    labels: Volume
    volumes: dict
    warnings: tuple[str, ...]


def segment_volume(predictor, volume: Volume) -> Segmentation:
    """Check the scan (the quality warnings join the reader's), segment it, measure it.

    Args:
        predictor: a :class:`~ichseg.infer.predictor.Predictor` (anything with ``predict``).
        volume: a scan as :func:`ichseg.io.read_volume` returns it; its warnings list grows.
    """
    volume.warnings.extend(input_quality_warnings(volume))
    labels = predictor.predict(volume)
    warnings = tuple(volume.warnings)
    # the reader's and the quality checks' warnings travel with every number
    volumes = quantify_labels(labels.array, labels.spacing) | {"warnings": list(warnings)}
    return Segmentation(labels, volumes, warnings)
