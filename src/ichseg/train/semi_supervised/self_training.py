"""Self-training (viola-UNet's; Xie et al.'s noisy student without the noise): training runs
in rounds; at the start of each round after the first, the current network predicts every
unlabelled image, the most confident share of them is kept with its predicted labels
(pseudo-labels), and the rest of the round trains on the labelled batch plus a batch of
pseudo-labelled patches.

Confidence of a case: the mean top-class probability over the voxels it calls blood (over
all voxels when it calls none). Each round's kept cases, their labels and confidences are
saved in ``self_training/round_<k>/`` beside the checkpoints (a resumed run reuses them
rather than predicting with later weights), and listed in ``self_training.json``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import torch

from ...data.sampling import TrainingCase
from ...infer.sliding_window import predict_probabilities
from ...io.atomic import atomic_path
from ..trainer import TRAINERS
from .base import SemiSupervisedTrainer, batch_rows

ROUNDS = 3  # the first is supervised only
KEEP = 0.5  # share of the unlabelled images kept each round


@TRAINERS.register("self_training", description="semi-supervised: rounds of pseudo-labelling the unlabelled "
                                                "images, keeping the most confident half, retraining")
class SelfTrainingTrainer(SemiSupervisedTrainer):
    uses_weak_labels = False  # its unlabelled images only get pseudo-labels
    paper_weight = 1.0

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.round_length = max(1, self.config.max_steps // ROUNDS)
        self._round = 0
        self._pseudo_batches: Iterator | None = None

    def _round_folder(self, index: int):
        return self.output / "self_training" / f"round_{index}"

    def _confidence(self, probabilities: np.ndarray) -> tuple[np.ndarray, float]:
        top, labels = probabilities.max(0), probabilities.argmax(0)
        blood = labels > 0
        confidence = float(top[blood].mean() if blood.any() else top.mean())
        return labels.astype(np.uint8), confidence

    def _pseudo_label(self, index: int) -> list[TrainingCase]:
        folder = self._round_folder(index)
        record_path = folder / "kept.json"
        if not record_path.exists():  # predicted once per round; a resumed run reads what was kept
            network = self.evaluation_network()
            network.eval()
            scored = []
            for case in self.unlabelled_cases:
                probabilities = predict_probabilities(
                    network, case.channels, patch_size=self.training_window, context_slices=self.spec.context_slices,
                    overlap=self.config.sliding_window_overlap, blend=self.sampler_entry.metadata["blend"],
                    device=self.device, batch_size=max(1, self.batch_size), amp=self.amp)
                labels, confidence = self._confidence(probabilities)
                scored.append((confidence, case.case, labels))
            network.train()
            scored.sort(key=lambda item: (-item[0], item[1]))
            kept = scored[: max(1, round(KEEP * len(scored)))]
            folder.mkdir(parents=True, exist_ok=True)
            for _confidence, name, labels in kept:
                with atomic_path(folder / f"{name}.npz") as temporary:
                    np.savez_compressed(temporary, labels=labels)
            record = {"round": index, "step": self.step, "kept": [name for _c, name, _l in kept],
                      "confidence": {name: round(c, 5) for c, name, _l in scored}, "keep_share": KEEP}
            with atomic_path(record_path) as temporary:
                temporary.write_text(json.dumps(record, indent=2) + "\n")
            self._log_round(record)
        record = json.loads(record_path.read_text())
        by_name = {case.case: case for case in self.unlabelled_cases}
        cases = []
        for k, name in enumerate(record["kept"]):
            with np.load(folder / f"{name}.npz") as stored:
                labels = stored["labels"]
            cases.append(TrainingCase.build(name, by_name[name].channels, labels, seed=self.config.seed + k))
        return cases

    def _log_round(self, record: dict) -> None:
        path = self.output / "self_training.json"
        rounds = json.loads(path.read_text()) if path.exists() else []
        rounds = [r for r in rounds if r["round"] != record["round"]] + [
            {key: record[key] for key in ("round", "step", "kept", "keep_share")}]
        with atomic_path(path) as temporary:
            temporary.write_text(json.dumps(rounds, indent=2) + "\n")

    def next_pseudo_labelled(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """This step's pseudo-labelled batch (None in the first, supervised round)."""
        index = min(self.step // self.round_length, ROUNDS - 1)
        if index == 0:
            return None
        if index != self._round or self._pseudo_batches is None:
            self._round = index
            cases = self._pseudo_label(index)
            self._pseudo_batches = self.batches_of(cases, self.config.foreground_probability)
        assert self._pseudo_batches is not None
        images, labels = next(self._pseudo_batches)
        return images.to(self.device), labels.to(self.device)

    def train_step(self, images: torch.Tensor, labels: torch.Tensor) -> float:
        images, labels = images.to(self.device), labels.to(self.device)
        pseudo = self.next_pseudo_labelled()
        self.optimizer.zero_grad(set_to_none=True)
        with torch.autocast(self.device.type, enabled=self.amp):
            if pseudo is None:
                loss = self.loss(self.model(images), labels)
            else:  # one forward over both batches (DistributedDataParallel allows one per backward)
                n = images.shape[0]
                output = self.model(torch.cat([images, pseudo[0]]))
                loss = (self.loss(batch_rows(output, slice(0, n)), labels)
                        + self.weight * self.loss(batch_rows(output, slice(n, None)), pseudo[1]))
        return self.optimise(loss)
