"""Patch sampling with foreground/background balance (nnU-Net's oversampling, the
viola 1:1 centres, HemSeg's ">= 1 foreground patch per volume").

Sample ``index`` of a run is a pure function of ``(seed, index)``: a resumed or
distributed run draws exactly the patches an uninterrupted single-process run draws.
Foreground centres pick a class first (uniformly among the classes the case has), then
a voxel of it, so rare classes (EDH, IVH) are seen as often as common ones.

2D models get slices: ``patch_size`` ``(H, W, 1)``; with ``context_slices=k`` the
``2k`` neighbouring slices become extra channels (2.5D) and the label is the centre slice.
A neighbour beyond the volume is the nearest slice, as in inference
(:mod:`ichseg.preprocess.slice_context`); ``context_dropout`` replaces all neighbours of a
patch by its centre slice, as a single exported slice looks to the network, and
``context_cut`` those on one side (drawn), as the end slices of an exported piece of a few
slices look.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..preprocess.slice_context import replicate_missing_neighbours

MAX_LOCATIONS_PER_CLASS = 10_000


@dataclass
class TrainingCase:
    """A preprocessed case: channels ``(C, X, Y, Z)`` float32, labels ``(X, Y, Z)`` uint8."""

    case: str
    channels: np.ndarray
    labels: np.ndarray
    class_locations: dict[int, np.ndarray]
    background: np.ndarray  # per-channel fill value for padding (the case's minimum)

    @classmethod
    def build(cls, case: str, channels: np.ndarray, labels: np.ndarray, seed: int = 0) -> TrainingCase:
        rng = np.random.default_rng(seed)
        locations = {}
        for value in np.unique(labels):
            if value == 0:
                continue
            coordinates = np.argwhere(labels == value).astype(np.int32)
            if len(coordinates) > MAX_LOCATIONS_PER_CLASS:
                coordinates = coordinates[np.sort(rng.choice(len(coordinates), MAX_LOCATIONS_PER_CLASS, replace=False))]
            locations[int(value)] = coordinates
        background = channels.reshape(channels.shape[0], -1).min(axis=1)
        return cls(case, channels, labels, locations, background)


def crop_with_padding(array: np.ndarray, start: Sequence[int], size: Sequence[int], fill) -> np.ndarray:
    """Crop the last ``len(size)`` axes at ``start`` (may lie outside), padding with ``fill``.

    Example:
        >>> crop_with_padding(np.arange(4)[None], [-1], [3], fill=[9]).tolist()
        [[9, 0, 1]]
    """
    spatial = array.shape[-len(size):]
    lead = array.shape[: -len(size)]
    out = np.empty(lead + tuple(size), array.dtype)
    out[...] = np.asarray(fill, array.dtype).reshape(lead + (1,) * len(size)) if lead else fill
    source, target = [], []
    for begin, n, extent in zip(start, size, spatial):
        low, high = max(begin, 0), min(begin + n, extent)
        if high <= low:
            return out
        source.append(slice(low, high))
        target.append(slice(low - begin, high - begin))
    target_index: tuple = (Ellipsis, *target)
    source_index: tuple = (Ellipsis, *source)
    out[target_index] = array[source_index]
    return out


class PatchSampler:
    """Draws training patches from preprocessed cases.

    Args:
        cases: the training cases.
        patch_size: ``(X, Y, Z)``; ``Z = 1`` for 2D slices.
        foreground_probability: chance that a patch is centred on a labelled voxel.
        samples_per_volume: consecutive samples taken from the same case.
        min_foreground_per_volume: of those, how many are always foreground-centred.
        context_slices: 2.5D neighbours per side (2D patches only).
        seed: the run's seed.

    Example:
        >>> labels = np.zeros((32, 32, 8), np.uint8); labels[10:14, 10:14, 3] = 2
        >>> case = TrainingCase.build("toy", np.zeros((1, 32, 32, 8), np.float32), labels)
        >>> sampler = PatchSampler([case], patch_size=(16, 16, 1), foreground_probability=1.0, seed=0)
        >>> sample = sampler.sample(0)
        >>> sample["image"].shape, sample["label"].shape, bool((sample["label"] == 2).any())
        ((1, 16, 16), (1, 16, 16), True)
    """

    def __init__(self, cases: Sequence[TrainingCase], *, patch_size: Sequence[int],
                 foreground_probability: float = 0.33,
                 samples_per_volume: int = 1, min_foreground_per_volume: int = 0, context_slices: int = 0,
                 context_dropout: float = 0.0, context_cut: float = 0.0, seed: int = 0) -> None:
        if not cases:
            raise ValueError("no training cases")
        if len(patch_size) != 3:
            raise ValueError(f"patch_size must be (X, Y, Z), got {patch_size}")
        if not 0 <= foreground_probability <= 1:
            raise ValueError(f"foreground_probability must be in [0, 1], got {foreground_probability}")
        if context_slices and patch_size[2] != 1:
            raise ValueError("context_slices needs 2D patches (patch_size Z = 1)")
        for name, share in (("context_dropout", context_dropout), ("context_cut", context_cut)):
            if not 0 <= share <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {share}")
        self.cases = list(cases)
        self.patch_size = tuple(int(s) for s in patch_size)
        self.foreground_probability = foreground_probability
        self.samples_per_volume = max(1, int(samples_per_volume))
        self.min_foreground = int(min_foreground_per_volume)
        self.context = int(context_slices)
        self.context_dropout = float(context_dropout)
        self.context_cut = float(context_cut)
        self.seed = int(seed)
        self.two_d = self.patch_size[2] == 1

    def _centre(self, case: TrainingCase, foreground: bool, rng: np.random.Generator) -> np.ndarray:
        if foreground and case.class_locations:
            value = sorted(case.class_locations)[int(rng.integers(len(case.class_locations)))]
            locations = case.class_locations[value]
            return locations[int(rng.integers(len(locations)))].astype(int)
        return np.array([int(rng.integers(n)) for n in case.labels.shape])

    def sample(self, index: int) -> dict[str, np.ndarray]:
        """Patch ``index``: ``{"image": (C, ...), "label": (1, ...), "case": name}``."""
        slot, position = divmod(int(index), self.samples_per_volume)
        case = self.cases[int(np.random.default_rng([self.seed, slot]).integers(len(self.cases)))]
        rng = np.random.default_rng([self.seed, slot, position])
        foreground = position < self.min_foreground or rng.random() < self.foreground_probability
        centre = self._centre(case, foreground, rng)
        size = list(self.patch_size)
        size[2] += 2 * self.context
        start = [int(c) - n // 2 for c, n in zip(centre, size)]
        image = crop_with_padding(case.channels, start, size, case.background)
        label = crop_with_padding(case.labels, start, size, 0)
        if self.two_d and self.context:
            replicate_missing_neighbours(image, start[2], case.channels.shape[-1])
            # drawn only when asked for, so that runs without it sample exactly as before
            if self.context_dropout and rng.random() < self.context_dropout:
                image[..., :] = image[..., self.context:self.context + 1]
            elif self.context_cut and rng.random() < self.context_cut:
                # the piece ends at the centre slice: one side's neighbours are the centre (nearest) slice
                side = slice(None, self.context) if rng.random() < 0.5 else slice(self.context + 1, None)
                image[..., side] = image[..., self.context:self.context + 1]
        if self.two_d:
            # (C, X, Y, 2k+1) -> (C * (2k+1), X, Y): neighbours become channels
            image = np.moveaxis(image, -1, 1).reshape(-1, *size[:2])
            label = label[..., self.context]
        sample: dict = {"image": np.ascontiguousarray(image), "label": label[None].astype(np.uint8), "case": case.case}
        return sample
