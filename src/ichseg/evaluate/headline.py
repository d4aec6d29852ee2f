"""The headline numbers of a model on a labelled set, computed in one place.

Every benchmark and experiment that reports "how good is this model" uses these: Dice
of any hemorrhage over all cases and over the cases that have blood (a case without
blood that gets any false blood scores 0 in the first), the false blood in mL on the
cases without any, and volume agreement (Lin's CCC, Bland-Altman) over all cases.

Example:
    >>> summary = headline_summary([0.8, 0.6, 0.0], pred_ml=[10.0, 4.0, 0.5], ref_ml=[11.0, 5.0, 0.0])
    >>> summary["dice_any_positive_cases"], summary["negative_cases"]["fp_ml_mean"]
    (0.7, 0.5)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..labels import LABELS
from ..stats import bland_altman, concordance_correlation
from .case import region_values
from .overlap import compute_overlap_metrics


def headline_summary(dice_any: ArrayLike, *, pred_ml: ArrayLike, ref_ml: ArrayLike) -> dict:
    """Per-case Dice(any), predicted and reference volumes (mL) -> the headline summary.

    ``dice_any`` counts a case with no blood and none found as 1 (the default empty-mask
    rule of :class:`~ichseg.evaluate.policy.EmptyMaskPolicy`).

    A set with fewer than two cases has no CCC or Bland-Altman (reported as None).
    """
    dice = np.asarray(dice_any, float)
    predicted, reference = np.asarray(pred_ml, float), np.asarray(ref_ml, float)
    if not dice.shape == predicted.shape == reference.shape:
        raise ValueError("dice_any, pred_ml and ref_ml need one value per case each")
    positive = reference > 0
    negatives = predicted[~positive]
    summary: dict = {
        "n_cases": int(dice.size),
        "dice_any": round(float(np.nanmean(dice)), 4) if dice.size else None,
        "dice_any_positive_cases": round(float(np.nanmean(dice[positive])), 4) if positive.any() else None,
        "n_positive_cases": int(positive.sum()),
        "negative_cases": {"n": int(negatives.size), "clean": int((negatives == 0).sum()),
                           "fp_ml_mean": round(float(negatives.mean()), 3) if negatives.size else None,
                           "fp_ml_max": round(float(negatives.max()), 3) if negatives.size else None},
        "volume_ccc_any": None, "bland_altman_any_ml": None,
    }
    if dice.size >= 2:
        summary["volume_ccc_any"] = round(float(concordance_correlation(predicted, reference)), 4)
        summary["bland_altman_any_ml"] = {key: round(float(value), 3)
                                          for key, value in bland_altman(predicted, reference).items()
                                          if isinstance(value, (int, float))}
    return summary


def score_label_maps(cases) -> tuple[dict, list[dict]]:
    """The headline summary and per-type Dice of label maps against their references.

    Args:
        cases: ``(name, reference, labels, spacing)`` per case (label arrays of one grid).

    Returns:
        The summary (see :func:`headline_summary`, plus ``dice_<type>`` over the cases
        where that type is present or predicted) and the per-case any-hemorrhage values.
    """
    regions = ("any",) + tuple(name for value, name in LABELS.items() if value)  # "any" is blood, not edema
    dice: dict[str, list[float]] = {region: [] for region in regions}
    per_case = []
    for name, reference, labels, spacing in cases:
        for region in regions:
            values = region_values(region)
            pred, ref = np.isin(labels, values), np.isin(reference, values)
            if region != "any" and not (pred.any() or ref.any()):
                continue  # a type neither predicted nor present is left out of that type's mean
            metrics = compute_overlap_metrics(pred, ref, spacing)
            dice[region].append(metrics["dice"])
            if region == "any":
                per_case.append({"case": name, "dice_any": round(metrics["dice"], 4),
                                 "pred_ml": round(metrics["pred_volume_ml"], 3),
                                 "ref_ml": round(metrics["ref_volume_ml"], 3)})
    summary = headline_summary(dice["any"], pred_ml=[c["pred_ml"] for c in per_case],
                               ref_ml=[c["ref_ml"] for c in per_case])
    summary.update({f"dice_{region}": round(float(np.mean(values)), 4) for region, values in dice.items()
                    if values and region != "any"})
    return summary, per_case
