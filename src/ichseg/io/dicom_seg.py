"""DICOM-SEG output (highdicom) referencing the source CT series.

The label map lives on ichseg's grid (tilt removed, gaps evened out); a DICOM-SEG must
lie on the source images' own pixel grids. Each source pixel's world position is computed
from its slice's ImagePositionPatient / ImageOrientationPatient / PixelSpacing, and the
label map is sampled there (nearest voxel). One segment per ichseg class found (DICOM
numbers segments 1, 2, ... in order; each segment's label names its class); frames
without any labelled pixel are not written. Each segment carries its class's SNOMED CT
code where one could be checked (:data:`PROPERTY_TYPES`), a description and the display
colour of the preview. A normal scan's DICOM-SEG holds one empty
frame of one segment, on its first slice, instead of a frame per slice and class (the GE
head's was 5.6 MB).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from pydicom.sr.codedict import codes

from .. import __version__
from ..labels import CLASS_COLOURS, DESCRIPTIONS, EDH, IPH, IVH, LABELS, PHE, SAH, SDH
from .atomic import atomic_path
from .errors import InputError
from .volume import Volume

LPS_TO_RAS = np.array([-1.0, -1.0, 1.0])
# Type 2 attributes highdicom copies from the source; anonymised scans often drop them.
COPIED_ATTRIBUTES = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyID", "AccessionNumber",
                     "StudyDate", "StudyTime", "ReferringPhysicianName")


def labels_on_source_slice(labels: Volume, dataset: pydicom.Dataset) -> np.ndarray:
    """The label map sampled at every pixel of one source DICOM slice (nearest voxel)."""
    rows, columns = int(dataset.Rows), int(dataset.Columns)
    position = np.asarray(dataset.ImagePositionPatient, float)
    orientation = np.asarray(dataset.ImageOrientationPatient, float)
    row_spacing, column_spacing = (float(v) for v in dataset.PixelSpacing)
    r, c = np.meshgrid(np.arange(rows), np.arange(columns), indexing="ij")
    world_lps = (position + c[..., None] * column_spacing * orientation[:3]
                 + r[..., None] * row_spacing * orientation[3:])
    world_ras = world_lps * LPS_TO_RAS
    inverse = np.linalg.inv(labels.affine)
    voxel = np.rint(world_ras @ inverse[:3, :3].T + inverse[:3, 3]).astype(np.int64)
    inside = np.all((voxel >= 0) & (voxel < np.array(labels.shape)), axis=-1)
    out = np.zeros((rows, columns), np.uint8)
    i, j, k = voxel[inside].T
    out[inside] = labels.array[i, j, k]
    return out


def _snomed(value: str, meaning: str) -> hd.sr.CodedConcept:
    return hd.sr.CodedConcept(value=value, scheme_designator="SCT", meaning=meaning)


# Segmented property type per class: SNOMED CT disorder concepts, each checked against
# published value sets (IPH 274100004 "Cerebral hemorrhage", IVH 274110009, SAH 21454007,
# SDH 35486000). No epidural-hemorrhage concept could be checked here, so EDH carries the
# general "Hemorrhage" (50960005) and says what it is in its label and description; PHE is
# "Edema". A reader tells the types apart by code where there is one, by label always.
PROPERTY_TYPES = {
    IPH: _snomed("274100004", "Cerebral hemorrhage"),
    IVH: _snomed("274110009", "Intraventricular hemorrhage"),
    SAH: _snomed("21454007", "Subarachnoid intracranial hemorrhage"),
    SDH: _snomed("35486000", "Subdural intracranial hemorrhage"),
    EDH: codes.SCT.Hemorrhage,
    PHE: codes.SCT.Edema,
}


def _segment(number: int, value: int) -> hd.seg.SegmentDescription:
    segment = hd.seg.SegmentDescription(
        segment_number=number, segment_label=LABELS[value],
        segmented_property_category=codes.SCT.MorphologicallyAbnormalStructure,
        segmented_property_type=PROPERTY_TYPES[value],
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
        algorithm_identification=hd.AlgorithmIdentificationSequence(
            name="ichseg", version=__version__, family=codes.cid7162.ArtificialIntelligence),
        display_color=hd.color.CIELabColor.from_string(CLASS_COLOURS[value]),
    )
    segment.SegmentDescription = DESCRIPTIONS[LABELS[value]]  # DICOM's free-text description of the segment
    return segment


def write_dicom_seg(labels: Volume, source_files: Sequence[str | Path], path: str | Path) -> Path:
    """Write a DICOM-SEG of ``labels`` referencing the CT slices ``source_files``.

    Raises:
        InputError: a source file cannot be read as an image slice.
    """
    datasets = []
    for file in source_files:
        try:
            datasets.append(pydicom.dcmread(str(file)))
        except Exception as error:
            raise InputError(file, f"cannot be read for the DICOM-SEG reference ({error})") from error
    for dataset in datasets:  # in-memory copies: the files themselves are never touched
        for keyword in COPIED_ATTRIBUTES:
            if keyword not in dataset:
                setattr(dataset, keyword, "")
        name = str(dataset.PatientName)
        if name and "^" not in name:  # a one-component name ("REMOVED") made explicit, as DICOM PN asks
            dataset.PatientName = name + "^"
    frames = np.stack([labels_on_source_slice(labels, ds) for ds in datasets])
    found = [int(value) for value in np.unique(frames) if value]
    # a normal scan still gets a valid (empty) SEG: one segment, the first class, no pixel set
    present = found or [min(v for v in LABELS if v)]
    numbering = np.zeros(max(LABELS) + 1, np.uint8)
    numbering[present] = np.arange(1, len(present) + 1)
    frames = numbering[frames]
    segments = [_segment(number, value) for number, value in enumerate(present, start=1)]
    if not found:  # one empty frame on the first source slice says "nothing found" in 1/28 of the size
        datasets, frames = datasets[:1], frames[:1]
    segmentation = hd.seg.Segmentation(
        source_images=datasets, pixel_array=frames, segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=segments, series_instance_uid=hd.UID(), series_number=9901,
        sop_instance_uid=hd.UID(), instance_number=1, manufacturer="ichseg", manufacturer_model_name="ichseg",
        software_versions=__version__, device_serial_number="none", series_description="ichseg hemorrhage",
        omit_empty_frames=bool(found),
    )
    with atomic_path(path) as temporary:
        segmentation.save_as(str(temporary))
    return Path(path)
