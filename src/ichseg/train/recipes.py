"""Training recipes of the papers ichseg comes from: named, overridable settings.

A recipe is a dict of :class:`~ichseg.train.config.TrainingConfig` fields; a config file
and command-line flags override it. Registering a new recipe is adding an entry.
"""

from __future__ import annotations

from ..registry import Registry

RECIPES = Registry("recipe")


def _recipe(name: str, description: str, settings: dict) -> None:
    RECIPES.register(name, description=description)(lambda: dict(settings))


_recipe("nnunet", "nnU-Net: SGD Nesterov 0.99, lr 1e-2 poly, Dice+CE, deep supervision, plan-derived patch", {
    "model": "dynunet", "loss": "dice_ce", "optimizer": "sgd", "lr": 1e-2, "momentum": 0.99, "nesterov": True,
    "weight_decay": 3e-5, "schedule": "poly", "deep_supervision": True, "augmentation": "nnunet",
    "foreground_probability": 0.33, "configuration": "3d",
})
_recipe("viola", "viola-UNet: SGD Nesterov 0.99, lr 7e-3, warm-up + cosine, Dice+Focal, batch 2, 160x160x16, "
                 "validate every 200 steps, keep best", {
    "model": "viola_unet_s", "loss": "dice_focal", "optimizer": "sgd", "lr": 7e-3, "momentum": 0.99,
    "nesterov": True, "schedule": "warmup_cosine", "warmup_steps": 250, "batch_size": 2,
    "patch_size": [160, 160, 16], "validate_every": 200, "augmentation": "viola", "foreground_probability": 0.5,
    "configuration": "3d", "deep_supervision": True,
})
_recipe("hemseg", "HemSeg-200: AdamW lr 1e-2, Dice loss, 256x256x16 patches, 4 per volume with >= 1 foreground, "
                  "x/y flips", {
    "model": "unet", "loss": "dice", "optimizer": "adamw", "lr": 1e-2, "weight_decay": 1e-5, "schedule": "constant",
    "patch_size": [256, 256, 16], "samples_per_volume": 4, "min_foreground_per_volume": 1,
    "foreground_probability": 0.0, "augmentation": "hemseg", "configuration": "3d", "split": "holdout",
})
_recipe("ctich2d", "CT-ICH (Hssayeni 2020): 2D U-Net on 160x160 windows, stride 80, negative undersampling, "
                   "Adam lr 1e-5, Jaccard loss, brain window 40/120", {
    "model": "unet", "loss": "jaccard", "optimizer": "adam", "lr": 1e-5, "weight_decay": 0.0, "schedule": "constant",
    "configuration": "2d", "sampler": "ctich_windows", "window_size": 160, "window_stride": 80,
    "negative_ratio": 1.0, "normalization": {"scheme": "windows", "windows": "ctich_brain"}, "augmentation": "none",
})


def recipe_settings(name: str) -> dict:
    """The settings of a named recipe.

    Example:
        >>> recipe_settings("viola")["lr"]
        0.007
    """
    return RECIPES.build(name)
