"""The supervised trainer, registered by name so that variants (semi-supervised,
weakly supervised) are new entries that override :meth:`SupervisedTrainer.train_step`
or the data they draw.

Output folder (``fold_<k>/`` of an experiment folder that holds ``plan.json`` and
``splits.json``): ``checkpoint_last.pt`` (every ``checkpoint_every`` steps),
``checkpoint_best.pt`` (best validation Dice), ``log.csv``, ``tensorboard/``,
``config.json``, ``summary.json``.
"""

from __future__ import annotations

import json
import math
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from ..data.dataset_format import DatasetCase
from ..infer.sliding_window import predict_probabilities
from ..io.errors import InputError
from ..labels import LABELS
from ..losses import DeepSupervision, build_loss
from ..models import MODELS, size_multiple
from ..models.checkpoint import BEST, LAST, load_checkpoint, save_checkpoint
from ..models.network_spec import NetworkSpec
from ..preprocess.model_input import intensity_channels
from ..registry import Registry
from .augmentation import build_augmentation
from .config import TrainingConfig
from .data_loading import SampleDataset, build_loader, load_training_cases
from .distributed import DistributedContext
from .ema import ema_model
from .optim import build_optimizer, build_schedule
from .plan import Plan
from .planner import round_up
from .run_log import RunLog
from .samplers import SAMPLERS

# the semi-supervised trainers register themselves when a name is first looked up
TRAINERS = Registry("trainer", providers=("ichseg.train.semi_supervised",))
N_CLASSES = len(LABELS)


def network_spec(config: TrainingConfig, configuration: dict, normalization: dict) -> NetworkSpec:
    """Everything needed to rebuild the network and feed it (stored in checkpoints).

    A registered network may take defaults from the plan's configuration (metadata
    ``plan_options``, e.g. DynUNet's kernels and strides), derive its size multiple from
    its options (``size_multiple_of``) and take options from the final patch
    (``patch_options``, e.g. UNETR's ``img_size``) and from the intensity scheme
    (``input_options``, e.g. the HU threshold's channel); the run's own options win.
    """
    dims = 2 if config.configuration == "2d" else 3
    entry = MODELS.entry(config.model)  # a module:attr that its module registered resolves to the short name
    metadata = entry.metadata
    options = dict(config.model_options)
    if "plan_options" in metadata:
        options = {**metadata["plan_options"](configuration, dims), **options}
    if "size_multiple_of" in metadata:
        multiple = list(metadata["size_multiple_of"](options, dims))
    else:
        multiple = list(size_multiple(config.model, dims))
    if metadata.get("deep_supervision"):
        options.setdefault("deep_supervision", config.deep_supervision)
    patch = list(config.patch_size or configuration["patch_size"])[:dims]
    patch = [round_up(int(p), int(m)) for p, m in zip(patch, multiple)]
    if "patch_options" in metadata:
        options = {**metadata["patch_options"](patch), **options}
    if "input_options" in metadata:
        options = {**metadata["input_options"](normalization, config.context_slices), **options}
    in_channels = intensity_channels(normalization) * (2 * config.context_slices + 1)
    return NetworkSpec(
        model=entry.name, options=options, spatial_dims=dims, in_channels=in_channels, out_channels=N_CLASSES,
        patch_size=tuple(patch), context_slices=config.context_slices,
        spacing=tuple(float(s) for s in (config.spacing or configuration["spacing"])), normalization=normalization)


SAME_NETWORK_FIELDS = ("model", "spatial_dims", "in_channels", "out_channels", "options")


def initial_weights(source: str, spec: NetworkSpec) -> dict[str, torch.Tensor]:
    """Weights to start a run from (fine-tuning): a model bundle (name or folder) or a
    training checkpoint (``.pt``) whose network is the one of ``spec``.

    Raises:
        InputError: the source cannot be loaded, or its network differs (named keys).
    """
    from ..infer.bundle import load_bundle  # noqa: PLC0415  (only when fine-tuning)

    try:
        bundle = load_bundle(source)
    except ValueError as error:
        raise InputError(source, f"not usable as initial weights ({str(error).removeprefix(f'{source}: ')})") from None
    differing = [key for key in SAME_NETWORK_FIELDS if getattr(bundle.spec, key) != getattr(spec, key)]
    if differing:
        raise InputError(source, f"initial weights: network differs from this run's in {', '.join(differing)}")
    assert isinstance(bundle.network, torch.nn.Module)  # load_bundle builds the network unless onnx=True
    return {name: value.float() for name, value in bundle.network.state_dict().items()}


def pseudo_dice(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> dict[str, float]:
    """nnU-Net's validation Dice: per class from counts pooled over cases (classes absent
    from every reference are left out); ``mean`` over the classes reported.

    Example:
        >>> pseudo_dice(np.array([0, 8, 0]), np.array([0, 2, 0]), np.array([0, 2, 0]))
        {'IPH': 0.8, 'mean': 0.8}
    """
    scores = {}
    for value, name in LABELS.items():
        if value and value < len(tp) and tp[value] + fn[value] > 0:
            scores[name] = float(2 * tp[value] / (2 * tp[value] + fp[value] + fn[value]))
    scores["mean"] = float(np.mean(list(scores.values()))) if scores else float("nan")
    return scores


@TRAINERS.register("supervised", description="fully supervised training on labelled cases")
class SupervisedTrainer:
    """Trains one network on one fold.

    Args:
        train_cases, val_cases: dataset cases (see :func:`ichseg.data.dataset_format.list_dataset_cases`).
        output: the fold folder.
        config: the resolved training settings.
        plan: the dataset's plan (see :func:`ichseg.train.planner.make_plan`).
        context: rank, world size and device.
        cache: folder for preprocessed cases (shared by folds).
        progress: show a progress bar (main process only).
    """

    def __init__(self, train_cases: list[DatasetCase], val_cases: list[DatasetCase], output: str | Path,
                 config: TrainingConfig, plan: Plan | dict, *, context: DistributedContext | None = None,
                 cache: str | Path | None = None, progress: bool = True) -> None:
        self.config = config
        self.plan = plan if isinstance(plan, Plan) else Plan.from_dict(plan)
        self.context = context or DistributedContext()
        self.output = Path(output)
        self.output.mkdir(parents=True, exist_ok=True)
        self.device = self.context.device
        # autocast: float16 on CUDA unless amp is false; bfloat16 on CPU only with amp: true (1.6x per
        # step on an AVX-512 BF16 CPU, benchmarks/cpu_precision_bench.py; slow on CPUs without it)
        self.amp = config.amp is True or (self.device.type == "cuda" and config.amp is not False)
        configuration = self.plan.configuration(config.configuration)
        normalization = config.normalization or self.plan.normalization
        self.spec = network_spec(config, configuration, normalization)
        self.batch_size = int(config.batch_size or configuration["batch_size"])
        self.progress = progress
        torch.manual_seed(config.seed)
        np.random.seed(config.seed % 2**32)
        # before the (slow) preprocessing, so that unusable weights are reported at once
        initial = initial_weights(config.initial_weights, self.spec) if config.initial_weights else None
        show = progress and self.context.is_main
        self.train_cases = load_training_cases(train_cases, self.spec.spacing, normalization, cache=cache,
                                               seed=config.seed, progress=show)
        val = val_cases if config.max_validation_cases is None else val_cases[: config.max_validation_cases]
        self.val_cases = load_training_cases(val, self.spec.spacing, normalization, cache=cache,
                                             seed=config.seed) if val else []
        self.network = self.spec.build()
        self.sampler_entry = SAMPLERS.entry(config.sampler)
        self.training_window = self.sampler_entry.metadata["training_window"](self.spec, config)
        if initial is not None:
            self.network.load_state_dict(initial)
        self.network.to(self.device)
        self.deep_supervision = bool(self.spec.options.get("deep_supervision", False))
        loss = build_loss(config.loss, **config.loss_options)
        self.loss = DeepSupervision(loss) if self.deep_supervision else loss
        self.optimizer = build_optimizer(self.network.parameters(), config)
        self.schedule = build_schedule(self.optimizer, config)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp and self.device.type == "cuda")  # bf16 needs none
        self.ema = ema_model(self.network, config.ema_decay) if config.ema_decay else None
        self.model = (DistributedDataParallel(self.network, device_ids=[self.device] if self.device.type == "cuda"
                                              else None) if self.context.enabled else self.network)
        self.step, self.best_metric, self.best_step = 0, -math.inf, -1
        self.recent_losses: list[float] = []  # since the last log row (kept across a resume)

    # -- data ---------------------------------------------------------------------------
    def build_sampler(self):
        return SAMPLERS.build(self.config.sampler, self.train_cases, self.spec, self.config)

    def build_augmentation(self):
        """The named pipeline, after the windowed-export simulation when the config asks for it."""
        config, spec = self.config, self.spec
        pipeline = build_augmentation(config.augmentation, spec.spatial_dims)
        if not config.export_simulation:
            return pipeline
        if spec.normalization.get("scheme") != "windows" or spec.spatial_dims != 2:
            raise ValueError("export_simulation needs a 2D or 2.5D model with the 'windows' intensity scheme")
        from monai.transforms import Compose  # noqa: PLC0415  (MONAI is imported by the pipeline anyway)

        from ..preprocess.windowing import resolve_windows  # noqa: PLC0415
        from .export_simulation import RandWindowedExportd  # noqa: PLC0415

        export = RandWindowedExportd("image", prob=config.export_simulation,
                                     windows=resolve_windows(spec.normalization["windows"]),
                                     slices=2 * spec.context_slices + 1)
        return Compose([export, pipeline])

    # -- one step -----------------------------------------------------------------------
    def train_step(self, images: torch.Tensor, labels: torch.Tensor) -> float:
        images, labels = images.to(self.device), labels.to(self.device)
        self.optimizer.zero_grad(set_to_none=True)
        with torch.autocast(self.device.type, enabled=self.amp):
            loss = self.loss(self.model(images), labels)
        return self.optimise(loss)

    def optimise(self, loss: torch.Tensor) -> float:
        """Backward, clip, step the optimiser and schedule, update the EMA; returns the loss."""
        self.scaler.scale(loss).backward()
        if self.config.grad_clip:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.network.parameters(), self.config.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.schedule.step()
        if self.ema is not None:
            self.ema.update_parameters(self.network)
        return float(loss.detach())

    # -- validation ---------------------------------------------------------------------
    def evaluation_network(self) -> torch.nn.Module:
        return self.ema.module if self.ema is not None else self.network

    def validate(self) -> dict[str, float]:
        network = self.evaluation_network()
        network.eval()
        tp, fp, fn = (np.zeros(N_CLASSES, np.int64) for _ in range(3))
        blend, patch = self.sampler_entry.metadata["blend"], self.training_window
        cases = tqdm(self.val_cases, desc=f"validation at step {self.step}", unit="case", leave=False,
                     disable=not (self.progress and self.context.is_main))
        for case in cases:
            probabilities = predict_probabilities(
                network, case.channels, patch_size=patch, context_slices=self.spec.context_slices,
                overlap=self.config.sliding_window_overlap, blend=blend, device=self.device,
                batch_size=max(1, self.batch_size), amp=self.amp)
            prediction = probabilities.argmax(0)
            reference = case.labels
            for value in range(1, N_CLASSES):
                p, r = prediction == value, reference == value
                tp[value] += np.count_nonzero(p & r)
                fp[value] += np.count_nonzero(p & ~r)
                fn[value] += np.count_nonzero(~p & r)
        network.train()
        return pseudo_dice(tp, fp, fn)

    # -- checkpoints ----------------------------------------------------------------------
    def state(self) -> dict:
        return {
            "step": self.step, "model": self.network.state_dict(), "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict(), "scaler": self.scaler.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "best_metric": self.best_metric, "best_step": self.best_step, "recent_losses": list(self.recent_losses),
            "torch_rng": torch.get_rng_state(), "network": self.spec.to_dict(), "config": self.config.to_dict(),
            "plan": self.plan.to_dict(),
        }

    def load_state(self, state: dict) -> None:
        self.network.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.scaler.load_state_dict(state["scaler"])
        if self.ema is not None and state.get("ema") is not None:
            self.ema.load_state_dict(state["ema"])
        self.step, self.best_metric, self.best_step = state["step"], state["best_metric"], state["best_step"]
        self.recent_losses = list(state.get("recent_losses", []))
        torch.set_rng_state(state["torch_rng"])

    def save(self, name: str) -> None:
        if self.context.is_main:
            save_checkpoint(self.output / name, self.state())

    def _train_to_max_steps(self, batches, bar, log) -> None:
        config, main = self.config, self.context.is_main
        while self.step < config.max_steps:
            before = time.perf_counter()
            images, labels = next(batches)
            self._waited += time.perf_counter() - before
            self.recent_losses.append(self.train_step(images, labels))
            self.step += 1
            bar.update(1)
            if main and (self.step % config.log_every == 0 or self.step == config.max_steps):
                loss = float(np.mean(self.recent_losses))
                log.log(self.step, "train", {"loss": loss, "lr": self.optimizer.param_groups[0]["lr"]})
                bar.set_postfix(loss=f"{loss:.4f}")
            if self.step % config.log_every == 0:
                self.recent_losses = []
            if self.val_cases and (self.step % config.validate_every == 0 or self.step == config.max_steps):
                if main:
                    before = time.perf_counter()
                    scores = self.validate()
                    self._validating += time.perf_counter() - before
                    log.log(self.step, "val", {f"dice_{k}": v for k, v in scores.items()})
                    if scores["mean"] > self.best_metric:
                        self.best_metric, self.best_step = scores["mean"], self.step
                        self.save(BEST)
                self.context.barrier()
            if self.step % config.checkpoint_every == 0 or self.step == config.max_steps:
                self.save(LAST)

    # -- the loop -------------------------------------------------------------------------
    def fit(self, *, resume: bool = False) -> dict:
        """Train to ``config.max_steps`` (continuing from ``checkpoint_last.pt`` with ``resume``)."""
        config, main = self.config, self.context.is_main
        if resume and (self.output / LAST).exists():
            self.load_state(load_checkpoint(self.output / LAST, map_location=self.device))
        if main:
            (self.output / "config.json").write_text(json.dumps(config.to_dict(), indent=2) + "\n")
        log = RunLog(self.output, resume_step=self.step) if main else None
        dataset = SampleDataset(self.build_sampler(), self.build_augmentation(), config.seed)
        loader = build_loader(dataset, start_step=self.step, batch_size=self.batch_size, rank=self.context.rank,
                              world_size=self.context.world_size, num_workers=config.num_workers, seed=config.seed)
        self.network.train()
        bar = tqdm(total=config.max_steps, initial=self.step, disable=not (main and self.progress), unit="step",
                   desc=f"{config.model} {config.configuration}")
        started = time.perf_counter()
        first_step = self.step
        self._waited = self._validating = 0.0
        previous_handler = _sigterm_as_interrupt()
        try:
            self._train_to_max_steps(iter(loader), bar, log)
        except KeyboardInterrupt:
            # Ctrl-C or SIGTERM: a stopped run always leaves a checkpoint to --resume from
            if main and self.step > first_step:
                self.save(LAST)
                bar.close()
                print(f"interrupted at step {self.step}: {self.output / LAST} saved; continue with --resume",
                      file=sys.stderr)
            raise
        finally:
            _restore_sigterm(previous_handler)
        waited, validating = self._waited, self._validating
        bar.close()
        elapsed = time.perf_counter() - started
        steps = self.step - first_step
        summary = {
            "steps": self.step, "steps_this_run": steps, "seconds": round(elapsed, 2),
            # validation is timed apart: training steps per second of training time
            "steps_per_second": round(steps / (elapsed - validating), 4) if elapsed > validating else None,
            "validation_seconds": round(validating, 2),
            "data_wait_fraction": round(waited / elapsed, 4) if elapsed > 0 else None,
            "best_val_dice": self.best_metric if self.best_step >= 0 else None, "best_step": self.best_step,
            "batch_size": self.batch_size, "patch_size": self.training_window, "device": str(self.device),
            "world_size": self.context.world_size,
        }
        if main:
            if self.best_step < 0:  # no validation: the last weights are the best we have
                self.save(BEST)
            (self.output / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
            assert log is not None  # made above on the main process
            log.close()
        return summary


def _sigterm_as_interrupt():
    """SIGTERM (a scheduler's or ``kill``'s stop) handled as Ctrl-C, so the run saves first;
    returns the handler it replaced (``None`` off the main thread, where it is left alone)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


def _restore_sigterm(previous) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)
