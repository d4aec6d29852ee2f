"""The 2D windowed-patch protocol of the CT-ICH paper (Hssayeni et al. 2020).

Each slice is cut into ``size x size`` windows on a grid with ``stride`` (160 and 80:
half-overlapping); training keeps every window that holds hemorrhage and only a share of
the empty ones (negative undersampling). At inference the windows' predictions are
averaged where they overlap: MONAI's sliding window with ``overlap=0.5`` and constant
blending (see :mod:`ichseg.infer.sliding_window`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .sampling import crop_with_padding

CTICH_WINDOW = 160
CTICH_STRIDE = 80


def window_starts(extent: int, size: int, stride: int) -> list[int]:
    """Window origins along one axis; the last window is aligned with the edge.

    Example:
        >>> window_starts(512, 160, 80)
        [0, 80, 160, 240, 320, 352]
    """
    if extent <= size:
        return [0]
    starts = list(range(0, extent - size + 1, stride))
    if starts[-1] != extent - size:
        starts.append(extent - size)
    return starts


def slice_windows(shape: Sequence[int], size: int = CTICH_WINDOW, stride: int = CTICH_STRIDE) -> list[tuple[int, int]]:
    """All ``(x0, y0)`` window origins of a 2D slice of ``shape``."""
    return [(x, y) for x in window_starts(shape[0], size, stride) for y in window_starts(shape[1], size, stride)]


def training_windows(labels: np.ndarray, *, size: int = CTICH_WINDOW, stride: int = CTICH_STRIDE,
                     negative_ratio: float = 1.0, seed: int = 0) -> list[tuple[int, int, int]]:
    """``(z, x0, y0)`` windows of a label volume: all positives + undersampled negatives.

    ``negative_ratio`` negatives are kept per positive window (all if there are fewer),
    drawn with ``seed``; a case without hemorrhage keeps ``negative_ratio`` x its slices.

    Example:
        >>> labels = np.zeros((320, 320, 2), np.uint8); labels[5:9, 5:9, 1] = 1
        >>> windows = training_windows(labels, negative_ratio=1.0, seed=0)
        >>> sum(1 for z, x, y in windows if labels[x:x + 160, y:y + 160, z].any()), len(windows)
        (1, 2)
    """
    positives: list[tuple[int, int, int]] = []
    negatives: list[tuple[int, int, int]] = []
    origins = slice_windows(labels.shape[:2], size, stride)
    for z in range(labels.shape[2]):
        plane = labels[:, :, z]
        has_blood = plane.any()
        for x, y in origins:
            window = (z, x, y)
            (positives if has_blood and plane[x:x + size, y:y + size].any() else negatives).append(window)
    quota = int(round(negative_ratio * (len(positives) if positives else labels.shape[2])))
    rng = np.random.default_rng(seed)
    if quota < len(negatives):
        negatives = [negatives[i] for i in np.sort(rng.choice(len(negatives), quota, replace=False))]
    return sorted(positives + negatives)


class WindowedSliceSampler:
    """Training samples of the CT-ICH protocol, in the interface of
    :class:`ichseg.data.sampling.PatchSampler` (``sample(index)``).

    The windows of all cases are listed once; each pass over them ("epoch") is a fresh
    seeded permutation, so sample ``index`` depends only on ``(seed, index)``.
    """

    def __init__(self, cases, *, size: int = CTICH_WINDOW, stride: int = CTICH_STRIDE, negative_ratio: float = 1.0,
                 seed: int = 0) -> None:
        self.cases = list(cases)
        self.size = int(size)
        self.seed = int(seed)
        self.windows = [(k, *window) for k, case in enumerate(self.cases)
                        for window in training_windows(case.labels, size=size, stride=stride,
                                                       negative_ratio=negative_ratio, seed=seed + k)]
        if not self.windows:
            raise ValueError("no training windows")
        self._epoch, self._order = -1, np.arange(0)

    def sample(self, index: int) -> dict[str, np.ndarray]:
        epoch, position = divmod(int(index), len(self.windows))
        if epoch != self._epoch:
            self._epoch, self._order = epoch, np.random.default_rng([self.seed, epoch]).permutation(len(self.windows))
        k, z, x, y = self.windows[int(self._order[position])]
        case = self.cases[k]
        image = crop_with_padding(case.channels[..., z], [x, y], [self.size, self.size], case.background)
        label = crop_with_padding(case.labels[..., z], [x, y], [self.size, self.size], 0)
        return {"image": image, "label": label[None].astype(np.uint8), "case": case.case}
