"""Comparing models: Kruskal-Wallis with Dunn's post hoc test (FDR-corrected) for
independent groups (Kok et al.), Wilcoxon signed-rank for paired models.

SciPy provides Kruskal-Wallis, Wilcoxon and Benjamini-Hochberg; Dunn's test is written
here from its definition (Dunn 1964, with the tie correction of the pooled-rank variance).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats


def _clean(values: ArrayLike) -> np.ndarray:
    array = np.asarray(values, float)
    return array[~np.isnan(array)]


def dunn_test(groups: Mapping[str, ArrayLike], *, fdr: bool = True) -> list[dict]:
    """Pairwise Dunn z tests on pooled ranks; p-values BH-FDR adjusted when ``fdr``.

    Example:
        >>> result = dunn_test({"a": [1, 2, 3, 4], "b": [5, 6, 7, 8], "c": [1.5, 2.5, 3.5, 4.5]})
        >>> [(r["a"], r["b"]) for r in result]
        [('a', 'b'), ('a', 'c'), ('b', 'c')]
    """
    names = list(groups)
    samples = [_clean(groups[n]) for n in names]
    if any(s.size == 0 for s in samples):
        raise ValueError("every group needs at least one value")
    pooled = np.concatenate(samples)
    ranks = stats.rankdata(pooled)
    n_total = pooled.size
    _, tie_counts = np.unique(pooled, return_counts=True)
    tie_term = float(np.sum(tie_counts**3 - tie_counts)) / (12.0 * (n_total - 1))
    variance_unit = n_total * (n_total + 1) / 12.0 - tie_term
    bounds = np.cumsum([0] + [s.size for s in samples])
    mean_ranks = [ranks[bounds[i] : bounds[i + 1]].mean() for i in range(len(samples))]
    rows = []
    for i, j in combinations(range(len(names)), 2):
        se = np.sqrt(variance_unit * (1.0 / samples[i].size + 1.0 / samples[j].size))
        z = (mean_ranks[i] - mean_ranks[j]) / se if se > 0 else 0.0
        rows.append({"a": names[i], "b": names[j], "z": float(z), "p": float(2 * stats.norm.sf(abs(z)))})
    if fdr and rows:
        adjusted = stats.false_discovery_control([r["p"] for r in rows], method="bh")
        for row, p in zip(rows, adjusted):
            row["p_adjusted"] = float(p)
    return rows


def kruskal_dunn(groups: Mapping[str, ArrayLike]) -> dict:
    """Kruskal-Wallis H test across groups, then Dunn's pairwise tests (BH-FDR).

    NaN values are left out (report how many with the summaries).
    """
    samples = {name: _clean(values) for name, values in groups.items()}
    usable = {name: s for name, s in samples.items() if s.size}
    if len(usable) < 2:
        raise ValueError("Kruskal-Wallis needs at least two groups with values")
    pooled = np.concatenate(list(usable.values()))
    if np.all(pooled == pooled[0]):
        return {"h": 0.0, "p": 1.0, "dunn": [], "note": "all values identical"}
    h, p = stats.kruskal(*usable.values())
    return {"h": float(h), "p": float(p), "dunn": dunn_test(usable)}


def wilcoxon_paired(a: ArrayLike, b: ArrayLike) -> dict:
    """Wilcoxon signed-rank test of paired values (pairs with a NaN are dropped and counted)."""
    x, y = np.asarray(a, float), np.asarray(b, float)
    if x.shape != y.shape:
        raise ValueError("paired samples must have the same length")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    out = {"n": int(keep.sum()), "n_dropped": int((~keep).sum())}
    if x.size == 0 or np.all(x == y):
        return out | {"statistic": None, "p": 1.0 if x.size else None, "median_difference": 0.0 if x.size else None}
    result = stats.wilcoxon(x, y)
    return out | {"statistic": float(result.statistic), "p": float(result.pvalue),
                  "median_difference": float(np.median(x - y))}
