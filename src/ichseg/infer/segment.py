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
from ..labels import HEMORRHAGE_LABELS, LABELS
from ..quantify import quantify_labels
from ..quantify.location import iph_infratentorial


@dataclass(frozen=True)
class Segmentation:
    """The labels (uint8, on the input's own grid and affine), ``volumes.json``'s content,
    the warnings about the input (also inside ``volumes``) and, when asked for, the
    uncertainty map (float32 0..1 on the same grid)."""

    labels: Volume
    volumes: dict
    warnings: tuple[str, ...]
    uncertainty: Volume | None = None


def _add_intervals(volumes: dict, uncertain_ml: list[float], predictor) -> dict:
    """Each class's ``uncertain_ml`` and ``volume_interval_ml``, and the ``uncertainty`` block."""
    calibration, reason = predictor.volume_calibration()
    for value, name in LABELS.items():
        if value == 0:
            continue
        entry = volumes[name]
        entry["uncertain_ml"] = round(uncertain_ml[value], 3)
        entry["volume_interval_ml"] = (calibration.interval(name, entry["volume_ml"], uncertain_ml[value])
                                       if calibration else None)
    any_ml = sum(uncertain_ml[v] for v in HEMORRHAGE_LABELS)
    volumes["any_hemorrhage_interval_ml"] = (calibration.interval("any", volumes["any_hemorrhage_ml"], any_ml)
                                             if calibration else None)
    volumes["uncertainty"] = {
        "map": "uncertainty.nii.gz: normalised entropy of the TTA-averaged class probabilities (0 sure, 1 unsure)",
        "coverage": round(1 - calibration.alpha, 3) if calibration else None,
        "method": "split conformal intervals on scaled volume residuals (docs/explanation/uncertainty.md)"
                  if calibration else reason,
        "calibration": calibration.source.get("dataset") if calibration else None,
    }
    return volumes


def segment_volume(predictor, volume: Volume, *, uncertainty: bool = False) -> Segmentation:
    """Check the scan (the quality warnings join the reader's), segment it, measure it.

    Args:
        predictor: a :class:`~ichseg.infer.predictor.Predictor` (anything with ``predict``).
        volume: a scan as :func:`ichseg.io.read_volume` returns it; its warnings list grows.
        uncertainty: also the uncertainty map and, where the model is calibrated, a
            volume interval per type (the predictor should run with TTA).
    """
    volume.warnings.extend(input_quality_warnings(volume))
    uncertainty_map = None
    if uncertainty:
        labels, uncertainty_map, uncertain_ml = predictor.predict_with_uncertainty(volume)
    else:
        labels = predictor.predict(volume)
    warnings = tuple(volume.warnings)
    # the reader's and the quality checks' warnings travel with every number
    volumes = quantify_labels(labels.array, labels.spacing)
    volumes["iph_infratentorial"] = iph_infratentorial(volume, labels.array)  # the ICH score's location item
    volumes["warnings"] = list(warnings)
    if uncertainty:
        volumes = _add_intervals(volumes, uncertain_ml, predictor)
    return Segmentation(labels, volumes, warnings, uncertainty_map)
