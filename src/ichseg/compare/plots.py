"""Figures for model comparisons (PNG): Dice box + violin, Bland-Altman, concordance."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt
import numpy as np
from numpy.typing import ArrayLike

from ..stats.agreement import bland_altman, concordance_correlation


def _clean(values: ArrayLike) -> np.ndarray:
    array = np.asarray(values, float)
    return array[~np.isnan(array)]


def _paired(pred: ArrayLike, ref: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(pred, float), np.asarray(ref, float)
    keep = ~(np.isnan(a) | np.isnan(b))
    return a[keep], b[keep]


def _save(figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def box_violin(groups: Mapping[str, ArrayLike], path: Path, *, title: str, ylabel: str) -> Path:
    """Violins with box plots on top, one per model."""
    names = [n for n in groups if _clean(groups[n]).size]
    data = [_clean(groups[n]) for n in names]
    figure, axes = plt.subplots(figsize=(1.6 + 1.3 * len(names), 4))
    if data:
        axes.violinplot(data, showextrema=False)
        axes.boxplot(data, widths=0.15, showfliers=True)
        axes.set_xticks(range(1, len(names) + 1), names, rotation=20)
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    return _save(figure, path)


def bland_altman_plot(pred: ArrayLike, ref: ArrayLike, path: Path, *, title: str, unit: str = "mL") -> Path:
    """Difference against mean, with bias and 95% limits of agreement."""
    a, b = _paired(pred, ref)
    result = bland_altman(a, b)
    figure, axes = plt.subplots(figsize=(5, 4))
    axes.scatter((a + b) / 2, a - b, s=12, alpha=0.7)
    for value, style, label in ((result["bias"], "-", "bias"), (result["loa_low"], "--", "95% LoA"),
                                (result["loa_high"], "--", None)):
        axes.axhline(value, color="k", linestyle=style, linewidth=1, label=label)
    axes.set_xlabel(f"mean of predicted and reference ({unit})")
    axes.set_ylabel(f"predicted - reference ({unit})")
    axes.set_title(f"{title}\nbias {result['bias']:.2f}, LoA [{result['loa_low']:.2f}, {result['loa_high']:.2f}]")
    axes.legend(loc="best", fontsize=8)
    return _save(figure, path)


def concordance_plot(pred: ArrayLike, ref: ArrayLike, path: Path, *, title: str, unit: str = "mL") -> Path:
    """Predicted against reference with the identity line and Lin's CCC."""
    a, b = _paired(pred, ref)
    ccc = concordance_correlation(a, b)
    figure, axes = plt.subplots(figsize=(4.5, 4.5))
    axes.scatter(b, a, s=12, alpha=0.7)
    top = float(max(a.max(), b.max(), 1e-6)) * 1.05
    axes.plot([0, top], [0, top], "k--", linewidth=1)
    axes.set_xlim(0, top)
    axes.set_ylim(0, top)
    axes.set_xlabel(f"reference ({unit})")
    axes.set_ylabel(f"predicted ({unit})")
    axes.set_title(f"{title}\nCCC {ccc:.3f}")
    return _save(figure, path)
