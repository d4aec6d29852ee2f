"""MONAI-style transforms over the preprocess functions: array and dictionary variants."""

from .array import NormalizeCT, WindowChannels
from .dictionary import NormalizeCTd, WindowChannelsd

__all__ = ["NormalizeCT", "NormalizeCTd", "WindowChannels", "WindowChannelsd"]
