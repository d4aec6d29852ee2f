"""BLAST-CT (Monteiro et al.) 4-class lesion maps: 1 IPH, 2 extra-axial, 3 perilesional oedema, 4 IVH.

ichseg's schema splits extra-axial blood into SAH, SDH and EDH; BLAST-CT does not, so its
class 2 is written as SDH (4) and must be evaluated through the ``extra-axial`` group
(``ichseg evaluate`` collapses SAH/SDH/EDH there), never as SDH alone. conversion.json
says so. Layout: the CSV BLAST-CT itself reads (``id,image,label``, paths relative to the
CSV) or a folder of ``<id>_image.nii.gz`` + ``<id>_segmentation.nii.gz``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ...io import InputError
from ...labels import IPH, IVH, PHE, SDH
from . import ADAPTERS
from .common import Progress, nifti_files, nifti_stem
from .pairs import NiftiPair, write_pairs
from .writer import ConversionWriter

BLASTCT_TO_ICHSEG = {0: 0, 1: IPH, 2: SDH, 3: PHE, 4: IVH}


def _pairs_from_csv(table: Path) -> list[NiftiPair]:
    with open(table, newline="", encoding="utf-8-sig") as stream:
        reader = csv.DictReader(stream)
        if not {"id", "image"} <= set(reader.fieldnames or ()):
            raise InputError(table, "not a BLAST-CT list: needs columns id,image (and label)")
        return [NiftiPair(f"blastct_{row['id']}", (table.parent / row["image"]).resolve(),
                          (table.parent / row["label"]).resolve() if row.get("label") else None) for row in reader]


def _pairs_from_folder(folder: Path) -> list[NiftiPair]:
    files = nifti_files(folder)
    labels = {nifti_stem(p)[: -len("_segmentation")]: p for p in files if nifti_stem(p).endswith("_segmentation")}
    images = [p for p in files if nifti_stem(p).endswith("_image")]
    if not images:
        raise InputError(folder, "not a BLAST-CT folder: expected <id>_image.nii.gz + <id>_segmentation.nii.gz "
                                 "or a CSV with columns id,image,label")
    return [NiftiPair(f"blastct_{nifti_stem(p)[:-len('_image')]}", p, labels.get(nifti_stem(p)[:-len("_image")]))
            for p in images]


@ADAPTERS.register("blastct", description="BLAST-CT 4-class maps (CSV id,image,label or <id>_image/_segmentation) "
                                          "-> IPH, extra-axial (as SDH; evaluate as the extra-axial group), PHE, IVH")
def convert_blastct(source: Path, destination: Path, *, progress: Progress = None, **_options) -> dict:
    pairs = _pairs_from_csv(source) if source.is_file() else _pairs_from_folder(source)
    root = source.parent if source.is_file() else source
    outside = [p for p in pairs if not p.image.is_relative_to(root)]
    if outside:
        root = Path("/")
    writer = ConversionWriter(destination, "blastct", source, task="multiclass",
                              label_map={"0": 0, "1": IPH, "2": f"{SDH} (extra-axial: evaluate as the extra-axial "
                                         "group, not as SDH)", "3": PHE, "4": IVH}, name="blastct")
    write_pairs(writer, pairs, BLASTCT_TO_ICHSEG, progress, source=root)
    return writer.finish(description="BLAST-CT lesion maps mapped into ichseg's schema (extra-axial -> SDH value)",
                         cases_found=len(pairs), extra={"evaluate_groups": ["extra-axial"]})
