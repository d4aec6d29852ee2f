"""The :class:`Volume`: a CT image in Hounsfield units with its place in the world."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import nibabel as nib
import numpy as np


@dataclass
class Volume:
    """A 3D CT image in Hounsfield units (or a label map) and its geometry.

    ``array`` is indexed ``[i, j, k]`` like NIfTI: voxel ``(i, j, k)`` lies at world
    position ``affine @ (i, j, k, 1)`` in millimetres, RAS+ (right, anterior, superior
    positive) as in NIfTI and nibabel. DICOM's LPS coordinates are converted on reading.

    Attributes:
        array: float32 or int16 HU values (or integer labels), shape ``(X, Y, Z)``.
        affine: 4x4 voxel-to-world (RAS, mm) matrix.
        metadata: facts about the source (files, series, scanner, choices made).
        warnings: things a user should know about the input (tilt, gaps, ...).

    Example:
        >>> import numpy as np
        >>> volume = Volume(np.zeros((4, 4, 2), np.int16), np.diag([0.5, 0.5, 5.0, 1.0]))
        >>> volume.spacing
        (0.5, 0.5, 5.0)
        >>> volume.voxel_volume_ml
        0.00125
    """

    array: np.ndarray
    affine: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.affine = np.asarray(self.affine, dtype=np.float64)
        if self.array.ndim != 3:
            raise ValueError(f"a Volume is 3D, got an array of shape {self.array.shape}")
        if self.affine.shape != (4, 4):
            raise ValueError(f"affine must be 4x4, got {self.affine.shape}")

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self.array.shape)  # type: ignore[return-value]

    @property
    def spacing(self) -> tuple[float, float, float]:
        """Voxel size along each array axis in mm (column norms of the affine)."""
        norms = np.linalg.norm(self.affine[:3, :3], axis=0)
        return tuple(float(round(n, 6)) for n in norms)  # type: ignore[return-value]

    @property
    def voxel_volume_ml(self) -> float:
        """Volume of one voxel in millilitres (|det| of the affine / 1000)."""
        return float(abs(np.linalg.det(self.affine[:3, :3])) / 1000.0)

    @property
    def orientation(self) -> str:
        """Axis codes of the array, e.g. ``'RAS'`` or ``'LPS'`` (nibabel's convention)."""
        return "".join(nib.orientations.aff2axcodes(self.affine))

    def world_coordinates(self, voxel_indices: np.ndarray) -> np.ndarray:
        """World (RAS, mm) positions of voxel indices given as an ``(N, 3)`` array."""
        indices = np.asarray(voxel_indices, dtype=np.float64)
        return indices @ self.affine[:3, :3].T + self.affine[:3, 3]

    def with_array(self, array: np.ndarray) -> Volume:
        """A new Volume on the same grid (e.g. a segmentation of this image)."""
        if array.shape != self.array.shape:
            raise ValueError(f"array shape {array.shape} does not match grid {self.array.shape}")
        return Volume(array, self.affine.copy(), dict(self.metadata), list(self.warnings))
