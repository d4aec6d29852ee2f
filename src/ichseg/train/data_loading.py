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
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch

from ..data.dataset_format import DatasetCase, UnlabelledImage
from ..data.sampling import TrainingCase
from ..io import read_volume
from ..io.atomic import atomic_path
from ..preprocess.model_input import prepare_model_input


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


def load_training_cases(entries: Sequence[DatasetCase], spacing: Sequence[float], normalization: dict, *,
                        cache: str | Path | None = None, seed: int = 0) -> list[TrainingCase]:
    """Prepare every case for the model (RAS, spacing, intensities), cached as ``.npz``; a cached
    case whose image or label file has changed since is prepared again."""
    folder = Path(cache) / preprocessing_key(spacing, normalization) if cache else None
    if folder:
        folder.mkdir(parents=True, exist_ok=True)
    cases = []
    for k, entry in enumerate(entries):
        cached = folder / f"{entry.case}.npz" if folder else None
        source = source_digest(entry) if cached else ""
        stored = _read_cached(cached, source) if cached and cached.exists() else None
        if stored:
            channels, labels = stored
        else:
            prepared = prepare_model_input(read_volume(entry.image), spacing, normalization, read_volume(entry.label))
            assert prepared.labels is not None  # labels were given
            channels, labels = prepared.channels, prepared.labels
            if cached:
                with atomic_path(cached) as temporary:  # ranks may race: each writes its own file
                    np.savez(temporary, channels=channels, labels=labels, source=np.array(source))
        cases.append(TrainingCase.build(entry.case, channels, labels, seed=seed + k))
    return cases


def load_unlabelled_cases(entries: Sequence[UnlabelledImage], spacing: Sequence[float], normalization: dict, *,
                          cache: str | Path | None = None, seed: int = 0,
                          slice_codes: dict[str, dict[int, int]] | None = None) -> list[TrainingCase]:
    """Prepare unlabelled images as :func:`load_training_cases` does. Their label maps hold
    the codes of their slice labels where ``slice_codes`` has them (see
    :mod:`ichseg.train.weak_labels`; never used as class targets), else 0."""
    from .weak_labels import slice_code_volume  # noqa: PLC0415  (torch-side module; avoids a cycle)

    folder = Path(cache) / preprocessing_key(spacing, normalization) / "unlabelled" if cache else None
    if folder:
        folder.mkdir(parents=True, exist_ok=True)
    cases = []
    for k, entry in enumerate(entries):
        codes = (slice_codes or {}).get(entry.case)
        cached = folder / f"{entry.case}.npz" if folder else None
        source = (source_digest(entry) + (":" + json.dumps(sorted(codes.items())) if codes else "")) if cached else ""
        stored = _read_cached(cached, source) if cached and cached.exists() else None
        if stored:
            channels, labels = stored
        else:
            image = read_volume(entry.image)
            prepared = prepare_model_input(image, spacing, normalization,
                                           slice_code_volume(image, codes) if codes else None)
            channels = prepared.channels
            labels = prepared.labels if prepared.labels is not None else np.zeros(channels.shape[1:], np.uint8)
            if cached:
                with atomic_path(cached) as temporary:
                    np.savez(temporary, channels=channels, labels=labels, source=np.array(source))
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
