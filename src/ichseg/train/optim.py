"""Optimisers and learning-rate schedules by name (one step = one scheduler step)."""

from __future__ import annotations

import torch
from monai.optimizers import WarmupCosineSchedule

from ..registry import Registry

OPTIMIZERS = Registry("optimizer")
SCHEDULES = Registry("schedule")


@OPTIMIZERS.register("sgd", description="SGD with (Nesterov) momentum")
def build_sgd(parameters, config):
    return torch.optim.SGD(parameters, lr=config.lr, momentum=config.momentum, nesterov=config.nesterov,
                           weight_decay=config.weight_decay)


@OPTIMIZERS.register("adamw", description="AdamW")
def build_adamw(parameters, config):
    return torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay)


@OPTIMIZERS.register("adam", description="Adam")
def build_adam(parameters, config):
    return torch.optim.Adam(parameters, lr=config.lr, weight_decay=config.weight_decay)


@SCHEDULES.register("poly", description="nnU-Net's polynomial decay (1 - step/max)^0.9")
def build_poly(optimizer, config):
    return torch.optim.lr_scheduler.PolynomialLR(optimizer, total_iters=config.max_steps, power=0.9)


@SCHEDULES.register("warmup_cosine", description="linear warm-up then cosine annealing to 0 (MONAI)")
def build_warmup_cosine(optimizer, config):
    return WarmupCosineSchedule(optimizer, warmup_steps=config.warmup_steps, t_total=config.max_steps)


@SCHEDULES.register("constant", description="constant learning rate")
def build_constant(optimizer, config):
    return torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=0)


def build_optimizer(parameters, config):
    """Optimiser named ``config.optimizer`` over ``parameters``.

    Example:
        >>> from ichseg.train.config import TrainingConfig
        >>> config = TrainingConfig(optimizer="adamw", lr=1e-3)
        >>> type(build_optimizer([torch.nn.Parameter(torch.zeros(1))], config)).__name__
        'AdamW'
    """
    return OPTIMIZERS.build(config.optimizer, parameters, config)


def build_schedule(optimizer, config):
    """Scheduler named ``config.schedule``, stepped once per training step."""
    return SCHEDULES.build(config.schedule, optimizer, config)
