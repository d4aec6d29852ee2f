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
        >>> every = sorted(case for fold in folds for case in fold["val"])
        >>> [len(f["val"]) for f in folds], every == sorted(f"c{i}" for i in range(10))
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
    """Train/val/test split (HemSeg's 3:1:1), each stratum spread over the parts in those ratios.

    Patients are taken stratum by stratum (shuffled, seeded, within each) and each goes
    to the part furthest below its share so far, so the part sizes match the ratios over
    the whole set (rounding stratum by stratum could leave a small set with no
    validation case at all) and every stratum is spread as evenly as its size allows.
    A patient's stratum is that of its first case; patients stay whole.

    Raises:
        ValueError: too few patients to give every part with a non-zero ratio a case.

    Example:
        >>> cases = [f"c{i}" for i in range(20)]
        >>> split = stratified_split(cases, {c: "IPH" if i % 2 else "IVH" for i, c in enumerate(cases)}, seed=0)
        >>> [len(split[k]) for k in ("train", "val", "test")]
        [12, 4, 4]
        >>> [len(v) for v in stratified_split([f"c{i}" for i in range(6)], {}, seed=0).values()]
        [4, 1, 1]
    """
    weights = np.asarray(ratios, float)
    if weights.shape != (3,) or (weights < 0).any() or weights.sum() <= 0:
        raise ValueError(f"ratios must be three non-negative numbers, got {list(weights)}")
    shares = weights / weights.sum()
    groups = _patient_groups(cases, patients)
    needed = int(np.count_nonzero(weights))
    if len(groups) < needed:
        raise ValueError(f"{len(groups)} patients cannot make a train/val/test split in ratios "
                         f"{':'.join(f'{r:g}' for r in weights)} (a part would be empty); use more cases or k-fold")
    by_stratum: dict[str, list[str]] = defaultdict(list)
    for name, members in groups.items():
        by_stratum[strata.get(members[0], "none")].append(name)
    targets = _part_sizes(shares, len(groups))
    rng = np.random.default_rng(seed)
    parts = ("train", "val", "test")
    split: dict[str, list[str]] = {part: [] for part in parts}
    counts = np.zeros(3)
    for stratum in sorted(by_stratum):
        names = sorted(by_stratum[stratum])
        for index in rng.permutation(len(names)):
            behind = np.where(counts < targets, targets * (counts.sum() + 1) / len(groups) - counts, -np.inf)
            part = int(np.argmax(behind))  # the part most behind its target so far
            counts[part] += 1
            split[parts[part]].extend(groups[names[index]])
    return {part: sorted(members) for part, members in split.items()}


def _part_sizes(shares: np.ndarray, n: int) -> np.ndarray:
    """Patients per part: largest remainders, then at least one in every part with a share.

    Example:
        >>> _part_sizes(np.array([0.6, 0.2, 0.2]), 3).tolist(), _part_sizes(np.array([0.6, 0.2, 0.2]), 6).tolist()
        ([1.0, 1.0, 1.0], [4.0, 1.0, 1.0])
    """
    exact = shares * n
    sizes = np.floor(exact)
    for part in np.argsort(-(exact - sizes), kind="stable")[: int(n - sizes.sum())]:
        sizes[part] += 1
    for part in np.flatnonzero((shares > 0) & (sizes == 0)):
        sizes[part] += 1
        sizes[int(np.argmax(sizes))] -= 1
    return sizes


def load_or_create(path: str | Path, create) -> object:
    """Read the splits JSON at ``path``, or write ``create()`` there first."""
    path = Path(path)
    if path.exists():
        return json.loads(path.read_text())
    splits = create()
    write_text_atomic(path, json.dumps(splits, indent=1) + "\n")
    return splits
