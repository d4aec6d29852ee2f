"""HU windowing: one window to [0, 1], or several windows stacked as channels.

Windows are ``(low, high)`` HU ranges; :func:`window_from_center_width` converts the
centre/width form of DICOM and the papers. The presets are the one place the project's
windows are defined.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def window_from_center_width(center: float, width: float) -> tuple[float, float]:
    """``(center, width)`` -> ``(low, high)``.

    Example:
        >>> window_from_center_width(40, 80)
        (0.0, 80.0)
    """
    if width <= 0:
        raise ValueError(f"window width must be positive, got {width}")
    return (float(center) - float(width) / 2, float(center) + float(width) / 2)


WINDOW_PRESETS: dict[str, tuple[tuple[float, float], ...]] = {
    # Classic single windows (centre/width): brain 40/80, stroke 40/40, subdural 80/200, bone 600/2800.
    "brain": (window_from_center_width(40, 80),),
    "stroke": (window_from_center_width(40, 40),),
    "subdural": (window_from_center_width(80, 200),),
    "bone": (window_from_center_width(600, 2800),),
    # CT-ICH (Hssayeni et al.) exported its JPGs in a 40/120 brain window.
    "ctich_brain": (window_from_center_width(40, 120),),
    # Three-window "RGB" input (blood, blood + edema + CSF, bone) as ranges in HU.
    "rgb3": ((0.0, 100.0), (-20.0, 200.0), (-200.0, 1300.0)),
    # The RSNA-2019 challenge favourite: brain, subdural, bone windows.
    "rsna3": (window_from_center_width(40, 80), window_from_center_width(80, 200), window_from_center_width(600, 2800)),
}


def resolve_windows(windows: str | Sequence[Sequence[float]]) -> tuple[tuple[float, float], ...]:
    """A preset name or a list of ``(low, high)`` pairs -> validated windows."""
    if isinstance(windows, str):
        if windows not in WINDOW_PRESETS:
            raise ValueError(f"unknown window preset {windows!r}; known: {', '.join(WINDOW_PRESETS)}")
        return WINDOW_PRESETS[windows]
    resolved = tuple((float(low), float(high)) for low, high in windows)
    for low, high in resolved:
        if high <= low:
            raise ValueError(f"window ({low}, {high}) must have high > low")
    return resolved


def window_hu(array: np.ndarray, low: float, high: float) -> np.ndarray:
    """Map HU in ``[low, high]`` linearly to ``[0, 1]``, clipping outside (float32).

    Example:
        >>> window_hu(np.array([-100.0, 40.0, 200.0]), 0, 80).tolist()
        [0.0, 0.5, 1.0]
    """
    if high <= low:
        raise ValueError(f"window ({low}, {high}) must have high > low")
    scale = np.float32(1.0 / (high - low))
    out = (np.asarray(array, dtype=np.float32) - np.float32(low)) * scale
    return np.clip(out, 0.0, 1.0, out=out)


def window_channels(array: np.ndarray, windows: str | Sequence[Sequence[float]]) -> np.ndarray:
    """Stack one windowed copy per window as a leading channel axis: ``(C, *array.shape)``.

    Example:
        >>> window_channels(np.zeros((2, 2, 2)), "rgb3").shape
        (3, 2, 2, 2)
    """
    return np.stack([window_hu(array, low, high) for low, high in resolve_windows(windows)])
