"""``OUT/CASE/viewer.json``: what the report's slice viewer shows of one case, small
enough that a 200-case report stays one file you can e-mail.

Every axial slice (RAS, radiological display: patient's right on the left, anterior up)
is area-averaged to at most :data:`VIEWER_PX` pixels on its longer side and stored as
one 8-bit *code* per pixel in a PNG mosaic. The codes are HU on a piecewise scale
(:data:`HU_CODE_STEPS`): 1 HU per code from -30 to 189 HU, where blood, brain and the
subdural window live, coarse steps below and above for air and bone, so that the page
can apply any window (brain, subdural, bone) itself without storing three images. The
labels are a second mosaic (the class value per pixel, nearest neighbour). Scans with
more than :data:`MAX_SLICES` slices show every n-th slice (the page says which).

Example:
    >>> import numpy as np
    >>> codes = hu_to_code(np.array([-1000.0, 40.0, 41.0, 1000.0]))
    >>> code_to_hu_table()[codes].tolist()
    [-1000.0, 40.0, 41.0, 1040.0]
"""

from __future__ import annotations

import base64
import io
import math

import numpy as np
from PIL import Image
from scipy import ndimage

from ..io import Volume
from ..labels import LABELS
from ..preprocess import to_ras
from ..preprocess.brain_mask import HEAD_THRESHOLD_HU
from ..preprocess.crop import bounding_box, crop, margin_in_voxels
from .preview import display_plane, input_image_number

VIEWER_PX = 144  # across the head: ~1.3 mm per pixel, ~300 kB per 5 mm scan (report size: docs)
HEAD_MARGIN_MM = 5.0
MAX_SLICES = 64
FORMAT_VERSION = 1
# (first code, first HU, HU per code) of each piece; the last code is 255
HU_CODE_STEPS = ((0, -1000.0, 50.0), (20, -30.0, 1.0), (240, 200.0, 120.0))


def code_to_hu_table() -> np.ndarray:
    """The HU (float32) that each of the 256 codes stands for."""
    table = np.empty(256, np.float32)
    bounds = [start for start, _, _ in HU_CODE_STEPS[1:]] + [256]
    for (start, hu, step), end in zip(HU_CODE_STEPS, bounds, strict=True):
        table[start:end] = hu + step * np.arange(end - start)
    return table


def hu_to_code(hu: np.ndarray) -> np.ndarray:
    """The nearest code of each HU value (uint8)."""
    table = code_to_hu_table()
    index = np.clip(np.searchsorted(table, hu), 1, 255)
    lower_is_nearer = np.abs(np.asarray(hu) - table[index - 1]) <= np.abs(table[index] - np.asarray(hu))
    return np.where(lower_is_nearer, index - 1, index).astype(np.uint8)


def _png_data_uri(array: np.ndarray) -> str:
    # lossless: a code is an HU value, so a lossy codec's ringing at the skull would paint fake density.
    # PNG at level 6: on the GE head 275 kB in 0.16 s, where lossless WebP took 1.2 s for 254 kB
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _head_footprint(hu: np.ndarray) -> np.ndarray:
    """The in-plane outline of the head over all slices (the largest dense object, so not
    the table): a 2D projection, fast even for a 512 x 512 x 600 thin-slice scan."""
    dense = np.asarray((hu > HEAD_THRESHOLD_HU).any(axis=2))
    labelled, n = ndimage.label(dense)
    if n == 0:
        return dense
    return np.asarray(labelled == 1 + int(np.argmax(ndimage.sum_labels(dense, labelled, range(1, n + 1)))))


def viewer_data(image: Volume, labels: Volume, *, volumes: dict | None = None) -> dict:
    """The viewer payload of one case (a JSON-able dict; see the module docstring).

    Example:
        >>> scan = Volume(np.full((64, 48, 5), 30.0, np.float32), np.diag([1.0, 1.0, 5.0, 1.0]))
        >>> data = viewer_data(scan, scan.with_array(np.zeros((64, 48, 5), np.uint8)))
        >>> data["n_slices"], data["width"], data["height"], data["image_numbers"]
        (5, 144, 108, [1, 2, 3, 4, 5])
    """
    image_ras, labels_ras = to_ras(image), to_ras(labels)
    head = _head_footprint(image_ras.array)
    if head.any():  # the same in-plane box on every slice: the head, not the table and the air around it
        box = (*bounding_box(head[:, :, None], margin_in_voxels(image_ras, HEAD_MARGIN_MM))[:2],
               slice(0, image_ras.shape[2]))
        image_ras, labels_ras = crop(image_ras, box), crop(labels_ras, box)
    depth = image_ras.shape[2]
    stride = max(1, math.ceil(depth / MAX_SLICES))
    slices = list(range(0, depth, stride))
    # displayed rows run along y, columns along x
    height_mm = image_ras.shape[1] * image_ras.spacing[1]
    width_mm = image_ras.shape[0] * image_ras.spacing[0]
    mm_per_px = max(height_mm, width_mm) / VIEWER_PX
    size = (max(1, round(width_mm / mm_per_px)), max(1, round(height_mm / mm_per_px)))
    columns = math.ceil(math.sqrt(len(slices)))
    rows = math.ceil(len(slices) / columns)
    grey = np.zeros((rows * size[1], columns * size[0]), np.uint8)
    classes = np.zeros_like(grey)
    counts = []
    for n, k in enumerate(slices):
        plane = Image.fromarray(display_plane(image_ras.array[:, :, k]).astype(np.float32), mode="F")
        shrinking = plane.width > size[0]  # area-average when shrinking (less noise), else interpolate
        hu = np.asarray(plane.resize(size, Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR))
        label_plane = Image.fromarray(display_plane(labels_ras.array[:, :, k]).astype(np.uint8))
        r, c = divmod(n, columns)
        window = (slice(r * size[1], (r + 1) * size[1]), slice(c * size[0], (c + 1) * size[0]))
        grey[window] = hu_to_code(hu)
        classes[window] = np.asarray(label_plane.resize(size, Image.Resampling.NEAREST))
        counts.append(np.bincount(classes[window].ravel(), minlength=len(LABELS))[1:].tolist())
    return {
        "format_version": FORMAT_VERSION, "n_slices": len(slices), "slice_stride": stride,
        "total_slices": depth, "width": size[0], "height": size[1], "columns": columns,
        "mm_per_px": round(mm_per_px, 4), "slice_mm": round(float(image_ras.spacing[2]), 3),
        "image_numbers": [input_image_number(image, image_ras, k)[0] for k in slices],
        "input_images": image.shape[2],
        "label_counts": counts,  # per shown slice, voxels of classes 1.. (the page starts at the most blood)
        "grey": _png_data_uri(grey), "labels": _png_data_uri(classes),
        "volumes": volumes or {},
    }
