"""``OUT/report.html``: one self-contained page (no network, no server) with the cohort
table and a slice viewer per case, built from an ``ichseg predict`` output folder alone
(``summary.csv`` and each case's ``viewer.json``), so ``ichseg report OUT`` can rebuild it.

The table sorts by any column; a row opens the case in the viewer: every axial slice
(slider, mouse wheel, arrow keys), overlay on/off and opacity, the class legend with
volumes (a click goes to that class's largest slice), brain / subdural / bone windows and
the reader's and quality checks' warnings.

Example:
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp())
    >>> _ = (out / "summary.csv").write_text("case,status,error,any_hemorrhage_ml\\nc1,error,bad file,\\n")
    >>> page = write_report(out).read_text()
    >>> "bad file" in page and "http://" not in page and "https://" not in page
    True
"""

from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path

from .. import __version__
from ..io import InputError
from ..io.atomic import write_text_atomic
from ..labels import CLASS_COLOURS, LABELS
from .viewer_slices import code_to_hu_table

REPORT_NAME = "report.html"
VIEWER_NAME = "viewer.json"
DATA_MARK = "/*ICHSEG_DATA*/"
WINDOWS = ({"name": "brain", "width": 80, "level": 40}, {"name": "subdural", "width": 200, "level": 80},
           {"name": "bone", "width": 2800, "level": 600})


def _columns() -> list[dict]:
    classes = [name for value, name in LABELS.items() if value]
    return [
        {"key": "case", "title": "case", "kind": "text"},
        {"key": "status", "title": "status", "kind": "text"},
        {"key": "any_hemorrhage_ml", "title": "any", "kind": "number", "digits": 1,
         "help": "any hemorrhage (IPH+IVH+SAH+SDH+EDH), mL"},
        *({"key": f"{name}_ml", "title": name, "kind": "number", "digits": 1, "help": f"{name}, mL"}
          for name in classes),
        {"key": "ivh_present", "title": "IVH present", "kind": "flag", "help": "intraventricular blood present"},
        {"key": "ich_volume_ge_30ml", "title": "IPH ≥\u00a030\u00a0mL", "kind": "flag",
         "help": "IPH volume ≥ 30 mL (ICH score)"},
        {"key": "iph_infratentorial", "title": "infra­tentorial", "kind": "flag",
         "help": "largest IPH lies in the posterior fossa (ICH score)"},
        {"key": "warnings", "title": "warnings", "kind": "text"},
        {"key": "error", "title": "error", "kind": "text"},
        {"key": "seconds", "title": "s", "kind": "number", "digits": 1, "help": "seconds for this case"},
    ]


def report_data(output: str | Path) -> dict:
    """What the page shows, read from the output folder (see the module docstring)."""
    output = Path(output)
    summary = output / "summary.csv"
    if not summary.is_file():
        raise InputError(output, "not an ichseg predict output folder (no summary.csv)")
    with open(summary, newline="", encoding="utf-8") as stream:
        rows = sorted(csv.DictReader(stream), key=lambda row: row.get("case", ""))
    cases = {}
    for row in rows:
        viewer = output / row.get("case", "") / VIEWER_NAME
        if row.get("status") == "ok" and viewer.is_file():
            try:
                cases[row["case"]] = json.loads(viewer.read_text())
            except (OSError, json.JSONDecodeError):  # a damaged case keeps its row, without images
                continue
    return {
        "version": __version__, "columns": _columns(), "rows": rows, "cases": cases, "windows": list(WINDOWS),
        "classes": [{"value": value, "name": name, "colour": CLASS_COLOURS[value]}
                    for value, name in LABELS.items() if value],
        "hu_table": [float(hu) for hu in code_to_hu_table()],
    }


def write_report(output: str | Path) -> Path:
    """Write ``OUT/report.html`` (atomically) and return its path."""
    template = (resources.files(__package__) / "templates" / "report.html").read_text(encoding="utf-8")
    # "</" inside a <script> would end it early; JSON allows "<\/"
    payload = json.dumps(report_data(output), separators=(",", ":")).replace("</", "<\\/")
    path = Path(output) / REPORT_NAME
    write_text_atomic(path, template.replace(DATA_MARK, payload, 1))
    return path
