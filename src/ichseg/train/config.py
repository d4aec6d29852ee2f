"""``TrainingConfig``: every setting of a training run, with defaults, validation and
merging (recipe < YAML config file < command-line flags)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import yaml


@dataclass
class TrainingConfig:
    """What to train and how. ``None`` means "take it from the plan".

    Example:
        >>> config = TrainingConfig().merged({"model": "unet", "lr": 0.001})
        >>> config.model, config.lr
        ('unet', 0.001)
        >>> TrainingConfig().merged({"learning_rate": 1})
        Traceback (most recent call last):
        ...
        ValueError: unknown training settings: learning_rate
    """

    trainer: str = "supervised"
    model: str = "dynunet"
    model_options: dict = field(default_factory=dict)
    initial_weights: str | None = None
    loss: str = "dice_ce"
    loss_options: dict = field(default_factory=dict)
    configuration: str = "3d"
    context_slices: int = 0
    context_dropout: float = 0.0  # 2.5D: share of patches whose neighbours are their centre slice
    context_cut: float = 0.0  # 2.5D: share of the other patches whose neighbours on one side are their centre slice
    export_simulation: float = 0.0  # share of patches shown as 8-bit windowed exports (windows scheme, 2D)
    spacing: list | None = None
    patch_size: list | None = None
    batch_size: int | None = None
    normalization: dict | None = None
    optimizer: str = "sgd"
    lr: float = 1e-2
    momentum: float = 0.99
    nesterov: bool = True
    weight_decay: float = 3e-5
    schedule: str = "poly"
    warmup_steps: int = 0
    max_steps: int = 1000
    sampler: str = "patches"
    foreground_probability: float = 0.33
    samples_per_volume: int = 1
    min_foreground_per_volume: int = 0
    window_size: int = 160
    window_stride: int = 80
    negative_ratio: float = 1.0
    augmentation: str = "nnunet"
    deep_supervision: bool = True
    grad_clip: float | None = 12.0
    ema_decay: float | None = None
    amp: bool | None = None  # autocast: None = float16 on CUDA only; True = also bfloat16 on CPU; False = off
    validate_every: int = 200
    max_validation_cases: int | None = None  # None: every validation case; 0: no validation during training
    sliding_window_overlap: float = 0.5
    checkpoint_every: int = 50
    log_every: int = 10
    num_workers: int = 2
    # semi-supervised trainers: unlabelled images (the dataset's imagesUnlabeled/ and this folder)
    unlabelled: str | None = None
    unlabelled_batch_size: int | None = None  # None: the labelled batch size
    unsupervised_weight: float | None = None  # None: the trainer's own (its paper's) weight
    rampup: float = 0.4  # share of max_steps over which the unsupervised weight ramps up (sigmoid)
    weak_weight: float = 0.0  # > 0: slice labels of unlabelled images (slice_labels.csv) add a weak term
    seed: int = 0
    fold: int | str = 0
    n_folds: int = 5
    split: str = "kfold"

    def merged(self, overrides: dict) -> TrainingConfig:
        names = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise ValueError(f"unknown training settings: {', '.join(unknown)}")
        config = TrainingConfig(**{**asdict(self), **{k: v for k, v in overrides.items() if v is not None}})
        config.validate()
        return config

    def validate(self) -> None:
        if self.configuration not in ("2d", "3d"):
            raise ValueError(f"configuration must be '2d' or '3d', got {self.configuration!r}")
        if self.max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {self.max_steps}")
        if self.split not in ("kfold", "holdout"):
            raise ValueError(f"split must be 'kfold' or 'holdout', got {self.split!r}")
        from .samplers import SAMPLERS  # noqa: PLC0415  (keeps reading a config light)

        try:
            SAMPLERS.entry(self.sampler)
        except KeyError as error:
            raise ValueError(error.args[0]) from None
        if self.context_slices and self.configuration != "2d":
            raise ValueError("context_slices (2.5D) needs configuration '2d'")
        for name in ("context_dropout", "context_cut", "export_simulation"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if not 0 <= self.rampup <= 1:
            raise ValueError(f"rampup is a share of max_steps in [0, 1], got {self.rampup}")
        if self.weak_weight < 0:
            raise ValueError(f"weak_weight must be >= 0, got {self.weak_weight}")
        if self.unsupervised_weight is not None and self.unsupervised_weight < 0:
            raise ValueError(f"unsupervised_weight must be >= 0, got {self.unsupervised_weight}")
        if self.ema_decay is not None and not 0 <= self.ema_decay < 1:
            raise ValueError(f"ema_decay must be 0 or none (no EMA) or below 1 (e.g. 0.999), got {self.ema_decay}")

    def to_dict(self) -> dict:
        return asdict(self)


def read_config_file(path: str | Path) -> dict:
    """Settings from a YAML (or JSON) file: a mapping of TrainingConfig fields."""
    path = Path(path)
    try:
        values = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"{path}: cannot read training config ({error})") from error
    if not isinstance(values, dict):
        raise ValueError(f"{path}: a training config must be a mapping of settings")
    return values
