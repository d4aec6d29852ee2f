"""Read HU arrays saved with NumPy (``.npy`` / ``.npz``) with a declared geometry.

The array is indexed ``[x, y, z]`` in RAS order. An ``.npz`` may carry its own
``affine`` (4x4) or ``spacing`` (3 values) next to the image, stored under ``image``,
``array``, ``data`` or as its only array.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import InputError
from .volume import Volume

NUMPY_SUFFIXES = (".npy", ".npz")
IMAGE_KEYS = ("image", "array", "data", "ct")


def read_numpy(path: str | Path, *, spacing: Sequence[float] | None = None) -> Volume:
    """Read a ``.npy``/``.npz`` HU volume.

    Args:
        path: the file.
        spacing: voxel size (x, y, z) in mm; required unless the ``.npz`` carries one.

    Raises:
        InputError: unreadable file, no 3D array, or no spacing.

    Example:
        >>> import numpy as np, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "ct.npy")
        >>> np.save(path, np.zeros((8, 8, 3), np.int16))
        >>> read_numpy(path, spacing=(0.5, 0.5, 5)).spacing
        (0.5, 0.5, 5.0)
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    affine = None
    try:
        if path.suffix.lower() == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                keys = list(archive.keys())
                key = next((k for k in IMAGE_KEYS if k in keys), keys[0] if len(keys) == 1 else None)
                if key is None:
                    raise InputError(path, f"no image array; expected one of {IMAGE_KEYS}, found {keys}")
                array = archive[key]
                if "affine" in keys:
                    affine = np.asarray(archive["affine"], float)
                elif "spacing" in keys and spacing is None:
                    spacing = archive["spacing"].tolist()
        else:
            array = np.load(path, allow_pickle=False)
    except InputError:
        raise
    except Exception as error:
        raise InputError(path, f"cannot read NumPy file ({type(error).__name__}: {error})") from error
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3:
        raise InputError(path, f"expected a 2D or 3D array, got shape {array.shape}")
    if affine is None:
        if spacing is None or len(spacing) != 3 or min(float(s) for s in spacing) <= 0:
            raise InputError(path, "NumPy input needs a declared spacing (x, y, z) in mm")
        affine = np.diag([float(s) for s in spacing] + [1.0])
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise InputError(path, f"unsupported array type {array.dtype}")
    if not np.issubdtype(array.dtype, np.integer):
        array = array.astype(np.float32)
    return Volume(np.ascontiguousarray(array), affine, {"format": "numpy", "source": str(path)})
