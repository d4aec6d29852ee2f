"""NIfTI reading and writing that keep the voxel grid and affine exactly."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

from .atomic import atomic_path
from .errors import InputError
from .volume import Volume

NIFTI_SUFFIXES = (".nii", ".nii.gz")


def is_nifti_path(path: str | Path) -> bool:
    """True for ``.nii`` and ``.nii.gz`` file names."""
    return str(path).lower().endswith(NIFTI_SUFFIXES)


def read_nifti(path: str | Path) -> Volume:
    """Read a 3D NIfTI image (or a 4D one with a single volume).

    Integer data without scaling stays integer (int16 CT stays int16); scaled or
    floating data becomes float32.

    Raises:
        InputError: the file is missing, unreadable, truncated or not 3D.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        image = nib.load(str(path))
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
    sform, sform_code = image.get_sform(coded=True)
    qform, qform_code = image.get_qform(coded=True)
    metadata = {
        "format": "nifti",
        "source": str(path),
        "sform_code": int(sform_code),
        "qform_code": int(qform_code),
    }
    return Volume(np.ascontiguousarray(array), image.affine, metadata)


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
