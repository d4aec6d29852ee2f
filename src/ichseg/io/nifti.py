"""NIfTI reading and writing that keep the voxel grid and affine exactly."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
from nibabel.imageglobals import logger as nibabel_logger

from .atomic import atomic_path
from .errors import InputError
from .volume import Volume

NIFTI_SUFFIXES = (".nii", ".nii.gz")
AIR_HU = -1024
SHEAR_TOLERANCE_DEG = 0.5  # axes further than this from perpendicular are reported as a sheared grid
_reading = threading.local()


class _QuietWhileReading(logging.Filter):
    """Drops nibabel's log lines (header repairs such as a zero pixdim) emitted by a thread
    inside :func:`read_nifti`, which reports those problems itself in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_reading, "active", False)


nibabel_logger.addFilter(_QuietWhileReading())


def _usable(affine: np.ndarray | None) -> bool:
    return affine is not None and bool(np.all(np.isfinite(affine))) and abs(np.linalg.det(affine[:3, :3])) > 1e-9


def _choose_affine(path: Path, image) -> tuple[np.ndarray, list[str]]:
    """nibabel's affine (sform, else qform, else pixdim), or the other stored one when it is
    singular or not finite; refused when none can place the voxels."""
    affine = image.affine
    if _usable(affine):
        return affine, []
    for name, (other, code) in (("qform", image.get_qform(coded=True)), ("sform", image.get_sform(coded=True))):
        if code and _usable(other):
            return other, [f"the header's main affine is singular or not finite: the {name} is used instead"]
    raise InputError(path, "no usable voxel-to-world transform (the affines are singular or not finite: a voxel "
                     "size of 0?): volumes cannot be measured")


def _shear_degrees(affine: np.ndarray) -> float:
    """Largest departure from 90 degrees between two voxel axes."""
    axes = affine[:3, :3] / np.linalg.norm(affine[:3, :3], axis=0)
    cosines = np.abs([axes[:, 0] @ axes[:, 1], axes[:, 0] @ axes[:, 2], axes[:, 1] @ axes[:, 2]])
    return float(np.degrees(np.arcsin(np.clip(cosines.max(), 0, 1))))


def is_nifti_path(path: str | Path) -> bool:
    """True for ``.nii`` and ``.nii.gz`` file names."""
    return str(path).lower().endswith(NIFTI_SUFFIXES)


def read_nifti(path: str | Path, *, nan_as_air: bool = True) -> Volume:
    """Read a 3D NIfTI image (or a 4D one with a single volume).

    Integer data without scaling stays integer (int16 CT stays int16); scaled or
    floating data becomes float32. NaN or infinite voxels are set to air (-1024 HU) and a
    singular affine is replaced by the header's other one, each with a warning; a sheared
    grid is reported. Label maps are read with ``nan_as_air=False`` (NaN stays NaN, for
    the caller to refuse).

    Raises:
        InputError: the file is missing, unreadable, truncated or not 3D, or no stored
            transform can place its voxels.
    """
    _reading.active = True
    try:
        return _read_nifti(Path(path), nan_as_air)
    finally:
        _reading.active = False


def _read_nifti(path: Path, nan_as_air: bool) -> Volume:
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        image: Any = nib.load(str(path))  # a Nifti1/2Image (nibabel's stubs say only FileBasedImage)
        header = image.header
        slope, intercept = header.get_slope_inter()
        scaled = slope not in (None, 1.0) or intercept not in (None, 0.0)
        if np.issubdtype(header.get_data_dtype(), np.integer) and not scaled:
            array = np.asanyarray(image.dataobj)
        else:
            array = image.get_fdata(dtype=np.float32)
    except Exception as error:  # nibabel raises many types for broken files
        raise InputError(path, f"cannot read NIfTI ({type(error).__name__}: {error})") from error
    if array.ndim == 4 and array.shape[3] == 1:
        array = array[..., 0]
    if array.ndim != 3:
        raise InputError(path, f"expected a 3D image, got shape {array.shape}")
    affine, warnings = _choose_affine(path, image)
    if nan_as_air and np.issubdtype(array.dtype, np.floating):
        bad = ~np.isfinite(array)
        if bad.any():
            array = np.where(bad, np.float32(AIR_HU), array)
            warnings.append(f"{int(bad.sum())} voxels are NaN or infinite ({bad.mean():.1%}): set to air ({AIR_HU} HU)")
    shear = _shear_degrees(affine)
    if shear > SHEAR_TOLERANCE_DEG:
        warnings.append(f"sheared voxel grid (axes {shear:.1f} degrees from perpendicular): "
                        "measurements assume the stored affine is right")
    _sform, sform_code = image.get_sform(coded=True)
    _qform, qform_code = image.get_qform(coded=True)
    metadata = {
        "format": "nifti",
        "source": str(path),
        "sform_code": int(sform_code),
        "qform_code": int(qform_code),
    }
    return Volume(np.ascontiguousarray(array), affine, metadata, warnings)


def write_nifti(volume: Volume, path: str | Path, dtype: np.dtype | type | None = None) -> Path:
    """Write a Volume as NIfTI, atomically (a temporary file renamed into place).

    The affine is stored in both sform and qform; the codes of a NIfTI source are kept so
    that a segmentation overlays its image in any viewer.

    Example:
        >>> import numpy as np, tempfile, os
        >>> volume = Volume(np.zeros((2, 2, 2), np.uint8), np.eye(4))
        >>> out = write_nifti(volume, os.path.join(tempfile.mkdtemp(), "seg.nii.gz"))
        >>> read_nifti(out).shape
        (2, 2, 2)
    """
    path = Path(path)
    array = volume.array if dtype is None else volume.array.astype(dtype, copy=False)
    image = nib.Nifti1Image(array, volume.affine)
    sform_code = int(volume.metadata.get("sform_code", 1)) or 1
    qform_code = int(volume.metadata.get("qform_code", 1)) or 1
    image.set_sform(volume.affine, code=sform_code)
    image.set_qform(volume.affine, code=qform_code)
    image.header.set_xyzt_units("mm", "sec")
    with atomic_path(path) as temporary:
        nib.save(image, temporary)
    return path
