"""Read stacks of 2D image slices (PNG/JPG) exported with a known display window.

Public releases such as PhysioNet CT-ICH ship CT as 8-bit JPGs in a brain window.
Grey value ``g`` in [0, 255] is mapped back to approximate HU as
``center - width / 2 + g / 255 * width``; HU outside the window are lost (clipped at
export), which is why the window must be declared, never guessed.

Orientation assumed: the images are displayed radiologically (first row anterior, first
column the patient's right, as DICOM axial images are), and the files, sorted in natural
order (``2.png`` before ``10.png``), go from inferior to superior unless ``reverse``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from .dicom_series import LPS_TO_RAS
from .errors import InputError
from .volume import Volume

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


def natural_key(path: Path) -> list:
    """Sort key that orders ``slice2`` before ``slice10``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def window_floor_hu(window: Sequence[float]) -> float:
    """The HU at or below which a voxel read back from an export was its bottom grey (half a
    grey step above the window's bottom): air, and everything else under the window.

    Example:
        >>> round(window_floor_hu((40, 80)), 3)
        0.157
    """
    centre, width = float(window[0]), float(window[1])
    return centre - width / 2 + 0.5 * width / 255


def _parse_window(window: Sequence[float] | None, where: Path) -> tuple[float, float]:
    if window is None or len(window) != 2:
        raise InputError(where, "2D image slices need a declared window (center, width), e.g. window=(40, 120)")
    center, width = float(window[0]), float(window[1])
    if width <= 0:
        raise InputError(where, f"window width must be positive, got {width}")
    return center, width


def _parse_spacing(spacing: Sequence[float] | None, where: Path) -> tuple[float, float, float]:
    if spacing is None or len(spacing) != 3 or min(float(s) for s in spacing) <= 0:
        raise InputError(where, "2D image slices need a declared spacing (x, y, z) in mm, e.g. spacing=(0.5, 0.5, 5)")
    return tuple(float(s) for s in spacing)  # type: ignore[return-value]


def read_slice_stack(
    source: str | Path | Sequence[str | Path],
    *,
    window: Sequence[float] | None,
    spacing: Sequence[float] | None,
    reverse: bool = False,
) -> Volume:
    """Read a folder (or list) of 2D slice images into an approximate-HU Volume.

    Args:
        source: a folder of images, one image file, or a list of image files.
        window: (center, width) of the display window the images were exported with.
        spacing: voxel size (x, y, z) in mm.
        reverse: the files go from superior to inferior.

    Raises:
        InputError: no images, unreadable image, differing sizes, undeclared window or spacing.

    Example:
        >>> import numpy as np, tempfile
        >>> from pathlib import Path
        >>> from PIL import Image
        >>> folder = Path(tempfile.mkdtemp())
        >>> Image.fromarray(np.full((4, 4), 255, np.uint8)).save(folder / "1.png")
        >>> float(read_slice_stack(folder, window=(40, 80), spacing=(1, 1, 5)).array.max())
        80.0
    """
    if isinstance(source, (str, Path)):
        where = Path(source)
        if where.is_dir():
            files = sorted((p for p in where.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=natural_key)
        else:
            files = [where]
    else:
        files = [Path(p) for p in source]
        where = files[0].parent if files else Path(".")
    if not files:
        raise InputError(where, "no image slices (.png/.jpg/.tif) found")
    center, width = _parse_window(window, where)
    voxel = _parse_spacing(spacing, where)
    if reverse:
        files = files[::-1]
    images: list[np.ndarray] = []
    for path in files:
        try:
            with Image.open(path) as image:
                grey = np.asarray(image.convert("L"), dtype=np.float32)
        except Exception as error:
            raise InputError(path, f"cannot read image ({type(error).__name__}: {error})") from error
        if images and grey.shape != images[0].shape:
            raise InputError(path, f"image size {grey.shape} differs from {images[0].shape} of {files[0].name}")
        images.append(grey)
    hu = (center - width / 2.0) + np.stack(images) / 255.0 * width  # (k, rows, cols)
    affine_lps = np.diag([voxel[0], voxel[1], voxel[2], 1.0])
    metadata = {
        "format": "image-slices",
        "source": str(where),
        "files": [str(p) for p in files],
        "window": [center, width],
    }
    warnings = [f"approximate HU from 8-bit images in window {center:g}/{width:g}: values outside it were clipped"]
    array = np.ascontiguousarray(hu.transpose(2, 1, 0), dtype=np.float32)
    return Volume(array, LPS_TO_RAS @ affine_lps, metadata, warnings)
