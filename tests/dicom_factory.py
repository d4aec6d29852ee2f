"""Write small synthetic DICOM CT series with chosen geometry, for reader tests.

Voxel values come from a function of the world (LPS, mm) position, so a test knows
where every structure truly is, whatever the tilt or slice spacing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

WorldFunction = Callable[[np.ndarray], np.ndarray]


def sphere(centre_lps: Sequence[float], radius_mm: float, inside_hu: float = 60.0, outside_hu: float = 0.0) -> WorldFunction:
    centre = np.asarray(centre_lps, float)

    def values(points: np.ndarray) -> np.ndarray:
        return np.where(np.linalg.norm(points - centre, axis=-1) <= radius_mm, inside_hu, outside_hu)

    return values


def write_series(
    folder: Path,
    values: WorldFunction,
    *,
    positions: Sequence[Sequence[float]],
    orientation: Sequence[float] = (1, 0, 0, 0, 1, 0),
    pixel_spacing: float = 1.0,
    shape: tuple[int, int] = (64, 64),
    modality: str = "CT",
    series_uid: str | None = None,
    series_number: int = 1,
    description: str = "HEAD",
    kernel: str = "STANDARD",
    thickness: float | Sequence[float] = 5.0,
    image_type: Sequence[str] = ("ORIGINAL", "PRIMARY", "AXIAL"),
    study_uid: str | None = None,
    prefix: str = "slice",
) -> list[Path]:
    """Write one file per entry of ``positions`` (the slices' IPP) and return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    series_uid = series_uid or generate_uid()
    study_uid = study_uid or generate_uid()
    row, col = np.asarray(orientation[:3], float), np.asarray(orientation[3:], float)
    rows, columns = shape
    jj, ii = np.meshgrid(np.arange(rows), np.arange(columns), indexing="ij")
    thicknesses = [thickness] * len(positions) if np.isscalar(thickness) else list(thickness)
    paths = []
    for k, position in enumerate(positions):
        world = np.asarray(position, float) + ii[..., None] * pixel_spacing * row + jj[..., None] * pixel_spacing * col
        hu = values(world)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        path = folder / f"{prefix}{k:03d}.dcm"
        ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
        ds.SeriesNumber, ds.InstanceNumber = series_number, len(positions) - k  # deliberately reversed
        ds.Modality, ds.SeriesDescription, ds.ConvolutionKernel = modality, description, kernel
        ds.ImageType = list(image_type)
        ds.ImagePositionPatient = [float(v) for v in position]
        ds.ImageOrientationPatient = [float(v) for v in orientation]
        ds.PixelSpacing = [pixel_spacing, pixel_spacing]
        ds.SliceThickness = float(thicknesses[k])
        ds.Rows, ds.Columns = rows, columns
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
        ds.PixelData = np.round(hu + 1024).astype(np.int16).tobytes()
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def tilted_positions(n: int, step_z: float, tilt_deg: float, start=(-32.0, -32.0, 0.0)) -> tuple[list, tuple]:
    """IPPs and IOP of a gantry-tilted stack: planes tilted about x, IPPs advancing along z."""
    t = np.radians(tilt_deg)
    orientation = (1.0, 0.0, 0.0, 0.0, float(np.cos(t)), float(-np.sin(t)))
    positions = [(start[0], start[1], start[2] + k * step_z) for k in range(n)]
    return positions, orientation
