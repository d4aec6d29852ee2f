"""``predict --scheduler ADDRESS`` / ``--dask-workers N``: the cases of a cohort spread over
Dask distributed workers (a cluster, or a local one started here), with the outputs of a
serial run.

- One task per case; a worker loads the model once (cached per worker process) and
  writes the case folder itself, so the output folder must be one that every worker
  can write (a shared file system on a cluster).
- A worker that dies (killed, out of memory, its machine lost) loses its running and
  queued cases; the scheduler gives them to the remaining workers (and to the worker
  its nanny restarts). Case folders are published atomically, so a half-written case
  never looks done; a killed worker's temporary folder is removed by the next run.
- The run's summary, ``run.json`` and report are written here, as a serial run does.

Example (a local 2-worker cluster)::

    rows = predict_inputs_dask("scans/", "out/", {"models": ("default",)}, n_workers=2)
"""

from __future__ import annotations

import os
import time
from functools import lru_cache
from pathlib import Path

from tqdm import tqdm

from ..device import cpu_threads
from ..postprocess import PostprocessConfig
from .inputs import CaseInput
from .output_folder import OutputFolder
from .predictor import load_predictor
from .run import cases_of, finish_run, predict_case, run_record

DEFAULT_SETTINGS = {"models": ("default",), "device": "cpu", "tta": False, "fast": False,
                    "postprocessing": PostprocessConfig(), "threads": None, "precision": "float32"}


@lru_cache(maxsize=2)
def _worker_predictor(models: tuple[str, ...], device: str, tta: bool, fast: bool,
                      postprocessing: PostprocessConfig, threads: int | None, precision: str):
    """The predictor of this worker process, loaded on its first case and kept."""
    # several workers on one machine share its cores (threads)
    return load_predictor(models, device=device, tta=tta, fast=fast, postprocessing=postprocessing, threads=threads,
                          precision=precision)


def _peak_rss_mb() -> float:
    import resource  # noqa: PLC0415  (POSIX)

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _run_case(case: CaseInput, output: str, settings: dict, options: dict) -> dict:
    """A worker's task: one case, written into ``output``; returns its summary row."""
    predictor = _worker_predictor(tuple(settings["models"]), settings["device"], settings["tta"], settings["fast"],
                                  settings["postprocessing"], settings["threads"], settings["precision"])
    row = predict_case(case, OutputFolder(output), predictor, **options)
    return row | {"worker_pid": os.getpid()}


def predict_inputs_dask(input_path: str | Path, output: str | Path, settings: dict, *,
                        scheduler: str | None = None, n_workers: int = 2, dicom_seg: bool = False,
                        read_options: dict | None = None, uncertainty: bool = False, num_parts: int = 1,
                        part_id: int = 0, progress: bool = True) -> list[dict]:
    """Run the cases on a Dask cluster: ``scheduler`` (an address such as
    ``tcp://host:8786``) or a local cluster of ``n_workers`` single-threaded processes.

    Args:
        settings: the predictor's (keys of :data:`DEFAULT_SETTINGS`; missing ones take
            their defaults).
    """
    from distributed import Client, LocalCluster, as_completed  # noqa: PLC0415  (only for a Dask run)

    started = time.perf_counter()
    settings = DEFAULT_SETTINGS | settings
    cases = cases_of(input_path, num_parts, part_id)
    OutputFolder(output)  # refused here, before any worker starts, when it cannot be written
    options = {"dicom_seg": dicom_seg, "read_options": read_options, "uncertainty": uncertainty}
    cluster = None
    if scheduler is None:
        settings["threads"] = settings["threads"] or max(1, cpu_threads() // n_workers)
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, memory_limit=0,
                               dashboard_address=None, silence_logs=40)
    client = Client(scheduler or cluster)
    try:
        futures = {client.submit(_run_case, case, str(output), settings, options, key=f"ichseg-case-{case.case}",
                                 pure=False, retries=1): case for case in cases}
        rows = []
        bar = tqdm(total=len(futures), unit="case", disable=not progress or len(futures) < 2)
        for future in as_completed(futures):
            try:
                rows.append(future.result())
            except Exception as error:  # noqa: BLE001  (a case lost even after retries is a failed case)
                case = futures[future]
                rows.append({"case": case.case, "input": str(case.path), "status": "error",
                             "error": f"{case.path}: the Dask task failed ({type(error).__name__}: {error})",
                             "seconds": 0.0})
            bar.update(1)
        bar.close()
        try:
            peaks = sorted(client.run(_peak_rss_mb).values())  # of the workers alive now
        except Exception:  # noqa: BLE001  (a statistic; a closing cluster may not answer)
            peaks = []
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    order = {case.case: n for n, case in enumerate(cases)}
    rows.sort(key=lambda row: order[row["case"]])
    record = {"device": settings["device"], "threads_per_worker": settings["threads"],
              "models": list(settings["models"]), "tta": settings["tta"], "fast": settings["fast"],
              "precision": settings["precision"], "postprocessing": settings["postprocessing"].to_dict()}
    finish_run(output, rows, run_record(record, dicom_seg=dicom_seg, uncertainty=uncertainty,
                                        dask={"scheduler": scheduler or f"local cluster, {n_workers} workers",
                                              "worker_pids": sorted({r.get("worker_pid") for r in rows
                                                                     if r.get("worker_pid")}),
                                              "worker_peak_rss_mb": peaks},
                                        input=str(input_path), part={"num_parts": num_parts, "part_id": part_id}),
               started)
    return rows
