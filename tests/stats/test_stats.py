"""Statistics against SciPy and textbook values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ichseg.stats import bland_altman, bootstrap_ci, concordance_correlation, dunn_test, kruskal_dunn, wilcoxon_paired


def test_bootstrap_is_seeded_and_covers_the_mean():
    values = np.random.default_rng(3).normal(0.8, 0.05, 40)
    first = bootstrap_ci(values, seed=5)
    assert first == bootstrap_ci(values, seed=5)
    assert first[0] < values.mean() < first[1]
    half_width = (first[1] - first[0]) / 2
    assert half_width == pytest.approx(1.96 * values.std(ddof=1) / np.sqrt(40), rel=0.25)
    with pytest.raises(ValueError, match="NaN"):
        bootstrap_ci([0.1, np.nan])
    assert bootstrap_ci([0.3]) == (0.3, 0.3)
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_ci([0.1, 0.2], n_resamples=0)


def test_dunn_with_two_groups_equals_kruskal_wallis():
    """For two groups Dunn's z² is the tie-corrected Kruskal-Wallis H."""
    a = [0.81, 0.77, 0.9, 0.9, 0.62, 0.85, 0.7]
    b = [0.7, 0.66, 0.9, 0.58, 0.6, 0.71]
    z = dunn_test({"a": a, "b": b})[0]["z"]
    h, p = stats.kruskal(a, b)
    assert z**2 == pytest.approx(h)
    result = kruskal_dunn({"a": a, "b": b})
    assert result["p"] == pytest.approx(p)
    assert result["dunn"][0]["p"] == pytest.approx(p)


def test_dunn_fdr_adjustment():
    rng = np.random.default_rng(0)
    groups = {"x": rng.normal(0, 1, 20), "y": rng.normal(0.3, 1, 20), "z": rng.normal(2, 1, 20)}
    rows = dunn_test(groups)
    raw = [r["p"] for r in rows]
    adjusted = [r["p_adjusted"] for r in rows]
    assert adjusted == pytest.approx(list(stats.false_discovery_control(raw, method="bh")))
    assert all(a >= r for a, r in zip(adjusted, raw))
    assert min(rows, key=lambda r: r["p"])["b"] == "z"


def test_wilcoxon_matches_scipy_and_drops_nan_pairs():
    a = [0.8, 0.7, 0.9, 0.85, 0.6, np.nan, 0.75, 0.95]
    b = [0.7, 0.72, 0.85, 0.8, 0.5, 0.9, 0.65, 0.9]
    result = wilcoxon_paired(a, b)
    expected = stats.wilcoxon([0.8, 0.7, 0.9, 0.85, 0.6, 0.75, 0.95], [0.7, 0.72, 0.85, 0.8, 0.5, 0.65, 0.9])
    assert result["p"] == pytest.approx(expected.pvalue)
    assert (result["n"], result["n_dropped"]) == (7, 1)


def test_concordance_correlation():
    x = np.array([3.1, 10.4, 25.0, 47.2, 80.3, 5.5])
    assert concordance_correlation(x, x) == pytest.approx(1.0)
    y = x * 1.1 + 2
    # Lin's identity: CCC = 1 - E[(x - y)²] / (var x + var y + (mean x - mean y)²)
    expected = 1 - np.mean((x - y) ** 2) / (x.var() + y.var() + (x.mean() - y.mean()) ** 2)
    assert concordance_correlation(x, y) == pytest.approx(expected)
    assert concordance_correlation(x, y) < np.corrcoef(x, y)[0, 1]  # penalises the bias that r ignores


def test_bland_altman():
    result = bland_altman([10.0, 20.0, 30.0, 40.0], [9.0, 21.0, 28.0, 40.0])
    assert result["bias"] == pytest.approx(0.5)
    assert result["sd"] == pytest.approx(np.std([1, -1, 2, 0], ddof=1))
    assert result["loa_high"] - result["loa_low"] == pytest.approx(2 * 1.96 * result["sd"])
    with pytest.raises(ValueError, match="two complete pairs"):
        bland_altman([1.0], [1.0])
