"""What every semi-supervised trainer shares: unlabelled patches drawn beside the labelled
batch (same determinism as the labelled stream: sample ``i`` fixed by ``(seed, i)``, so a
resumed run draws what an uninterrupted one would), the ramped-up weight of the
unsupervised term, and one optimisation step over both terms."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import torch

from ...data.dataset_format import UnlabelledImage
from ...data.sampling import PatchSampler, TrainingCase
from ..data_loading import SampleDataset, build_loader, load_unlabelled_cases
from ..trainer import SupervisedTrainer
from ..weak_labels import weak_slice_loss

UNLABELLED_SEED_OFFSET = 7919  # the unlabelled stream's seed differs from the labelled one's


def sigmoid_rampup(step: int, length: float) -> float:
    """``exp(-5 (1 - step/length)^2)`` up to ``length`` steps, then 1 (0 ramp: always 1).

    Example:
        >>> round(sigmoid_rampup(0, 100), 4), round(sigmoid_rampup(50, 100), 3), sigmoid_rampup(100, 100)
        (0.0067, 0.287, 1.0)
    """
    if length <= 0 or step >= length:
        return 1.0
    return float(math.exp(-5.0 * (1.0 - step / length) ** 2))


def main_output(output, reference: torch.Tensor) -> torch.Tensor:
    """The full-resolution head of a network's output (deep supervision returns several).

    Example:
        >>> heads = torch.zeros(2, 3, 7, 8, 8, 4)   # DynUNet in training: (B, heads, C, ...)
        >>> main_output(heads, torch.zeros(2, 1, 8, 8, 4)).shape
        torch.Size([2, 7, 8, 8, 4])
    """
    if isinstance(output, (list, tuple)):
        return output[0]
    if output.ndim == reference.ndim + 1:
        return output[:, 0]
    return output


def batch_rows(output, rows: slice):
    """Some samples of a network's output (a tensor or a list of heads)."""
    if isinstance(output, (list, tuple)):
        return [head[rows] for head in output]
    return output[rows]


class SemiSupervisedTrainer(SupervisedTrainer):
    """A supervised trainer that also draws unlabelled patches; subclasses give
    :meth:`unsupervised_loss` (and :attr:`paper_weight`)."""

    uses_unlabelled = True
    paper_weight = 0.1

    uses_weak_labels = True  # False where the student's view of a patch moves its voxels (mixup)

    def __init__(self, *args, unlabelled: Sequence[UnlabelledImage] = (),
                 slice_codes: dict[str, dict[int, int]] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not unlabelled:
            raise ValueError(f"the {self.config.trainer} trainer needs unlabelled images: imagesUnlabeled/ in the "
                             "dataset folder (ichseg synth --unlabeled N) or an 'unlabelled' folder in the config")
        if self.config.weak_weight:
            if not self.uses_weak_labels:
                raise ValueError(f"the {self.config.trainer} trainer cannot use slice labels (weak_weight): "
                                 "its unlabelled patches do not keep their slices")
            if not any(image.case in (slice_codes or {}) for image in unlabelled):
                raise ValueError("weak_weight is set but no unlabelled image has rows in slice_labels.csv")
        self.unlabelled_cases = load_unlabelled_cases(
            unlabelled, self.spec.spacing, self.spec.normalization, cache=kwargs.get("cache"), seed=self.config.seed,
            slice_codes=slice_codes if self.config.weak_weight else None)
        self.unlabelled_codes: torch.Tensor | None = None
        self.unlabelled_batch_size = int(self.config.unlabelled_batch_size or self.batch_size)
        self.weight = (self.paper_weight if self.config.unsupervised_weight is None
                       else float(self.config.unsupervised_weight))
        self._unlabelled_batches: Iterator | None = None

    def batches_of(self, cases: Sequence[TrainingCase], foreground_probability: float = 0.0) -> Iterator:
        """Endless augmented batches of patches of ``cases``, from the current step on (so that a
        resumed run draws what an uninterrupted one would)."""
        patch = list(self.training_window) + ([1] if self.spec.spatial_dims == 2 else [])
        seed = self.config.seed + UNLABELLED_SEED_OFFSET
        sampler = PatchSampler(cases, patch_size=patch, foreground_probability=foreground_probability,
                               context_slices=self.spec.context_slices, seed=seed)
        loader = build_loader(SampleDataset(sampler, self.build_augmentation(), seed), start_step=self.step,
                              batch_size=self.unlabelled_batch_size, rank=self.context.rank,
                              world_size=self.context.world_size, num_workers=0, seed=seed)
        return iter(loader)

    def next_unlabelled(self) -> torch.Tensor:
        """The unlabelled batch of the current step (augmented like the labelled ones)."""
        if self._unlabelled_batches is None:  # made at the first step: a resume starts where it stopped
            self._unlabelled_batches = self.batches_of(self.unlabelled_cases)
        images, codes = next(self._unlabelled_batches)
        self.unlabelled_codes = codes.to(self.device)  # slice-label codes, for the weak term
        return images.to(self.device)

    def weak_loss(self, logits: torch.Tensor) -> torch.Tensor | float:
        """The weighted slice-label term on the student's logits of this step's unlabelled batch."""
        if not self.config.weak_weight or self.unlabelled_codes is None:
            return 0.0
        return self.config.weak_weight * weak_slice_loss(logits, self.unlabelled_codes)

    def ramped_weight(self) -> float:
        return self.weight * sigmoid_rampup(self.step, self.config.rampup * self.config.max_steps)

    def student_input(self, unlabelled: torch.Tensor) -> torch.Tensor:
        """What the student sees of the unlabelled batch (noised, mixed, or as it is)."""
        return unlabelled

    def unsupervised_loss(self, logits: torch.Tensor, unlabelled: torch.Tensor) -> torch.Tensor:
        """The unsupervised term from the student's logits of :meth:`student_input`."""
        raise NotImplementedError

    def train_step(self, images: torch.Tensor, labels: torch.Tensor) -> float:
        images, labels = images.to(self.device), labels.to(self.device)
        unlabelled = self.next_unlabelled()
        n = images.shape[0]
        self.optimizer.zero_grad(set_to_none=True)
        with torch.autocast(self.device.type, enabled=self.amp):
            # one forward over both batches: DistributedDataParallel allows one forward per backward
            output = self.model(torch.cat([images, self.student_input(unlabelled)]))
            supervised = self.loss(batch_rows(output, slice(0, n)), labels)
            logits = main_output(output, images)[n:].float()
            unsupervised = self.ramped_weight() * self.unsupervised_loss(logits, unlabelled)
            loss = supervised + unsupervised + self.weak_loss(logits)
        return self.optimise(loss)
