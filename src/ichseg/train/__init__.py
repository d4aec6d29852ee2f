"""Training: planner (self-configuration from a dataset fingerprint), trainers chosen by
name, optimisers and schedules, augmentation, checkpoints, distributed training.

Names are imported on first use, so ``ichseg.train.planner`` or ``.recipes`` stay light.
"""

from importlib import import_module

_EXPORTS = {
    "TrainingConfig": "config", "read_config_file": "config", "plan_dataset": "experiment",
    "run_training": "experiment", "make_plan": "planner", "network_topology": "planner",
    "target_spacing": "planner", "RECIPES": "recipes", "recipe_settings": "recipes", "TRAINERS": "trainer",
    "SupervisedTrainer": "trainer",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
