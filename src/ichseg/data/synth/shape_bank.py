"""Real lesion shapes for the generator: connected components of binary masks.

A bank is loaded from folders of NIfTI label maps and/or ``.zip`` archives of them (the
HemSeg releases in ``../shared/data/hemseg-labels`` are read straight from their zips and
never copied). Multi-class maps (BLAST-CT: 1 IPH, 2 extra-axial, 3 oedema, 4 IVH) give
their ``label`` class. Shapes are placed with a random in-plane rotation and mirror,
rescaled to the wanted volume within limits that keep them lesion-like.
"""

from __future__ import annotations

import gzip
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage

from ...labels import LESION_CONNECTIVITY

MIN_SHAPE_ML = 0.5
MAX_SCALE = 1.8


@dataclass(frozen=True)
class LesionShape:
    mask: np.ndarray  # cropped boolean component
    spacing: tuple[float, float, float]
    volume_ml: float
    source: str


def _components(data: np.ndarray, spacing, label: int | None, source: str) -> list[LesionShape]:
    mask = (data == label) if label is not None and data.max() > 1 else data > 0
    box = ndimage.find_objects(mask.astype(np.uint8))
    if not box or box[0] is None:
        return []
    mask = mask[box[0]]  # label only the part that holds lesions
    labelled, _count = ndimage.label(mask, LESION_CONNECTIVITY)
    shapes = []
    voxel_ml = float(np.prod(spacing)) / 1000
    for index, box in enumerate(ndimage.find_objects(labelled), start=1):
        component = labelled[box] == index
        volume = float(component.sum() * voxel_ml)
        if volume >= MIN_SHAPE_ML:
            shapes.append(LesionShape(np.pad(component, 1), _triple(spacing), volume, source))
    return shapes


def _triple(values) -> tuple[float, float, float]:
    x, y, z = (float(v) for v in values)
    return x, y, z


def _image_sources(path: Path) -> list[tuple[str, Callable]]:
    if path.is_dir():
        files = [(str(p), (lambda p=p: nib.load(str(p)))) for p in sorted(path.rglob("*.nii*"))]
        return files + [source for archive in sorted(path.rglob("*.zip")) for source in _image_sources(archive)]
    if path.suffix.lower() == ".zip":
        archive = zipfile.ZipFile(path)
        names = sorted(n for n in archive.namelist() if n.endswith((".nii", ".nii.gz")))
        return [(f"{path.name}:{n}", (lambda n=n: nib.Nifti1Image.from_bytes(
            gzip.decompress(archive.read(n)) if n.endswith(".gz") else archive.read(n)))) for n in names]
    if path.name.endswith((".nii", ".nii.gz")):
        return [(str(path), lambda: nib.load(str(path)))]
    raise ValueError(f"{path}: not a folder, .zip or NIfTI file of lesion masks")


class ShapeBank:
    """A seeded sample of real lesion shapes.

    Example:
        >>> bank = ShapeBank([LesionShape(np.ones((4, 4, 2), bool), (1.0, 1.0, 5.0), 0.16, "toy")])
        >>> len(bank)
        1
    """

    def __init__(self, shapes: list[LesionShape]) -> None:
        if not shapes:
            raise ValueError("the shape bank is empty: no lesion component of at least 0.5 mL was found")
        self.shapes = shapes

    def __len__(self) -> int:
        return len(self.shapes)

    @classmethod
    def load(cls, paths, *, max_files: int = 80, seed: int = 0, label: int | None = 1,
             part: tuple[int, int] = (0, 1)) -> ShapeBank:
        """Components of up to ``max_files`` label maps drawn (seeded) from ``paths``.

        ``part=(k, n)`` keeps only the files whose sorted index is ``k`` modulo ``n``, so
        ``(0, 2)`` and ``(1, 2)`` give disjoint banks (training vs held-out test shapes).
        """
        k, n = part
        if not 0 <= k < n:
            raise ValueError(f"part must be (k, n) with 0 <= k < n, got {part}")
        sources = [source for path in paths for source in _image_sources(Path(path))][k::n]
        rng = np.random.default_rng(seed)
        chosen = rng.permutation(len(sources))[:max_files]
        shapes: list[LesionShape] = []
        for index in sorted(chosen):
            name, opener = sources[index]
            image = opener()
            shapes += _components(np.asarray(image.dataobj), image.header.get_zooms()[:3], label, name)
        return cls(shapes)

    def sample(self, rng: np.random.Generator) -> LesionShape:
        return self.shapes[int(rng.integers(len(self.shapes)))]


def place_shape(shape: LesionShape, coordinates, centre, target_ml: float, rng: np.random.Generator,
                allowed: np.ndarray) -> np.ndarray:
    """Boolean mask of ``shape`` centred at ``centre`` (head-frame mm), scaled toward
    ``target_ml``, rotated in-plane and maybe mirrored, restricted to ``allowed``."""
    scale = float(np.clip((target_ml / shape.volume_ml) ** (1 / 3), 1 / MAX_SCALE, MAX_SCALE))
    angle = rng.uniform(0, 2 * np.pi)
    mirror = -1.0 if rng.random() < 0.5 else 1.0
    half_extent = np.array(shape.mask.shape) * np.array(shape.spacing) * scale / 2
    x, y, z = coordinates
    reach = float(np.linalg.norm(half_extent))
    near = allowed & ((x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2 < reach**2)
    points = np.flatnonzero(near.ravel())
    dx, dy, dz = (a.ravel()[points] - c for a, c in zip((x, y, z), centre))
    u = (np.cos(angle) * dx + np.sin(angle) * dy) * mirror
    v = -np.sin(angle) * dx + np.cos(angle) * dy
    index = [(offset / (spacing * scale)) + (n - 1) / 2
             for offset, spacing, n in zip((u, v, dz), shape.spacing, shape.mask.shape)]
    inside = ndimage.map_coordinates(shape.mask.astype(np.float32), index, order=1, cval=0.0) > 0.5
    result = np.zeros(allowed.shape, bool)
    result.ravel()[points[inside]] = True
    return result
