"""From a dataset folder to batches: preprocessing (cached), samplers and a DataLoader
whose sample ``i`` is fixed by ``(seed, i)``.

Determinism: the global sample index of step ``s`` on rank ``r`` is
``(s * world_size + r) * batch_size + j``; the sampler and the augmentation are seeded
from that index. A run resumed at step ``s`` (or split over several processes) therefore
draws the same patches with the same augmentations as an uninterrupted single run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..data.dataset_format import DatasetCase, UnlabelledImage
from ..data.sampling import TrainingCase
from ..io import read_volume
from ..io.atomic import atomic_path
from ..preprocess.model_input import prepare_model_input
from .weak_labels import slice_code_volume


def preprocessing_key(spacing: Sequence[float], normalization: dict) -> str:
    """Short hash naming a preprocessing cache (same spacing and intensities, same key)."""
    text = json.dumps({"spacing": [round(float(s), 5) for s in spacing], "normalization": normalization},
                      sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def source_digest(entry: DatasetCase | UnlabelledImage) -> str:
    """Content hash of a case's image and label files (a dataset made again in the same folder
    keeps its case names, so the name alone cannot tell a stale cache entry)."""
    digests = []
    for path in (entry.image, entry.label) if isinstance(entry, DatasetCase) else (entry.image,):
        digest = hashlib.blake2b(digest_size=16)  # hashlib.file_digest needs Python 3.11; we support 3.10
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        digests.append(digest.hexdigest())
    return ":".join(digests)


def _read_cached(cached: Path, source: str) -> tuple[np.ndarray, np.ndarray] | None:
    with np.load(cached) as stored:
        if "source" not in stored.files or str(stored["source"]) != source:
            return None  # made from other files (or by a version that did not record them)
        return stored["channels"], stored["labels"]


def _cached_or_prepared(cached: Path | None, source: str,
                        prepare: Callable[[], tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """``(channels, labels)`` from the cache when it was made from ``source``, else prepared and stored."""
    stored = _read_cached(cached, source) if cached and cached.exists() else None
    if stored:
        return stored
    channels, labels = prepare()
    if cached:
        with atomic_path(cached) as temporary:  # ranks may race: each writes its own file
            np.savez(temporary, channels=channels, labels=labels, source=np.array(source))
    return channels, labels


def _cache_folder(cache: str | Path | None, spacing: Sequence[float], normalization: dict, *parts: str) -> Path | None:
    folder = Path(cache, preprocessing_key(spacing, normalization), *parts) if cache else None
    if folder:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def load_training_cases(entries: Sequence[DatasetCase], spacing: Sequence[float], normalization: dict, *,
                        cache: str | Path | None = None, seed: int = 0, progress: bool = False) -> list[TrainingCase]:
    """Prepare every case for the model (RAS, spacing, intensities), cached as ``.npz``; a cached
    case whose image or label file has changed since is prepared again. ``progress``: a bar
    over the cases."""
    folder = _cache_folder(cache, spacing, normalization)
    cases = []
    for k, entry in enumerate(tqdm(entries, desc="preparing cases", unit="case", disable=not progress)):
        def prepare(entry: DatasetCase = entry) -> tuple[np.ndarray, np.ndarray]:
            prepared = prepare_model_input(read_volume(entry.image), spacing, normalization, read_volume(entry.label))
            assert prepared.labels is not None  # labels were given
            return prepared.channels, prepared.labels

        cached = folder / f"{entry.case}.npz" if folder else None
        channels, labels = _cached_or_prepared(cached, source_digest(entry) if cached else "", prepare)
        cases.append(TrainingCase.build(entry.case, channels, labels, seed=seed + k))
    return cases


def load_unlabelled_cases(entries: Sequence[UnlabelledImage], spacing: Sequence[float], normalization: dict, *,
                          cache: str | Path | None = None, seed: int = 0,
                          slice_codes: dict[str, dict[int, int]] | None = None) -> list[TrainingCase]:
    """Prepare unlabelled images as :func:`load_training_cases` does. Their label maps hold
    the codes of their slice labels where ``slice_codes`` has them (see
    :mod:`ichseg.train.weak_labels`; never used as class targets), else 0."""
    folder = _cache_folder(cache, spacing, normalization, "unlabelled")
    cases = []
    for k, entry in enumerate(entries):
        codes = (slice_codes or {}).get(entry.case)

        def prepare(entry: UnlabelledImage = entry, codes: dict | None = codes) -> tuple[np.ndarray, np.ndarray]:
            image = read_volume(entry.image)
            prepared = prepare_model_input(image, spacing, normalization,
                                           slice_code_volume(image, codes) if codes else None)
            labels = prepared.labels if prepared.labels is not None else np.zeros(prepared.channels.shape[1:],
                                                                                   np.uint8)
            return prepared.channels, labels

        cached = folder / f"{entry.case}.npz" if folder else None
        source = source_digest(entry) + (":" + json.dumps(sorted(codes.items())) if codes else "") if cached else ""
        channels, labels = _cached_or_prepared(cached, source, prepare)
        cases.append(TrainingCase.build(entry.case, channels, labels.astype(np.uint8), seed=seed + k))
    return cases


def sample_seed(seed: int, index: int) -> int:
    """A 32-bit seed for sample ``index`` of a run with ``seed``."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


class SampleDataset(torch.utils.data.Dataset):
    """``dataset[i]`` = augmented sample ``i`` as ``(image, label)`` tensors."""

    def __init__(self, sampler, augmentation, seed: int) -> None:
        self.sampler, self.augmentation, self.seed = sampler, augmentation, seed

    def __len__(self) -> int:
        return 2**62  # samples are drawn by index without end; StepIndices decides which

    def __getitem__(self, index: int):
        sample = self.sampler.sample(index)
        self.augmentation.set_random_state(seed=sample_seed(self.seed, index))
        out = self.augmentation({"image": sample["image"], "label": sample["label"]})
        return out["image"].float(), out["label"].to(torch.uint8)


class StepIndices(torch.utils.data.Sampler):
    """Sample indices of this rank's batches from ``start_step`` on, without end."""

    def __init__(self, start_step: int, batch_size: int, rank: int = 0, world_size: int = 1) -> None:
        self.start_step, self.batch_size, self.rank, self.world_size = start_step, batch_size, rank, world_size

    def __iter__(self) -> Iterator[int]:
        step = self.start_step
        while True:
            first = (step * self.world_size + self.rank) * self.batch_size
            yield from range(first, first + self.batch_size)
            step += 1


def build_loader(dataset: SampleDataset, *, start_step: int, batch_size: int, rank: int, world_size: int,
                 num_workers: int, seed: int) -> torch.utils.data.DataLoader:
    """An endless DataLoader of batches starting at ``start_step``."""
    return torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, sampler=StepIndices(start_step, batch_size, rank, world_size),
        num_workers=num_workers, persistent_workers=num_workers > 0, pin_memory=False,
        generator=torch.Generator().manual_seed(seed),  # keeps the global RNG untouched
        prefetch_factor=4 if num_workers > 0 else None,
    )
