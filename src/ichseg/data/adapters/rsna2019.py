"""RSNA-2019 Intracranial Hemorrhage Detection: slice DICOMs + per-slice type labels.

``stage_2_train/ID_<image>.dcm`` (one file per slice, series mixed in one folder) and
``stage_2_train.csv`` (``ID_<image>_<type>,0/1`` for epidural, intraparenchymal,
intraventricular, subarachnoid, subdural, any). Each series is rebuilt from its slices
(the reader's geometry rules: sorted along the normal, tilt and uneven gaps handled) and
written as an unlabelled image; the type labels of its slices become ``slice_labels.csv``
(weak labels: the data of BHSD's Task 3). ``--limit N`` converts the first N series.
"""

from __future__ import annotations

from pathlib import Path

from ...io import InputError
from ...io.dicom_series import read_dicom_series
from . import ADAPTERS
from .common import Progress, report_progress
from .rsna_slices import group_by_series, read_type_labels, rsna_uids_tolerated, slice_labels_of
from .writer import ConversionWriter

IMAGE_FOLDERS = ("stage_2_train", "stage_2_train_images", "stage_1_train_images")
LABEL_TABLES = ("stage_2_train.csv", "stage_1_train.csv")


@ADAPTERS.register("rsna2019", description="RSNA-2019 slice DICOMs + stage_2_train.csv -> one unlabelled volume per "
                                           "series with per-type slice labels (weak labels)")
def convert_rsna2019(source: Path, destination: Path, *, progress: Progress = None, limit: int | None = None,
                     **_options) -> dict:
    images = next((source / n for n in IMAGE_FOLDERS if (source / n).is_dir()), None)
    table = next((source / n for n in LABEL_TABLES if (source / n).is_file()), None)
    if images is None or table is None:
        raise InputError(source, "not an RSNA-2019 download: expected stage_2_train/ID_*.dcm and stage_2_train.csv")
    types = read_type_labels(table)
    with rsna_uids_tolerated():
        series = group_by_series(images, progress)
    uids = sorted(series)[: limit if limit else None]
    writer = ConversionWriter(destination, "rsna2019", source, task="multiclass",
                              label_map={"slice labels": "epidural EDH, intraparenchymal IPH, intraventricular IVH, "
                                                         "subarachnoid SAH, subdural SDH, any"}, name="rsna2019")
    for uid in report_progress(progress, uids, len(uids)):
        case = f"rsna_{uid.removeprefix('ID_')}"
        if writer.done(case):
            continue
        try:
            with rsna_uids_tolerated():
                volume = read_dicom_series(series[uid], name=f"series {uid}")
        except InputError as error:
            writer.skip(error.path, error.reason)
            continue
        rows = slice_labels_of(volume, types)
        unlabelled = sum(not row for row in rows)
        notes = list(volume.warnings) + ([f"{unlabelled} slice(s) have no row in {table.name}"] if unlabelled else [])
        writer.add_unlabelled(case, volume, source=f"{images.name}/ ({len(series[uid])} slices of {uid})",
                              notes=notes)
        writer.add_slice_labels(case, rows)
    return writer.finish(description="RSNA-2019 series rebuilt from slices; per-slice type labels in slice_labels.csv",
                         cases_found=len(series), extra={"series_in_source": len(series), "limit": limit})
