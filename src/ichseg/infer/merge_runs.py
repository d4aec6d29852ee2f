"""Join the output folders of several ``ichseg predict`` runs (the parts of a cohort run
on machines that did not share a folder) into one: case folders, ``summary.csv``, ``run.json``, ``report.html``.

A case done in one part and failed in another is taken as done; a case done in two parts
is refused (the parts were not disjoint), naming both folders. Sources are only read;
each case folder is copied in whole (composed aside, then renamed into place).
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from ..io import InputError
from ..io.atomic import write_text_atomic
from ..report import write_report
from .output_folder import SUMMARY_COLUMNS, OutputFolder


def _summary(folder: Path) -> list[dict]:
    path = folder / "summary.csv"
    if not path.is_file():
        raise InputError(folder, "not an ichseg predict output folder (no summary.csv)")
    with open(path, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    if rows and not {"case", "status"} <= set(rows[0]):
        raise InputError(path, "summary.csv lacks its case and status columns")
    return rows


def merge_runs(sources: Sequence[str | Path], output: str | Path) -> list[dict]:
    """Copy every case of ``sources`` into ``output`` and write the joined summary and run record.

    Returns:
        The joined ``summary.csv`` rows.

    Raises:
        InputError: a source is not a predict output, lacks a case folder its summary lists
            as done, or two sources both did the same case.
    """
    folders = [Path(source) for source in sources]
    chosen: dict[str, tuple[Path, dict]] = {}
    for folder in folders:
        for row in _summary(folder):
            case, earlier = row["case"], chosen.get(row["case"])
            if earlier and earlier[1]["status"] == "ok" and row["status"] == "ok":
                raise InputError(folder, f"case {case!r} was done here and in {earlier[0]}: the parts overlap")
            if earlier is None or row["status"] == "ok":
                chosen[case] = (folder, row)
    target = OutputFolder(output)
    for case, (folder, row) in chosen.items():
        if row["status"] != "ok":
            continue
        if not (folder / case).is_dir():
            raise InputError(folder / case, "listed as done in summary.csv but the case folder is missing")
        staging = target.staging(case)
        shutil.copytree(folder / case, staging, dirs_exist_ok=True)
        target.publish(staging, case)
    table = target.merge_summary([row for _, row in chosen.values()], SUMMARY_COLUMNS)
    runs = []
    for folder in folders:
        record = folder / "run.json"
        runs.append({"folder": str(folder), "run": json.loads(record.read_text()) if record.is_file() else None})
    write_text_atomic(Path(output) / "run.json", json.dumps(
        {"merged_from": runs, "n_cases": len(chosen),
         "n_done": sum(row["status"] == "ok" for _, row in chosen.values())}, indent=1) + "\n")
    with target.locked():
        write_report(output)
    return table
