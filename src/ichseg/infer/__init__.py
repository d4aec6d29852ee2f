"""Inference: sliding-window prediction (Gaussian blending), test-time flips, ensembles
and model bundles (weights + the plan that made them)."""
