"""The ``--bootstrap`` and ``--seed`` options shared by ``evaluate`` and ``compare``."""

from __future__ import annotations

import argparse


def resample_count(text: str) -> int:
    """A whole number >= 0 (0 switches the confidence intervals off).

    Example:
        >>> resample_count("0"), resample_count("2000")
        (0, 2000)
    """
    try:
        count = int(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected a whole number of resamples, got {text!r}") from error
    if count < 0:
        raise argparse.ArgumentTypeError(f"resamples must be 0 (no CIs) or more, got {count}")
    return count


def add_bootstrap_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bootstrap", type=resample_count, default=2000,
                        help="bootstrap resamples for the 95%% CIs (0: no CIs; default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
