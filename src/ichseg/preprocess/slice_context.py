"""Neighbouring slices of a 2.5D model's input, the same in training and inference.

A 2.5D network sees each axial slice with ``k`` neighbours on either side as extra
channels. Where a neighbour does not exist (the first and last slices of a volume, a
single exported slice, a three-slice piece) the nearest existing slice stands in for it,
so a slice whose neighbours were not exported looks like a slice of a structure that goes
on unchanged, not like air beyond the head. Filling with the channel minimum (the former
rule) told the network "top of the head" and it then found no blood at all on a single
slice that holds a large hemorrhage (``benchmarks/input_robustness_bench.py``).
"""

from __future__ import annotations

import numpy as np


def context_indices(n_slices: int, context_slices: int) -> np.ndarray:
    """``(n_slices, 2k + 1)`` slice indices: slice ``z`` and its ``k`` neighbours per side,
    clipped to the volume (the nearest slice replaces a missing one).

    Example:
        >>> context_indices(3, 1).tolist()
        [[0, 0, 1], [0, 1, 2], [1, 2, 2]]
        >>> context_indices(1, 2).tolist()
        [[0, 0, 0, 0, 0]]
    """
    offsets = np.arange(-context_slices, context_slices + 1)
    return np.clip(np.arange(n_slices)[:, None] + offsets[None], 0, n_slices - 1)


def replicate_missing_neighbours(stack: np.ndarray, first: int, n_slices: int) -> np.ndarray:
    """``stack`` ``(..., 2k + 1)`` holds slices ``first .. first + 2k`` of a volume with
    ``n_slices`` slices (some may lie outside it); those outside are replaced, in place, by
    the nearest slice inside. Returns ``stack``.

    Example:
        >>> stack = np.array([[-1.0, 5.0, 6.0]])   # slice -1 does not exist
        >>> replicate_missing_neighbours(stack, -1, 10).tolist()
        [[5.0, 5.0, 6.0]]
    """
    positions = first + np.arange(stack.shape[-1])
    nearest = np.clip(positions, 0, n_slices - 1) - first
    outside = positions != nearest + first
    if outside.any():
        stack[..., outside] = stack[..., nearest[outside]]
    return stack
