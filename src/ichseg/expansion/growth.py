"""Volume change between a baseline and a follow-up scan, per type, and the standard
hematoma-expansion flags.

- ``iph_expansion``: IPH growth of at least 6 mL or at least 33 % of the baseline volume
  (the definitions of the expansion trials: Dowlatshahi et al. 2011, Brott et al. 1997).
  A baseline without IPH has no percentage (``null``); then only the 6 mL rule applies.
- ``new_ivh``: no IVH at baseline, IVH at follow-up.
- ``ivh_growth_ml``, ``any_hemorrhage_change_ml``: as measured, no threshold.

Volumes come from each scan's own segmentation on its own grid (no resampling error).

Example:
    >>> change = volume_change({"IPH": {"volume_ml": 20.0}, "IVH": {"volume_ml": 0.0}},
    ...                        {"IPH": {"volume_ml": 25.0}, "IVH": {"volume_ml": 1.5}})
    >>> change["IPH"]["change_ml"], change["IPH"]["change_percent"], change["iph_expansion"], change["new_ivh"]
    (5.0, 25.0, False, True)
"""

from __future__ import annotations

from ..labels import LABELS

IPH_GROWTH_ML = 6.0
IPH_GROWTH_FRACTION = 0.33


def _ml(volumes: dict, name: str) -> float:
    return float((volumes.get(name) or {}).get("volume_ml", 0.0))


def volume_change(baseline: dict, followup: dict) -> dict:
    """Per type ``baseline_ml``, ``followup_ml``, ``change_ml``, ``change_percent`` (None
    without a baseline volume) and the flags of the module docstring, from two
    ``volumes.json`` contents."""
    result: dict = {}
    for value, name in LABELS.items():
        if value == 0:
            continue
        before, after = _ml(baseline, name), _ml(followup, name)
        result[name] = {"baseline_ml": round(before, 3), "followup_ml": round(after, 3),
                        "change_ml": round(after - before, 3),
                        "change_percent": round(100 * (after - before) / before, 1) if before > 0 else None}
    iph = result["IPH"]
    grew_fraction = iph["baseline_ml"] > 0 and iph["change_ml"] >= IPH_GROWTH_FRACTION * iph["baseline_ml"]
    result["iph_expansion"] = bool(iph["change_ml"] >= IPH_GROWTH_ML or grew_fraction)
    result["new_ivh"] = bool(result["IVH"]["baseline_ml"] == 0 and result["IVH"]["followup_ml"] > 0)
    result["ivh_growth_ml"] = result["IVH"]["change_ml"]
    result["any_hemorrhage_change_ml"] = round(
        float(followup.get("any_hemorrhage_ml", 0.0)) - float(baseline.get("any_hemorrhage_ml", 0.0)), 3)
    return result
