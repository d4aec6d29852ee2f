"""Experiment tables: datasets x networks x losses x trainers x folds, each cell trained,
predicted and evaluated, then the models compared with the papers' statistics.

Example:
    >>> from ichseg.benchmark import load_experiment
    >>> experiment = load_experiment("kok_losses", budget_steps=10)
    >>> sorted({cell.loss for cell in experiment.cells})[:2]
    ['dice_ce', 'dice_topk']
"""

from .experiment import Cell, Ensemble, Experiment, load_experiment, resolve_config, shipped_configs
from .run import run_benchmark

__all__ = ["Cell", "Ensemble", "Experiment", "load_experiment", "resolve_config", "run_benchmark",
           "shipped_configs"]
