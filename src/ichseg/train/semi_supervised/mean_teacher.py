"""Mean teacher (Tarvainen & Valpola 2017): the teacher is the EMA of the student's weights;
on unlabelled patches the student's softmax is pulled (MSE) towards the teacher's, each
seeing its own Gaussian-noised copy. The teacher is what is validated and exported."""

from __future__ import annotations

import torch

from ..ema import ema_model
from ..trainer import TRAINERS
from .base import SemiSupervisedTrainer, main_output

TEACHER_DECAY = 0.99  # the papers' (and SSL4MIS's) EMA decay, unless ema_decay is set
NOISE_SD, NOISE_CLIP = 0.1, 0.2  # on normalised intensities


def noisy(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    noise = torch.randn(images.shape, generator=generator, device="cpu").to(images.device)
    return images + (NOISE_SD * noise).clamp(-NOISE_CLIP, NOISE_CLIP)


@TRAINERS.register("mean_teacher", description="semi-supervised: EMA teacher, softmax consistency on noisy "
                                               "unlabelled patches, ramped-up weight")
class MeanTeacherTrainer(SemiSupervisedTrainer):
    paper_weight = 0.1

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.ema is None:  # the teacher: checkpointed, validated and exported as the EMA is
            self.ema = ema_model(self.network, TEACHER_DECAY)

    def teacher_probabilities(self, images: torch.Tensor) -> torch.Tensor:
        assert self.ema is not None
        teacher = self.ema.module
        was_training = teacher.training
        teacher.train(self.network.training)  # same mode as the student: same heads and dropout
        with torch.no_grad():
            probabilities = torch.softmax(main_output(teacher(images), images).float(), dim=1)
        teacher.train(was_training)
        return probabilities

    def _noise_generator(self, which: int) -> torch.Generator:
        # drawn from (seed, step): a resumed run sees the noise an uninterrupted one saw
        return torch.Generator().manual_seed((self.config.seed * 1_000_003 + self.step) * 2 + which)

    def student_input(self, unlabelled: torch.Tensor) -> torch.Tensor:
        return noisy(unlabelled, self._noise_generator(0))

    def unsupervised_loss(self, logits: torch.Tensor, unlabelled: torch.Tensor) -> torch.Tensor:
        target = self.teacher_probabilities(noisy(unlabelled, self._noise_generator(1)))
        return torch.mean((torch.softmax(logits, dim=1) - target) ** 2)
