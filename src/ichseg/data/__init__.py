"""Datasets: the project's dataset format (nnU-Net v2 raw layout) and the synthetic generator."""
