"""How an adapted model's predictions on the site's own scans differ from the source model's:
the mean volume of each type before and after (and the mean of the per-scan shift), and the
share of voxels whose label changed, over every voxel and over the voxels that either model
called blood. These are what a site can check without labels: a shift that large is a
reason to look at the previews before using the new model."""

from __future__ import annotations

import numpy as np

from ..labels import HEMORRHAGE_LABELS, LABELS


def type_volumes_ml(labels: np.ndarray, voxel_ml: float) -> dict[str, float]:
    """Volume of each type and of all blood (``any``: labels 1-5) in mL.

    Example:
        >>> type_volumes_ml(np.array([0, 1, 1, 2, 6]), voxel_ml=0.5)["any"]
        1.5
    """
    counts = np.bincount(labels.ravel(), minlength=len(LABELS))
    volumes = {LABELS[value]: float(counts[value] * voxel_ml) for value in LABELS if value}
    volumes["any"] = float(sum(counts[value] for value in HEMORRHAGE_LABELS) * voxel_ml)
    return volumes


def prediction_changes(before: dict[str, tuple[np.ndarray, float]],
                       after: dict[str, tuple[np.ndarray, float]]) -> dict:
    """Per type: mean volume before and after and the mean shift (mL); over all scans: the share
    of voxels whose label changed, of every voxel and of those called blood by either model.

    ``before`` and ``after``: scan name -> (label map, voxel volume in mL), the same scans.

    Example:
        >>> a, b = np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])
        >>> changes = prediction_changes({"s": (a, 1.0)}, {"s": (b, 1.0)})
        >>> changes["volume_ml"]["IPH"], changes["changed_voxel_share"], changes["changed_blood_voxel_share"]
        ({'before': 2.0, 'after': 1.0, 'mean_shift': -1.0}, 0.25, 0.5)
    """
    if sorted(before) != sorted(after):
        raise ValueError("before and after must hold the same scans")
    names = sorted(before)
    per_scan = {name: (type_volumes_ml(*before[name]), type_volumes_ml(*after[name])) for name in names}
    types = [*(LABELS[v] for v in LABELS if v), "any"]
    volume = {}
    for kind in types:
        old = np.array([per_scan[n][0][kind] for n in names])
        new = np.array([per_scan[n][1][kind] for n in names])
        volume[kind] = {"before": round(float(old.mean()), 3), "after": round(float(new.mean()), 3),
                        "mean_shift": round(float((new - old).mean()), 3)}
    changed = total = changed_blood = blood = 0
    for name in names:
        old_labels, new_labels = before[name][0], after[name][0]
        if old_labels.shape != new_labels.shape:
            raise ValueError(f"scan {name}: the label maps have different shapes")
        differs = old_labels != new_labels
        either = np.isin(old_labels, HEMORRHAGE_LABELS) | np.isin(new_labels, HEMORRHAGE_LABELS)
        changed += int(differs.sum())
        total += differs.size
        changed_blood += int((differs & either).sum())
        blood += int(either.sum())
    return {"scans": len(names), "volume_ml": volume,
            "changed_voxel_share": round(changed / total, 6) if total else 0.0,
            "changed_blood_voxel_share": round(changed_blood / blood, 6) if blood else 0.0,
            "per_scan_any_ml": {n: [round(per_scan[n][0]["any"], 3), round(per_scan[n][1]["any"], 3)]
                                for n in names}}
