"""Results tables in the shape of the papers: ``mean [95% CI]`` per model, region, metric."""

from __future__ import annotations

from collections.abc import Sequence


def format_cell(statistics: dict, digits: int = 3) -> str:
    """``0.812 [0.790, 0.834]`` from a :func:`~ichseg.evaluate.describe_values` dict.

    Example:
        >>> format_cell({"mean": 0.8123, "ci_low": 0.79, "ci_high": 0.834, "n": 20, "n_excluded": 0})
        '0.812 [0.790, 0.834]'
        >>> format_cell({"mean": None, "n": 0, "n_excluded": 3})
        'n/a (3 excluded)'
        >>> format_cell({"mean": 0.8123, "ci_low": None, "ci_high": None, "n": 20, "n_excluded": 0})
        '0.812'
    """
    if statistics.get("mean") is None:
        return f"n/a ({statistics.get('n_excluded', 0)} excluded)"
    cell = f"{statistics['mean']:.{digits}f}"
    if statistics.get("ci_low") is not None:  # None when the bootstrap was switched off
        cell += f" [{statistics['ci_low']:.{digits}f}, {statistics['ci_high']:.{digits}f}]"
    if statistics.get("n_excluded"):
        cell += f" ({statistics['n_excluded']} excl.)"
    return cell


def results_rows(summaries: dict[str, dict], metrics: Sequence[str], regions: Sequence[str]) -> list[dict]:
    """One row per model and region, one ``mean [CI]`` column per metric."""
    rows = []
    for model, summary in summaries.items():
        for region in regions:
            if region not in summary:
                continue
            row = {"model": model, "region": region, "n": summary[region]["n_cases"]}
            for metric in metrics:
                row[metric] = format_cell(summary[region]["metrics"][metric])
            rows.append(row)
    return rows


def to_markdown(rows: list[dict]) -> str:
    """A GitHub-flavoured Markdown table of ``rows`` (all with the same keys)."""
    if not rows:
        return ""
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(str(row[c]) for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"
