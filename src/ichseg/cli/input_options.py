"""Command-line options shared by the commands that read a head CT."""

from __future__ import annotations

import argparse


def _floats(count: int):
    def parse(text: str) -> tuple[float, ...]:
        try:
            values = tuple(float(v) for v in text.split(","))
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"expected {count} comma-separated numbers, got {text!r}") from error
        if len(values) != count:
            raise argparse.ArgumentTypeError(f"expected {count} comma-separated numbers, got {text!r}")
        return values

    return parse


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """Add --series, --force, --window, --spacing and --reverse."""
    group = parser.add_argument_group("input")
    group.add_argument("--series", help="DICOM folders: SeriesNumber or SeriesInstanceUID to read instead of choosing")
    group.add_argument("--force", action="store_true", help="read a non-CT DICOM modality anyway")
    group.add_argument("--window", type=_floats(2), metavar="C,W",
                       help="2D PNG/JPG slices: display window centre,width")
    group.add_argument("--spacing", type=_floats(3), metavar="X,Y,Z",
                       help="2D slices and NumPy input: voxel size in mm")
    group.add_argument("--reverse", action="store_true", help="2D slices: files run superior to inferior")


def read_options(args: argparse.Namespace) -> dict:
    """The keyword arguments of :func:`ichseg.io.read_volume` from parsed options."""
    return {
        "series": args.series,
        "allow_non_ct": args.force,
        "window": args.window,
        "spacing": args.spacing,
        "reverse": args.reverse,
    }
