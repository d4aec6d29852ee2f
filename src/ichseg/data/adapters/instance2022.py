"""INSTANCE 2022 (MICCAI challenge): ``data/NNN.nii.gz`` + ``label/NNN.nii.gz``, binary masks.

The masks mark every hemorrhage type alike, so the release is the ``binary`` task.
"""

from __future__ import annotations

from pathlib import Path

from ...io import InputError
from . import ADAPTERS
from .common import Progress, nifti_files, nifti_stem, required_folder
from .pairs import NiftiPair, write_pairs
from .writer import ConversionWriter


@ADAPTERS.register("instance2022", description="INSTANCE 2022: data/*.nii.gz + label/*.nii.gz -> binary task")
def convert_instance2022(source: Path, destination: Path, *, progress: Progress = None, **_options) -> dict:
    images = required_folder(source, "data", "INSTANCE 2022's data/NNN.nii.gz and label/NNN.nii.gz")
    labels = required_folder(source, "label", "INSTANCE 2022's label/NNN.nii.gz beside data/")
    scans = nifti_files(images)
    if not scans:
        raise InputError(images, "no NIfTI images (expected NNN.nii.gz)")
    by_stem = {nifti_stem(p): p for p in nifti_files(labels)}
    pairs = [NiftiPair(f"instance_{nifti_stem(p)}", p, by_stem.get(nifti_stem(p), labels / p.name)) for p in scans]
    writer = ConversionWriter(destination, "instance2022", source, task="binary", label_map={"0": 0, "1": 1},
                              name="instance2022")
    write_pairs(writer, pairs, {0: 0, 1: 1}, progress, source=source)
    return writer.finish(description="INSTANCE 2022 training set, binary hemorrhage masks", cases_found=len(scans))
