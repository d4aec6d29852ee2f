"""The synthetic head-CT hemorrhage generator (see :mod:`.generator`)."""

from .dataset import generate_dataset
from .generator import SynthCase, SynthConfig, generate_case, generate_on_base
from .shape_bank import ShapeBank

__all__ = ["ShapeBank", "SynthCase", "SynthConfig", "generate_case", "generate_dataset", "generate_on_base"]
