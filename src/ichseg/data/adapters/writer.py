"""``ConversionWriter``: writes a converted release into the project's dataset format.

Everything goes into ``DST.partial/`` and is renamed to ``DST`` only when the whole
release is done, so a half-written ``DST`` never looks complete. A conversion that was
interrupted resumes: cases whose files (and record) are already in ``DST.partial/`` are
not converted again. Beside ``imagesTr/``, ``labelsTr/`` (and ``imagesUnlabeled/``) it
writes ``dataset.json``, ``slice_labels.csv`` when the release has slice labels,
``cases.csv`` (case, source, release split) and ``conversion.json`` (cases found,
written, skipped with why, the label mapping, spacing and orientation summary).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ... import __version__
from ...io import InputError, Volume
from ...io.atomic import atomic_path
from ...io.case_names import checked_case_name
from ..dataset_format import DatasetWriter, dataset_json

SLICE_LABEL_COLUMNS = ("IPH", "IVH", "SAH", "SDH", "EDH", "PHE", "any")
BINARY_LABELS = {"background": 0, "hemorrhage": 1}


class ConversionWriter:
    """Collects the cases of one release and publishes the dataset folder at the end.

    Args:
        destination: the dataset folder to create; it must not exist or be empty.
        kind: the adapter's registered name (recorded).
        source: the release folder (recorded; never written to).
        task: ``"binary"`` (any hemorrhage is 1) or ``"multiclass"`` (ichseg's schema).
        label_map: the release's label values -> what they were written as (recorded).

    Example:
        >>> import tempfile, numpy as np
        >>> from pathlib import Path
        >>> root = Path(tempfile.mkdtemp())
        >>> writer = ConversionWriter(root / "ds", "demo", root, task="binary", label_map={"1": 1})
        >>> image = Volume(np.zeros((4, 4, 2), np.int16), np.eye(4))
        >>> writer.add_labelled("a", image, image.with_array(np.ones((4, 4, 2), np.uint8)), source="a.nii")
        >>> writer.skip("b.nii", "no mask")
        >>> report = writer.finish()
        >>> report["cases_written"], report["skipped"][0]["why"], (root / "ds" / "labelsTr" / "a.nii.gz").exists()
        (1, 'no mask', True)
    """

    def __init__(self, destination: str | Path, kind: str, source: str | Path, *, task: str,
                 label_map: Mapping[str, Any], name: str | None = None) -> None:
        if task not in ("binary", "multiclass"):
            raise ValueError(f"task must be binary or multiclass, got {task!r}")
        self.destination = Path(destination)
        if self.destination.exists() and (not self.destination.is_dir() or any(self.destination.iterdir())):
            raise InputError(self.destination, "exists and is not empty: choose a new dataset folder")
        self.partial = self.destination.with_name(self.destination.name + ".partial")
        self.kind, self.source, self.task = kind, Path(source), task
        self.label_map = dict(label_map)
        self.name = name or self.destination.name
        self._dataset = DatasetWriter(self.partial)
        self._records_folder = self.partial / ".records"
        self._records_folder.mkdir(exist_ok=True)
        self._skipped: list[dict] = []
        self._slice_rows: dict[str, list[dict]] = {}

    # -- cases ---------------------------------------------------------------------------------
    def done(self, case: str) -> bool:
        """True when ``case`` was written by an earlier, interrupted run (its record exists)."""
        return (self._records_folder / f"{case}.json").exists()

    def add_labelled(self, case: str, image: Volume, labels: Volume, *, source: str | Path,
                     split: str = "", notes: Iterable[str] = ()) -> None:
        """Write one pixel-labelled case (image in HU, labels already in ichseg's values)."""
        checked_case_name(case, source)
        if image.shape != labels.shape:
            raise ValueError(f"{case}: image {image.shape} and labels {labels.shape} differ")
        self._dataset.write_labelled(case, image, labels)
        counts = np.bincount(np.asarray(labels.array, np.int64).ravel())
        self._record(case, image, source, split, "labelled", notes,
                     {str(v): int(n) for v, n in enumerate(counts) if n and v})

    def add_unlabelled(self, case: str, image: Volume, *, source: str | Path, split: str = "",
                       notes: Iterable[str] = ()) -> None:
        """Write one image without pixel labels (``imagesUnlabeled/``; slice labels may follow)."""
        checked_case_name(case, source)
        self._dataset.write_unlabeled(case, image)
        self._record(case, image, source, split, "unlabelled", notes, {})

    def add_slice_labels(self, case: str, rows: Iterable[Mapping[str, int | None]]) -> None:
        """Per slice ``k`` of the written image: 1/0 presence per type, ``None`` = not labelled."""
        table = []
        for k, row in enumerate(rows):
            table.append({"case": case, "slice": k,
                          **{column: ("" if row.get(column) is None else int(bool(row[column])))
                             for column in SLICE_LABEL_COLUMNS}})
        self._slice_rows[case] = table
        with atomic_path(self._records_folder / f"{case}.slices.json") as temporary:
            temporary.write_text(json.dumps(table))

    def skip(self, source: str | Path, why: str) -> None:
        """Record a case of the release that was not converted, and why."""
        self._skipped.append({"source": str(source), "why": why})

    def _record(self, case, image, source, split, kind, notes, voxels) -> None:
        record = {"case": case, "source": str(source), "split": split, "kind": kind, "shape": list(image.shape),
                  "spacing_mm": [round(s, 4) for s in image.spacing], "orientation": image.orientation,
                  "label_voxels": voxels, "notes": list(notes)}
        with atomic_path(self._records_folder / f"{case}.json") as temporary:
            temporary.write_text(json.dumps(record))

    # -- the end -------------------------------------------------------------------------------
    def finish(self, *, description: str = "", cases_found: int | None = None,
               extra: Mapping[str, Any] | None = None) -> dict:
        """Write the tables and reports, then rename ``DST.partial`` to ``DST``; returns conversion.json."""
        records = [json.loads(p.read_text()) for p in sorted(self._records_folder.glob("*.json"))
                   if not p.name.endswith(".slices.json")]
        slice_tables = [json.loads(p.read_text()) for p in sorted(self._records_folder.glob("*.slices.json"))]
        labelled = [r for r in records if r["kind"] == "labelled"]
        unlabelled = [r for r in records if r["kind"] == "unlabelled"]
        if not records:
            shutil.rmtree(self.partial, ignore_errors=True)
            reasons = "; ".join(f"{s['source']}: {s['why']}" for s in self._skipped[:3])
            raise InputError(self.source, f"no case could be converted ({len(self._skipped)} skipped"
                                          + (f": {reasons}" if reasons else "") + ")")
        meta = dataset_json(self.name, len(labelled), len(unlabelled), description)
        meta["task"] = self.task
        if self.task == "binary":
            meta["labels"] = dict(BINARY_LABELS)
        self._write_json("dataset.json", meta)
        self._write_csv("cases.csv", [{"case": r["case"], "kind": r["kind"], "split": r["split"],
                                       "source": r["source"]} for r in records])
        rows = [row for table in slice_tables for row in table]
        if rows:
            self._write_csv("slice_labels.csv", rows)
        spacings = np.array([r["spacing_mm"] for r in records])
        report = {
            "kind": self.kind, "source": str(self.source), "ichseg_version": __version__, "task": self.task,
            "label_map": self.label_map,
            "cases_found": cases_found if cases_found is not None else len(records) + len(self._skipped),
            "cases_written": len(records), "labelled": len(labelled), "unlabelled": len(unlabelled),
            "slice_labelled_cases": len(slice_tables),
            "skipped": self._skipped,
            "spacing_mm": {axis: {"min": float(spacings[:, i].min()), "median": float(np.median(spacings[:, i])),
                                  "max": float(spacings[:, i].max())} for i, axis in enumerate("xyz")},
            "orientations": dict(Counter(r["orientation"] for r in records)),
            "splits": dict(Counter(r["split"] or "none" for r in records)),
            "cases": records,
            **dict(extra or {}),
        }
        self._write_json("conversion.json", report)
        shutil.rmtree(self._records_folder)
        if self.destination.exists():
            self.destination.rmdir()  # checked empty at the start
        os.replace(self.partial, self.destination)
        return report

    def _write_json(self, name: str, content: Mapping) -> None:
        with atomic_path(self.partial / name) as temporary:
            temporary.write_text(json.dumps(content, indent=2) + "\n")

    def _write_csv(self, name: str, rows: list[dict]) -> None:
        columns = list(dict.fromkeys(key for row in rows for key in row))
        with atomic_path(self.partial / name) as temporary, open(temporary, "w", newline="") as stream:
            table = csv.DictWriter(stream, fieldnames=columns)
            table.writeheader()
            table.writerows(rows)
