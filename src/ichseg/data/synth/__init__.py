"""The synthetic head-CT hemorrhage generator (see :mod:`.generator`)."""

from .dataset import generate_dataset
from .generator import SynthCase, SynthConfig, generate_case

__all__ = ["SynthCase", "SynthConfig", "generate_case", "generate_dataset"]
