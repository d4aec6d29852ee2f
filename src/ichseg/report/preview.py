"""``preview.png``: the most affected axial slices, brain window, classes in colour.

Slices are shown in radiological convention (patient's right on the image's left,
anterior up) from the RAS-reoriented scan; the legend gives each class's volume.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..io import Volume
from ..io.atomic import atomic_path
from ..labels import LABELS
from ..preprocess import to_ras, window_hu

CLASS_COLOURS = {1: "#e6194b", 2: "#4363d8", 3: "#ffe119", 4: "#3cb44b", 5: "#f58231", 6: "#911eb4"}
ALPHA = 0.45


def preview_slices(labels: np.ndarray, n_slices: int = 4) -> list[int]:
    """Indices of the ``n_slices`` axial slices with the most labelled voxels (in order),
    or evenly spaced central slices when nothing is labelled.

    Example:
        >>> labels = np.zeros((4, 4, 10), np.uint8); labels[:, :, 6] = 1; labels[0, :, 2] = 1
        >>> preview_slices(labels, 2)
        [2, 6]
    """
    counts = (labels > 0).sum(axis=(0, 1))
    n_slices = min(n_slices, labels.shape[2])
    if counts.any():
        chosen = [int(k) for k in np.argsort(-counts, kind="stable")[:n_slices] if counts[k] > 0]
    else:
        chosen = np.linspace(labels.shape[2] * 0.3, labels.shape[2] * 0.7, n_slices).round().astype(int).tolist()
    return sorted(set(chosen))


def _display(plane: np.ndarray) -> np.ndarray:
    return plane.T[::-1, ::-1]  # RAS (x, y) -> rows anterior-first, columns patient-right-first


def render_preview(image: Volume, labels: Volume, path: str | Path, *, volumes: dict | None = None,
                   title: str = "", n_slices: int = 4) -> Path:
    """Write the overlay PNG (atomically) and return its path."""
    image_ras, labels_ras = to_ras(image), to_ras(labels)
    slices = preview_slices(labels_ras.array, n_slices)
    spacing = image_ras.spacing
    figure = Figure(figsize=(3.2 * len(slices), 3.8), dpi=100)
    FigureCanvasAgg(figure)
    for position, k in enumerate(slices, start=1):
        axis = figure.add_subplot(1, len(slices), position)
        grey = window_hu(_display(image_ras.array[:, :, k]), 0.0, 80.0)
        rgb = np.repeat(grey[..., None], 3, axis=2)
        plane = _display(labels_ras.array[:, :, k])
        for value, colour in CLASS_COLOURS.items():
            mask = plane == value
            if mask.any():
                rgb[mask] = (1 - ALPHA) * rgb[mask] + ALPHA * np.asarray(to_rgb(colour))
        axis.imshow(rgb, aspect=spacing[1] / spacing[0], interpolation="nearest")
        axis.set_title(f"slice {k + 1}/{labels_ras.shape[2]}", fontsize=9)
        axis.set_xticks([])
        axis.set_yticks([])
        axis.text(0.02, 0.5, "R", transform=axis.transAxes, color="white", fontsize=8, va="center")
    handles = []
    for value, colour in CLASS_COLOURS.items():
        name = LABELS[value]
        volume = (volumes or {}).get(name, {}).get("volume_ml")
        if volume:
            handles.append(Patch(color=colour, label=f"{name} {volume:.1f} mL"))
    if handles:
        figure.legend(handles=handles, loc="lower center", ncol=min(len(handles), 6), fontsize=8, frameon=False)
    else:
        figure.text(0.5, 0.03, "no hemorrhage found", ha="center", fontsize=9)
    figure.suptitle(title + " (research use only, not for diagnosis)", fontsize=10)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png")
    return Path(path)
