"""``predict_inputs``: every case of an input path through the predictor, with the
output contract in docs/reference/output-folder.md (one folder per case, ``summary.csv``, ``run.json``,
``report.html``).

A case that fails is a row with ``status=error`` and its reason; the others finish. A case
folder is composed under a temporary name and renamed when complete, so a folder that
exists is whole (see :mod:`ichseg.infer.output_folder`, which also makes two runs into
one folder safe). Inputs are only read.
"""

from __future__ import annotations

import json
import platform
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .. import __version__
from ..io import InputError, read_volume, write_nifti
from ..io.atomic import write_text_atomic
from ..report import render_preview, viewer_data, write_report
from ..report.html_report import VIEWER_NAME
from .inputs import CaseInput, list_case_inputs
from .output_folder import CLASS_NAMES, SUMMARY_COLUMNS, OutputFolder
from .predictor import Predictor
from .segment import segment_volume


def predict_case(case: CaseInput, output: OutputFolder, predictor: Predictor, *, dicom_seg: bool = False,
                 read_options: dict | None = None, uncertainty: bool = False) -> dict:
    """Segment, quantify and write one case; returns its ``summary.csv`` row."""
    started = time.perf_counter()
    read_options = read_options or {}
    row: dict[str, object] = {"case": case.case, "input": str(case.path), "status": "ok", "error": ""}
    if case.error:
        return row | {"status": "error", "error": case.error, "seconds": 0.0}
    temporary = None
    try:
        volume = read_volume(case.path, **read_options)
        files = volume.metadata.get("files") or []
        seg_source = dicom_seg and volume.metadata.get("format") == "dicom" and files
        if dicom_seg and not seg_source:  # everything else is still written
            volume.warnings.append("--dicom-seg needs a DICOM input: segmentation.dcm not written "
                                   f"(this input is {volume.metadata.get('format', 'not DICOM')})")
        result = segment_volume(predictor, volume, uncertainty=uncertainty)
        labels, volumes = result.labels, result.volumes
        temporary = output.staging(case.case)
        write_nifti(labels, temporary / "segmentation.nii.gz", dtype=np.uint8)
        if result.uncertainty is not None:
            write_nifti(result.uncertainty, temporary / "uncertainty.nii.gz", dtype=np.float32)
        (temporary / "volumes.json").write_text(json.dumps(volumes, indent=1) + "\n")
        render_preview(volume, labels, temporary / "preview.png", volumes=volumes, title=case.case)
        (temporary / VIEWER_NAME).write_text(json.dumps(viewer_data(volume, labels, volumes=volumes)))
        if seg_source:
            from ..io.dicom_seg import write_dicom_seg  # noqa: PLC0415  (highdicom only when asked for)

            write_dicom_seg(labels, files, temporary / "segmentation.dcm")
        output.publish(temporary, case.case)
        row.update({"any_hemorrhage_ml": volumes["any_hemorrhage_ml"],
                    **{f"{n}_ml": volumes[n]["volume_ml"] for n in CLASS_NAMES},
                    "ivh_present": volumes["ivh_present"], "ich_volume_ge_30ml": volumes["ich_volume_ge_30ml"],
                    "iph_infratentorial": volumes["iph_infratentorial"],
                    "warnings": " | ".join(volume.warnings)})
    except InputError as error:
        row.update(status="error", error=str(error))
    except Exception as error:  # noqa: BLE001  (one bad case must not stop the batch; its reason is kept)
        row.update(status="error", error=f"{case.path}: {type(error).__name__}: {error}")
    if row["status"] == "error" and temporary is not None:
        shutil.rmtree(temporary, ignore_errors=True)
    row["seconds"] = round(time.perf_counter() - started, 2)
    return row


def part_of(cases: list, num_parts: int = 1, part_id: int = 0) -> list:
    """Part ``part_id`` of ``num_parts`` of a (sorted) case list, nnU-Net's convention
    (every ``num_parts``-th case from ``part_id``): the parts are disjoint and cover all.

    Example:
        >>> part_of(list("abcdefg"), 3, 0), part_of(list("abcdefg"), 3, 2)
        (['a', 'd', 'g'], ['c', 'f'])
    """
    if num_parts < 1 or not 0 <= part_id < num_parts:
        raise ValueError(f"--part-id must be in 0..{num_parts - 1} and --num-parts >= 1, "
                         f"got part {part_id} of {num_parts}")
    return cases[part_id::num_parts]


def cases_of(input_path: str | Path, num_parts: int = 1, part_id: int = 0) -> list[CaseInput]:
    """The cases of ``input_path`` (part ``part_id`` of ``num_parts``), refusing repeated names."""
    cases = part_of(list_case_inputs(input_path), num_parts, part_id)
    names = [c.case for c in cases]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(Path(input_path), f"several inputs share the case name(s) {', '.join(duplicates)}")
    return cases


def finish_run(output: str | Path, rows: list[dict], record: dict, started: float) -> None:
    """Merge ``summary.csv``, write ``run.json`` (``record`` plus the cases and the time)
    and rebuild ``report.html``."""
    folder = OutputFolder(output)
    folder.merge_summary(rows, SUMMARY_COLUMNS)
    record = record | {
        "cases": [{"case": r["case"], "input": r["input"], "status": r["status"], "seconds": r["seconds"]}
                  for r in rows],
        "total_seconds": round(time.perf_counter() - started, 2),
    }
    write_text_atomic(Path(output) / "run.json", json.dumps(record, indent=1) + "\n")
    with folder.locked():  # the report of a shared folder holds every run's cases
        write_report(output)


def _installed(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def run_record(predictor_settings: dict, **options) -> dict:
    """What ``run.json`` says of the software and the options (the cases are added at the end)."""
    return {"ichseg": __version__, "python": sys.version.split()[0], "torch": _installed("torch"),
            "onnxruntime": _installed("onnxruntime"),
            "monai": _installed("monai"), "numpy": np.__version__, "platform": platform.platform(),
            **predictor_settings, **options}


def predictor_record(predictor: Predictor) -> dict:
    """The device, threads, models (with checksums) and options of a loaded predictor."""
    return {"device": predictor.device, "threads": predictor.threads,
            "models": [{"name": b.name, "sha256": b.description.sha256, "onnx_runtime": b.exported}
                       for b in predictor.bundles],
            "tta": predictor.tta, "fast": predictor.fast, "precision": predictor.precision,
            "postprocessing": predictor.postprocessing.to_dict()}


def predict_inputs(input_path: str | Path, output: str | Path, predictor: Predictor, *, dicom_seg: bool = False,
                   workers: int = 1, progress: bool = True, read_options: dict | None = None,
                   num_parts: int = 1, part_id: int = 0, uncertainty: bool = False) -> list[dict]:
    """Run every case of ``input_path`` (or part ``part_id`` of ``num_parts`` of them); write
    case folders, ``summary.csv``, ``run.json``, ``report.html``.

    ``read_options`` are passed to :func:`ichseg.io.read_volume` for every case
    (``series``, ``allow_non_ct``, ``window``, ``spacing``, ``reverse``). Parts of one cohort
    may run on several machines into one shared ``output`` (the summary is merged under a lock)."""
    started = time.perf_counter()
    cases = cases_of(input_path, num_parts, part_id)
    folder = OutputFolder(output)
    bar = tqdm(total=len(cases), unit="case", disable=not progress or len(cases) < 2)

    def run(case: CaseInput) -> dict:
        row = predict_case(case, folder, predictor, dicom_seg=dicom_seg, read_options=read_options,
                           uncertainty=uncertainty)
        bar.update(1)
        return row

    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            rows = list(pool.map(run, cases))
    else:
        rows = [run(case) for case in cases]
    bar.close()
    finish_run(output, rows, run_record(predictor_record(predictor), dicom_seg=dicom_seg, uncertainty=uncertainty,
                                        workers=workers, input=str(input_path),
                                        part={"num_parts": num_parts, "part_id": part_id}), started)
    return rows
