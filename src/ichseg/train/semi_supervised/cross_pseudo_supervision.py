"""Cross pseudo supervision (Chen et al. 2021; BHSD's best semi-supervised row): two networks
of the same kind, initialised differently, each supervised on the labelled batch and by the
other's hard pseudo-labels (argmax) on the unlabelled and the labelled patches. The first
network is validated and exported; both are checkpointed."""

from __future__ import annotations

import torch
from torch.nn.parallel import DistributedDataParallel

from ..optim import build_optimizer, build_schedule
from ..trainer import TRAINERS
from .base import SemiSupervisedTrainer, batch_rows, main_output

SECOND_NETWORK_SEED_OFFSET = 104729


@TRAINERS.register("cps", description="semi-supervised: cross pseudo supervision between two networks")
class CrossPseudoSupervisionTrainer(SemiSupervisedTrainer):
    paper_weight = 1.5

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        with torch.random.fork_rng():  # another initialisation, without moving the main RNG
            torch.manual_seed(self.config.seed + SECOND_NETWORK_SEED_OFFSET)
            self.network_b = self.spec.build().to(self.device)
        self.optimizer_b = build_optimizer(self.network_b.parameters(), self.config)
        self.schedule_b = build_schedule(self.optimizer_b, self.config)
        self.model_b = (DistributedDataParallel(self.network_b, device_ids=[self.device] if self.device.type == "cuda"
                                                else None) if self.context.enabled else self.network_b)

    def train_step(self, images: torch.Tensor, labels: torch.Tensor) -> float:
        images, labels = images.to(self.device), labels.to(self.device)
        unlabelled = self.next_unlabelled()
        both = torch.cat([images, unlabelled])
        self.optimizer.zero_grad(set_to_none=True)
        self.optimizer_b.zero_grad(set_to_none=True)
        with torch.autocast(self.device.type, enabled=self.amp):
            out_a, out_b = self.model(both), self.model_b(both)
            n = slice(0, images.shape[0])
            supervised = self.loss(batch_rows(out_a, n), labels) + self.loss(batch_rows(out_b, n), labels)
            logits_a, logits_b = main_output(out_a, both).float(), main_output(out_b, both).float()
            pseudo_a, pseudo_b = logits_a.argmax(1).detach(), logits_b.argmax(1).detach()
            cross = (torch.nn.functional.cross_entropy(logits_a, pseudo_b)
                     + torch.nn.functional.cross_entropy(logits_b, pseudo_a))
            n_labelled = images.shape[0]
            weak = self.weak_loss(logits_a[n_labelled:]) + self.weak_loss(logits_b[n_labelled:])
            loss = supervised + self.ramped_weight() * cross + weak
        self.scaler.scale(loss).backward()
        for optimizer, network in ((self.optimizer, self.network), (self.optimizer_b, self.network_b)):
            if self.config.grad_clip:
                self.scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(network.parameters(), self.config.grad_clip)
            self.scaler.step(optimizer)
        self.scaler.update()
        self.schedule.step()
        self.schedule_b.step()
        if self.ema is not None:
            self.ema.update_parameters(self.network)
        return float(loss.detach())

    def state(self) -> dict:
        return super().state() | {"model_b": self.network_b.state_dict(), "optimizer_b": self.optimizer_b.state_dict(),
                                  "schedule_b": self.schedule_b.state_dict()}

    def load_state(self, state: dict) -> None:
        super().load_state(state)
        self.network_b.load_state_dict(state["model_b"])
        self.optimizer_b.load_state_dict(state["optimizer_b"])
        self.schedule_b.load_state_dict(state["schedule_b"])
