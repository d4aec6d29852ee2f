"""Training patches that look like 8-bit windowed slice exports (PNG/JPG, as the CT-ICH and
Kaggle releases and PACS screenshots are).

Such an image holds HU only inside its display window: skull and blood above the window's
top are one grey, air and fat below its bottom another, in 256 steps, often JPEG-compressed.
Read back with ``--window C,W`` the skull is a ring at the top of the window - the density
of acute blood - and a model trained only on full-range CT reads it as blood along the whole
rim. Showing the model some patches exported this way teaches it what such an export shows.

The patch is rebuilt in HU from its window channels (each voxel from the narrowest window
that does not clip it), exported (clip, quantise to 8 bits, optional JPEG), mapped back to
HU as :func:`ichseg.io.slice_stack.read_slice_stack` does, and windowed again.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from monai.transforms import MapTransform, Randomizable
from PIL import Image

from ..preprocess.windowing import window_channels

# (centre, width) in HU: brain windows as public releases and PACS exports use them, and a subdural window
EXPORT_WINDOWS = ((40.0, 80.0), (40.0, 120.0), (50.0, 100.0), (40.0, 100.0), (35.0, 70.0), (80.0, 200.0))


def hu_from_windows(channels: np.ndarray, windows: Sequence[Sequence[float]]) -> np.ndarray:
    """HU from window channels ``(W, ...)`` in [0, 1]: each voxel from the narrowest window
    it lies strictly inside, else the widest (clipped at its limits).

    Example:
        >>> channels = window_channels(np.array([-1000.0, 30.0, 150.0, 700.0]), "rgb3")
        >>> from ichseg.preprocess.windowing import resolve_windows
        >>> hu_from_windows(channels, resolve_windows("rgb3")).round(1).tolist()
        [-200.0, 30.0, 150.0, 700.0]
    """
    order = sorted(range(len(windows)), key=lambda i: windows[i][1] - windows[i][0], reverse=True)
    low, high = windows[order[0]]
    hu = low + channels[order[0]] * (high - low)
    for i in order[1:]:
        low, high = windows[i]
        inside = (channels[i] > 0) & (channels[i] < 1)
        hu = np.where(inside, low + channels[i] * (high - low), hu)
    return hu.astype(np.float32)


def windowed_export(hu: np.ndarray, centre: float, width: float, jpeg_quality: int | None = None) -> np.ndarray:
    """A 2D HU slice as an 8-bit export in window ``(centre, width)`` would read back.

    Example:
        >>> [round(v, 1) for v in windowed_export(np.array([[-1000.0, 40.0, 1000.0]]), 40, 80)[0].tolist()]
        [0.0, 40.2, 80.0]
    """
    low = centre - width / 2
    grey = np.clip((hu - low) / width * 255.0, 0, 255).round().astype(np.uint8)
    if jpeg_quality is not None:
        buffer = io.BytesIO()
        Image.fromarray(grey).save(buffer, format="JPEG", quality=int(jpeg_quality))
        grey = np.asarray(Image.open(buffer))
    return (low + grey.astype(np.float32) / 255.0 * width).astype(np.float32)


class RandWindowedExportd(Randomizable, MapTransform):
    """With probability ``prob``, make a 2D or 2.5D window-channel patch look like an 8-bit
    windowed export of its slices (one window, one JPEG quality or none, per patch).

    Args:
        keys: the image key.
        windows: the patch's intensity windows (the plan's ``windows``), ``(low, high)`` pairs.
        slices: slices per patch (``2k + 1`` for 2.5D); channel ``c * slices + j`` is window
            ``c`` of slice ``j``, as :class:`ichseg.data.sampling.PatchSampler` stacks them.
        jpeg_probability: share of exported patches that are JPEG-compressed (quality 70-95).

    Example:
        >>> image = window_channels(np.full((4, 4), 500.0), "rgb3")  # bone, one slice
        >>> from ichseg.preprocess.windowing import resolve_windows
        >>> transform = RandWindowedExportd("image", prob=1.0, windows=resolve_windows("rgb3"), slices=1)
        >>> _ = transform.set_random_state(seed=0)
        >>> exported = transform({"image": image})["image"]
        >>> bool(exported[2].max() < image[2].max())  # the bone window no longer shows bone
        True
    """

    def __init__(self, keys, prob: float, windows: Sequence[Sequence[float]], slices: int = 1,
                 jpeg_probability: float = 0.5) -> None:
        MapTransform.__init__(self, keys)
        self.prob, self.windows, self.slices = float(prob), [tuple(w) for w in windows], int(slices)
        self.jpeg_probability = float(jpeg_probability)
        self._do, self._window = False, EXPORT_WINDOWS[0]
        self._quality: int | None = None

    def randomize(self, data=None) -> None:
        self._do = self.R.random() < self.prob
        self._window = EXPORT_WINDOWS[int(self.R.randint(len(EXPORT_WINDOWS)))]
        self._quality = int(self.R.randint(70, 96)) if self.R.random() < self.jpeg_probability else None

    def __call__(self, data):
        self.randomize()
        if not self._do:
            return data
        out = dict(data)
        for key in self.key_iterator(out):
            image = np.asarray(out[key], np.float32)
            n_windows = len(self.windows)
            grouped = image.reshape(n_windows, self.slices, *image.shape[1:]).copy()
            for j in range(self.slices):
                hu = hu_from_windows(grouped[:, j], self.windows)
                exported = windowed_export(hu, *self._window, jpeg_quality=self._quality)
                grouped[:, j] = window_channels(exported, self.windows)
            out[key] = grouped.reshape(image.shape)
        return out
