"""The HU-threshold baseline: a model-free row of the CT-ICH paper's table, as a network.

A voxel is blood when its HU lies in ``[low, high]``. The "network" reads one input
channel (the centre slice's window that best covers blood, or the CT-normalised
channel), converts it back to HU and thresholds it softly, so the two bounds are its
only parameters and the ordinary trainer tunes them on the training set with any loss
(``ichseg train DS -o OUT --model hu_threshold``). Blood is reported as IPH (class 1):
a threshold cannot tell the types apart, so compare it on the ``any`` region.

Example:
    >>> import torch
    >>> model = HUThreshold(in_channels=1, out_channels=7, hu_scale=100.0, hu_offset=0.0)   # channel = HU / 100
    >>> hu = torch.tensor([20.0, 65.0, 300.0]).reshape(1, 1, 3, 1)
    >>> model(hu / 100).argmax(1).flatten().tolist()
    [0, 1, 0]
"""

from __future__ import annotations

import torch
from torch import nn

from ..preprocess.windowing import resolve_windows
from .registry import MODELS

DEFAULT_RANGE_HU = (50.0, 90.0)  # acute blood on non-contrast CT; tuned by training
BLOOD_WINDOW_HU = (20.0, 100.0)  # the HU span a channel must cover to be read
SOFTNESS_HU = 3.0  # width of the soft edges; gives the bounds a gradient
BACKGROUND_LOGIT = -20.0


class HUThreshold(nn.Module):
    """Soft ``low <= HU <= high`` on one input channel; logits for ``out_channels`` classes.

    Args:
        channel: the input channel to read; ``hu = channel_value * hu_scale + hu_offset``.
        low_hu, high_hu: the initial range (learnable).
    """

    def __init__(self, in_channels: int, out_channels: int, *, channel: int = 0, hu_scale: float = 1.0,
                 hu_offset: float = 0.0, low_hu: float = DEFAULT_RANGE_HU[0],
                 high_hu: float = DEFAULT_RANGE_HU[1]) -> None:
        super().__init__()
        if not 0 <= channel < in_channels:
            raise ValueError(f"channel {channel} is not one of the {in_channels} input channels")
        if out_channels < 2:
            raise ValueError("needs at least background and one blood class")
        self.channel, self.out_channels = channel, out_channels
        self.hu_scale, self.hu_offset = float(hu_scale), float(hu_offset)
        self.low_hu = nn.Parameter(torch.tensor(float(low_hu)))
        self.high_hu = nn.Parameter(torch.tensor(float(high_hu)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hu = x[:, self.channel:self.channel + 1] * self.hu_scale + self.hu_offset
        # log(sigmoid(a) * sigmoid(b)) - log(1 - ...) is the blood logit; logsigmoid keeps it finite
        inside = nn.functional.logsigmoid((hu - self.low_hu) / SOFTNESS_HU) + \
            nn.functional.logsigmoid((self.high_hu - hu) / SOFTNESS_HU)
        blood = inside - torch.log1p(-inside.exp().clamp(max=1 - 1e-6))
        others = torch.full_like(blood, BACKGROUND_LOGIT).expand(-1, self.out_channels - 2, *blood.shape[2:])
        return torch.cat([torch.zeros_like(blood), blood, others], dim=1)


def channel_to_hu(normalization: dict, context_slices: int) -> dict:
    """Which input channel to read and how to turn it back into HU (the builder's options).

    With HU windows the centre slice's narrowest window covering 20-100 HU is read (the
    widest when none does); with CT normalisation the single channel is un-normalised.

    Example:
        >>> channel_to_hu({"scheme": "windows", "windows": "rgb3"}, context_slices=1)
        {'channel': 1, 'hu_scale': 100.0, 'hu_offset': 0.0}
    """
    if normalization.get("scheme") == "ct":
        statistics = normalization["statistics"]
        return {"channel": context_slices, "hu_scale": float(statistics["std"]), "hu_offset": float(statistics["mean"])}
    windows = resolve_windows(normalization["windows"])
    covering = [k for k, (low, high) in enumerate(windows) if low <= BLOOD_WINDOW_HU[0] and high >= BLOOD_WINDOW_HU[1]]
    width = [high - low for low, high in windows]
    index = min(covering, key=width.__getitem__) if covering else max(range(len(windows)), key=width.__getitem__)
    low, high = windows[index]
    # channel order of a 2.5D input: window * (2k + 1) + neighbour (see infer.sliding_window)
    channel = index * (2 * context_slices + 1) + context_slices
    return {"channel": channel, "hu_scale": float(high - low), "hu_offset": float(low)}


@MODELS.register("hu_threshold", description="HU-threshold baseline (CT-ICH paper's model-free row): blood = HU in "
                 "a learnt [low, high], reported as IPH", dims=(2, 3), size_multiple={2: (1, 1), 3: (1, 1, 1)},
                 input_options=channel_to_hu)
def build_hu_threshold(spatial_dims, in_channels, out_channels, **config):
    return HUThreshold(in_channels, out_channels, **config)
