"""A montage of synthetic cases, one row per hemorrhage type, for looking at them as a
radiologist would: the two most affected slices of each case in a brain window
(0-80 HU) with the label outline, and a bone-window slice.

Usage: ``python benchmarks/synth_montage.py [-o benchmarks/results/synth_montage.png]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ichseg.data.synth import SynthConfig, generate_case  # noqa: E402
from ichseg.labels import LABELS  # noqa: E402

COLOURS = {1: "red", 2: "deepskyblue", 3: "yellow", 4: "lime", 5: "magenta", 6: "orange"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(Path(__file__).parent / "results" / "synth_montage.png"))
    args = parser.parse_args()
    types = ("IPH", "IVH", "SAH", "SDH", "EDH")
    figure, axes = plt.subplots(len(types), 3, figsize=(12, 4 * len(types)))
    for row, kind in enumerate(types):
        case = generate_case(11 + row, SynthConfig(types=(kind, "PHE"), negative_fraction=0.0, pixel_mm=0.49, slice_mm=5.0))
        labels, image = case.labels.array, case.image.array
        order = np.argsort(-(labels > 0).sum(axis=(0, 1)))
        for col, k in enumerate(sorted(order[:2].tolist()) + [int(order[0])]):
            axis = axes[row, col]
            window = (0, 80) if col < 2 else (-200, 1300)
            axis.imshow(np.clip(image[:, :, k].T[::-1], *window), cmap="gray", vmin=window[0], vmax=window[1])
            if col < 2:
                for value, colour in COLOURS.items():
                    if (labels[:, :, k] == value).any():
                        axis.contour((labels[:, :, k] == value).T[::-1], levels=[0.5], colors=colour, linewidths=0.7)
            present = ", ".join(LABELS[v] for v in np.unique(labels) if v)
            axis.set_title(f"{kind} case (seed {11 + row}), slice {k}: {present or 'none'}", fontsize=8)
            axis.axis("off")
    figure.tight_layout()
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.output, dpi=70)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
