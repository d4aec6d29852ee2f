"""``expansion.png``: baseline and follow-up side by side at the same levels (the follow-up
registered onto the baseline's grid), with each scan's labels and the volume change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ..io import Volume
from ..io.atomic import atomic_path
from ..labels import HEMORRHAGE_LABELS, IPH
from ..preprocess import to_ras, window_hu
from ..report.preview import BRAIN_WINDOW, display_plane, input_image_number, outlined_text, overlay_panel


def _levels(baseline_labels: np.ndarray, followup_labels: np.ndarray) -> list[int]:
    """The baseline's and the follow-up's largest IPH slices (any blood when there is no IPH)."""
    levels = []
    for labels in (baseline_labels, followup_labels):
        per_slice = (labels == IPH).sum(axis=(0, 1))
        if not per_slice.any():
            per_slice = np.isin(labels, HEMORRHAGE_LABELS).sum(axis=(0, 1))
        level = int(np.argmax(per_slice)) if per_slice.any() else labels.shape[2] // 2
        if level not in levels:
            levels.append(level)
    return sorted(levels)


def _change_line(change: dict) -> str:
    iph = change["IPH"]
    percent = "" if iph["change_percent"] is None else f", {iph['change_percent']:+.0f} %"
    line = f"IPH {iph['baseline_ml']:.1f} -> {iph['followup_ml']:.1f} mL ({iph['change_ml']:+.1f} mL{percent})"
    flags = [name for name, on in (("EXPANSION", change["iph_expansion"]), ("NEW IVH", change["new_ivh"])) if on]
    return line + ("   " + ", ".join(flags) if flags else "   no expansion by the 6 mL / 33 % rule")


def render_expansion(baseline: Volume, baseline_labels: Volume, followup: Volume, followup_labels: Volume,
                     change: dict, path: str | Path) -> Path:
    """Write the picture; ``followup`` and ``followup_labels`` are on the baseline's grid."""
    scans = [to_ras(v) for v in (baseline, baseline_labels, followup, followup_labels)]
    low = BRAIN_WINDOW[0] - BRAIN_WINDOW[1] / 2
    rows = []
    for k in _levels(scans[1].array, scans[3].array):
        pair = []
        for image, labels in ((scans[0], scans[1]), (scans[2], scans[3])):
            grey = window_hu(display_plane(image.array[:, :, k]).astype(np.float32), low, low + BRAIN_WINDOW[1])
            panel, _ = overlay_panel(grey, display_plane(labels.array[:, :, k]).astype(np.uint8),
                                     (image.spacing[1], image.spacing[0]))
            pair.append(panel)
        rows.append((k, pair))
    gap, top = 8, 62
    width = 2 * rows[0][1][0].shape[1] + 3 * gap
    height = top + sum(pair[0].shape[0] + gap for _, pair in rows) + gap
    canvas = Image.new("RGB", (max(width, 640), height), "black")
    draw = ImageDraw.Draw(canvas)
    outlined_text(draw, (gap, 6), _change_line(change), 18)
    outlined_text(draw, (gap, 32), "baseline", 16)
    outlined_text(draw, (2 * gap + rows[0][1][0].shape[1], 32), "follow-up, registered to baseline", 16)
    y = top
    for k, pair in rows:
        x = gap
        for panel in pair:
            canvas.paste(Image.fromarray(panel), (x, y))
            outlined_text(draw, (x + 4, y + panel.shape[0] // 2), "R", 16, anchor="lm")
            x += panel.shape[1] + gap
        number, total = input_image_number(baseline, scans[0], k)
        outlined_text(draw, (gap + 4, y + 4), f"baseline image {number} of {total}", 14)
        y += pair[0].shape[0] + gap
    with atomic_path(path) as temporary:
        canvas.save(temporary, format="PNG")
    return Path(path)
