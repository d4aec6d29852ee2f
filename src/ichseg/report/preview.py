"""``preview.png``: the axial slices a reader needs to check the result, brain window,
each class as a translucent fill with a solid outline, so the blood under it stays visible.

Every class found appears on at least one panel (its largest slice); the remaining panels
show the slices with the most labelled voxels. Slices are drawn in radiological convention
(patient's right on the image's left, anterior up) from the RAS-reoriented scan, with
R/L/A markers, a 5 cm scale bar, the window, the input's own image number, and a legend
with each class's volume. Drawn with Pillow (matplotlib's import alone costs more than a
whole prediction's post-processing).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from ..io import Volume
from ..io.atomic import atomic_path
from ..labels import CLASS_COLOURS, LABELS
from ..preprocess import to_ras, window_hu

FILL_ALPHA = 0.28  # translucent enough to see the hyperdense blood beneath the colour
OUTLINE_PX = 2
PANEL_PX = 340  # the longer side of a panel's image
MAX_PANELS = 6  # one per class at most, when every class has its largest area on another slice
BRAIN_WINDOW = (40.0, 80.0)  # centre, width in HU
SCALE_BAR_MM = 50.0


def preview_slices(labels: np.ndarray, n_slices: int = 4) -> list[int]:
    """Indices (in order) of the axial slices to show: each class's largest slice, then
    the slices with the most labelled voxels, ``n_slices`` in all (more when more classes
    need a slice of their own, at most :data:`MAX_PANELS`); evenly spaced central slices
    when nothing is labelled.

    Example:
        >>> labels = np.zeros((4, 4, 10), np.uint8); labels[:, :, 6] = 1; labels[0, :, 2] = 1
        >>> preview_slices(labels, 2)
        [2, 6]
        >>> labels[0, 0, 8] = 5  # a one-voxel class still gets its panel
        >>> preview_slices(labels, 1)
        [6, 8]
    """
    n_slices = min(n_slices, labels.shape[2])
    counts = (labels > 0).sum(axis=(0, 1))
    if not counts.any():
        spread = np.linspace(labels.shape[2] * 0.3, labels.shape[2] * 0.7, n_slices).round().astype(int)
        return sorted({int(min(k, labels.shape[2] - 1)) for k in spread})
    chosen: list[int] = []
    for value in np.unique(labels[labels > 0]):
        largest = int(np.argmax((labels == value).sum(axis=(0, 1))))
        if largest not in chosen:
            chosen.append(largest)
    for k in np.argsort(-counts, kind="stable"):
        if len(chosen) >= max(n_slices, 1) or counts[k] == 0:
            break
        if int(k) not in chosen:
            chosen.append(int(k))
    return sorted(chosen[:max(MAX_PANELS, n_slices)])


def display_plane(plane: np.ndarray) -> np.ndarray:
    """An RAS axial plane (x, y) as displayed: rows anterior first, columns patient-right first."""
    return plane.T[::-1, ::-1]  # RAS (x, y) -> rows anterior-first, columns patient-right-first


def input_image_number(image: Volume, image_ras: Volume, k: int) -> tuple[int, int]:
    """``(number, total)`` of the input's own image nearest to RAS slice ``k``: through the
    affines to the input's third axis, then, where the reader resampled uneven gaps, to the
    source slice nearest to that position (``source_gaps_mm`` in the metadata).

    Example:
        >>> volume = Volume(np.zeros((2, 2, 5)), np.diag([1.0, 1.0, -3.0, 1.0]))  # runs head to feet
        >>> input_image_number(volume, to_ras(volume), 0)
        (5, 5)
    """
    centre = np.array([(image_ras.shape[0] - 1) / 2, (image_ras.shape[1] - 1) / 2, k, 1.0])
    index = float((np.linalg.inv(image.affine) @ image_ras.affine @ centre)[2])
    total = image.shape[2]
    gaps = image.metadata.get("source_gaps_mm")
    if isinstance(gaps, str):
        try:
            gaps = [float(g) for g in gaps.strip("[]").split(",") if g.strip()]
        except ValueError:
            gaps = None
    if gaps and image.metadata.get("resampled_along_normal") in (True, "True"):
        positions = np.concatenate([[0.0], np.cumsum(gaps)])
        nearest = int(np.argmin(np.abs(positions - index * image.spacing[2])))
        return nearest + 1, len(positions)
    return int(np.clip(round(index), 0, total - 1)) + 1, total


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], np.float32)


def overlay_panel(grey_plane: np.ndarray, label_plane: np.ndarray, spacing: tuple[float, float]
                  ) -> tuple[np.ndarray, float]:
    """An RGB uint8 panel (display orientation, square pixels) and its mm per pixel."""
    height_mm, width_mm = grey_plane.shape[0] * spacing[0], grey_plane.shape[1] * spacing[1]
    mm_per_px = max(height_mm, width_mm) / PANEL_PX
    size = (max(1, round(width_mm / mm_per_px)), max(1, round(height_mm / mm_per_px)))
    grey_image = Image.fromarray((grey_plane * 255).astype(np.uint8)).resize(size, Image.Resampling.BILINEAR)
    grey = np.asarray(grey_image, np.float32)
    labels = np.asarray(Image.fromarray(label_plane).resize(size, Image.Resampling.NEAREST))
    rgb = np.repeat(grey[..., None], 3, axis=2)
    for value, colour in CLASS_COLOURS.items():
        mask = labels == value
        if not mask.any():
            continue
        rgb[mask] = (1 - FILL_ALPHA) * rgb[mask] + FILL_ALPHA * _rgb(colour)
        outline = mask & ~ndimage.binary_erosion(mask, iterations=OUTLINE_PX)
        rgb[outline] = _rgb(colour)
    return rgb.round().astype(np.uint8), mm_per_px


def outlined_text(draw: ImageDraw.ImageDraw, xy, text: str, size: int, *, anchor: str = "la", fill="white") -> None:
    # a dark stroke keeps white letters legible on bone and on air alike
    draw.text(xy, text, font=_font(size), fill=fill, anchor=anchor, stroke_width=2, stroke_fill="black")


def render_preview(image: Volume, labels: Volume, path: str | Path, *, volumes: dict | None = None,
                   title: str = "", n_slices: int = 4) -> Path:
    """Write the overlay PNG (atomically) and return its path.

    Example:
        >>> import tempfile
        >>> scan = Volume(np.full((64, 64, 6), 30.0), np.diag([1.0, 1.0, 5.0, 1.0]))
        >>> seg = scan.with_array(np.zeros((64, 64, 6), np.uint8)); seg.array[20:30, 20:30, 2] = 1
        >>> out = render_preview(scan, seg, Path(tempfile.mkdtemp()) / "p.png", volumes={"IPH": {"volume_ml": 0.5}})
        >>> Image.open(out).mode
        'RGB'
    """
    image_ras, labels_ras = to_ras(image), to_ras(labels)
    slices = preview_slices(labels_ras.array, n_slices)
    low = BRAIN_WINDOW[0] - BRAIN_WINDOW[1] / 2
    panels = []
    for k in slices:
        grey = window_hu(display_plane(image_ras.array[:, :, k]).astype(np.float32), low, low + BRAIN_WINDOW[1])
        plane = display_plane(labels_ras.array[:, :, k]).astype(np.uint8)
        # displayed rows run along y, columns along x
        panels.append((k, *overlay_panel(grey, plane, (image_ras.spacing[1], image_ras.spacing[0]))))
    gap, top, bottom = 8, 34, 64
    width = sum(p[1].shape[1] for p in panels) + gap * (len(panels) + 1)
    height = top + max(p[1].shape[0] for p in panels) + 22 + bottom
    canvas = Image.new("RGB", (max(width, 640), height), "black")
    draw = ImageDraw.Draw(canvas)
    outlined_text(draw, (gap, 8), f"{title}  (research use only, not for diagnosis)", 18)
    x = gap
    for k, rgb, mm_per_px in panels:
        h, w = rgb.shape[:2]
        canvas.paste(Image.fromarray(rgb), (x, top))
        outlined_text(draw, (x + 4, top + h // 2), "R", 16, anchor="lm")
        outlined_text(draw, (x + w - 4, top + h // 2), "L", 16, anchor="rm")
        outlined_text(draw, (x + w // 2, top + 3), "A", 16, anchor="ma")
        bar = SCALE_BAR_MM / mm_per_px
        draw.rectangle([x + w - 8 - bar, top + h - 12, x + w - 8, top + h - 8], fill="white", outline="black")
        outlined_text(draw, (x + w - 8 - bar / 2, top + h - 14), "5 cm", 14, anchor="md")
        number, total = input_image_number(image, image_ras, k)
        outlined_text(draw, (x + w // 2, top + h + 4), f"image {number} of {total}", 16, anchor="ma")
        x += w + gap
    legend_y = height - bottom + 8
    found = [(value, (volumes or {}).get(name, {}).get("volume_ml")) for value, name in LABELS.items() if value]
    found = [(value, ml) for value, ml in found if ml]
    x = gap
    if not found:
        outlined_text(draw, (x, legend_y), "no hemorrhage found", 18)
    for value, ml in found:
        draw.rectangle([x, legend_y + 2, x + 16, legend_y + 18], fill=CLASS_COLOURS[value], outline="white")
        label = f"{LABELS[value]} {ml:.1f} mL"
        outlined_text(draw, (x + 22, legend_y), label, 18)
        x += 22 + int(draw.textlength(label, font=_font(18))) + 18
    window = f"brain window W{BRAIN_WINDOW[1]:.0f} L{BRAIN_WINDOW[0]:.0f}"
    outlined_text(draw, (canvas.width - gap, legend_y), window, 16, anchor="ra", fill="#cccccc")
    warnings = (volumes or {}).get("warnings") or []
    if warnings:
        more = f" (+{len(warnings) - 1} more in volumes.json)" if len(warnings) > 1 else ""
        note = f"warning: {warnings[0]}{more}"
        outlined_text(draw, (gap, legend_y + 28), note[:160], 15, fill="#ffb347")
    with atomic_path(path) as temporary:
        canvas.save(temporary, format="PNG")
    return Path(path)
