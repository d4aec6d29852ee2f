"""Train/validation splits: k-fold by patient, and a stratified train/val/test split.

Splits are made once (seeded), saved as JSON and reused, so every model of an
experiment sees the same folds. Cases of one patient never straddle two folds.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..io.atomic import write_text_atomic


def _patient_groups(cases: Sequence[str], patients: Mapping[str, str] | None) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for case in cases:
        groups[(patients or {}).get(case, case)].append(case)
    return dict(groups)


def kfold_splits(cases: Sequence[str], *, n_folds: int = 5, seed: int = 12345,
                 patients: Mapping[str, str] | None = None) -> list[dict[str, list[str]]]:
    """``n_folds`` folds of ``{"train": [...], "val": [...]}``, grouped by patient.

    Patients are shuffled (seeded) and dealt to folds largest-first so fold sizes stay even.

    Example:
        >>> folds = kfold_splits([f"c{i}" for i in range(10)], n_folds=5, seed=0)
        >>> [len(f["val"]) for f in folds], sorted(sum((f["val"] for f in folds), [])) == sorted(f"c{i}" for i in range(10))
        ([2, 2, 2, 2, 2], True)
    """
    groups = _patient_groups(cases, patients)
    if len(groups) < n_folds:
        raise ValueError(f"{len(groups)} patients cannot make {n_folds} folds")
    rng = np.random.default_rng(seed)
    names = [list(groups)[i] for i in rng.permutation(len(groups))]
    names.sort(key=lambda name: -len(groups[name]))  # stable: shuffled order within equal sizes
    folds: list[list[str]] = [[] for _ in range(n_folds)]
    for name in names:
        smallest = min(range(n_folds), key=lambda k: (len(folds[k]), k))
        folds[smallest].extend(groups[name])
    return [{"train": sorted(c for k, fold in enumerate(folds) if k != f for c in fold), "val": sorted(folds[f])}
            for f in range(n_folds)]


def stratified_split(cases: Sequence[str], strata: Mapping[str, str], *, ratios: Sequence[float] = (3, 1, 1),
                     seed: int = 12345, patients: Mapping[str, str] | None = None) -> dict[str, list[str]]:
    """Train/val/test split (HemSeg's 3:1:1) with each stratum split in the same ratios.

    A patient's stratum is that of its first case; patients stay whole.

    Example:
        >>> cases = [f"c{i}" for i in range(20)]
        >>> split = stratified_split(cases, {c: "IPH" if i % 2 else "IVH" for i, c in enumerate(cases)}, seed=0)
        >>> [len(split[k]) for k in ("train", "val", "test")]
        [12, 4, 4]
    """
    ratios = np.asarray(ratios, float)
    if ratios.shape != (3,) or (ratios < 0).any() or ratios.sum() <= 0:
        raise ValueError(f"ratios must be three non-negative numbers, got {list(ratios)}")
    groups = _patient_groups(cases, patients)
    by_stratum: dict[str, list[str]] = defaultdict(list)
    for name, members in groups.items():
        by_stratum[strata.get(members[0], "none")].append(name)
    rng = np.random.default_rng(seed)
    split = {"train": [], "val": [], "test": []}
    for stratum in sorted(by_stratum):
        names = sorted(by_stratum[stratum])
        names = [names[i] for i in rng.permutation(len(names))]
        bounds = np.round(np.cumsum(ratios) / ratios.sum() * len(names)).astype(int)
        for part, (start, stop) in zip(split, zip([0, *bounds[:2]], bounds)):
            split[part].extend(case for name in names[start:stop] for case in groups[name])
    return {part: sorted(members) for part, members in split.items()}


def load_or_create(path: str | Path, create) -> object:
    """Read the splits JSON at ``path``, or write ``create()`` there first."""
    path = Path(path)
    if path.exists():
        return json.loads(path.read_text())
    splits = create()
    write_text_atomic(path, json.dumps(splits, indent=1) + "\n")
    return splits
