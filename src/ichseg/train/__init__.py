"""Training: planner (self-configuration from a dataset fingerprint), trainers chosen by
name, optimisers and schedules, augmentation, checkpoints, distributed training."""

from .config import TrainingConfig, read_config_file
from .experiment import plan_dataset, run_training
from .planner import make_plan, network_topology, target_spacing
from .recipes import RECIPES, recipe_settings
from .trainer import TRAINERS, SupervisedTrainer

__all__ = ["RECIPES", "TRAINERS", "SupervisedTrainer", "TrainingConfig", "make_plan", "network_topology",
           "plan_dataset", "read_config_file", "recipe_settings", "run_training", "target_spacing"]
