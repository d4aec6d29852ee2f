"""A montage of synthetic cases, one row per hemorrhage type, for looking at them as a
radiologist would: for a procedural head and for the real GE scan with inserted blood,
the most affected slice in a brain window (0-80 HU) with and without the label outline.

Usage: ``python benchmarks/synth_montage.py [-o benchmarks/results/synth_montage.png]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from ichseg.data.synth import SynthConfig, generate_case, generate_on_base
from ichseg.labels import LABELS
from ichseg.resources import example_path

COLOURS = {1: "red", 2: "deepskyblue", 3: "yellow", 4: "lime", 5: "magenta", 6: "orange"}


def _show(axis, image, labels, k, window, outline, title):
    axis.imshow(np.clip(image[:, :, k].T[::-1], *window), cmap="gray", vmin=window[0], vmax=window[1])
    if outline:
        for value, colour in COLOURS.items():
            if (labels[:, :, k] == value).any():
                axis.contour((labels[:, :, k] == value).T[::-1], levels=[0.5], colors=colour, linewidths=0.7)
    axis.set_title(title, fontsize=8)
    axis.axis("off")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(Path(__file__).parent / "results" / "synth_montage.png"))
    args = parser.parse_args()
    types = ("IPH", "IVH", "SAH", "SDH", "EDH")
    base = str(example_path("ge_head_ct"))
    figure, axes = plt.subplots(len(types), 4, figsize=(16, 4 * len(types)))
    for row, kind in enumerate(types):
        config = SynthConfig(types=(kind, "PHE"), negative_fraction=0.0, pixel_mm=0.49, slice_mm=5.0)
        for offset, (source, case) in enumerate((("procedural", generate_case(11 + row, config)),
                                                 ("GE base", generate_on_base(11 + row, base, config)))):
            labels, image = case.labels.array, case.image.array
            k = int(np.argmax((labels > 0).sum(axis=(0, 1))))
            present = ", ".join(LABELS[v] for v in np.unique(labels) if v)
            flip = source == "GE base"  # the GE array is LPS-like: show it as stored, anterior up
            shown = image[:, ::-1] if flip else image
            shown_labels = labels[:, ::-1] if flip else labels
            _show(axes[row, 2 * offset], shown, shown_labels, k, (0, 80), True, f"{source}, {kind}: {present}")
            _show(axes[row, 2 * offset + 1], shown, shown_labels, k, (0, 80), False, f"{source}, slice {k}, no outline")
    figure.tight_layout()
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.output, dpi=70)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
