"""Baseline and follow-up pairs for hematoma-expansion tests: the same synthetic head, the
IPH grown by a known volume, the head in another pose in the scanner.

The hematoma grows into the brain around it (the parenchyma voxels nearest to the clot,
so it does not run into the ventricles or the skull), painted with the clot's own median
HU and the scan's noise; the pose is a rigid motion of the head about its centre. Both
happen on thin (1.25 mm) slices, which are then averaged into the thick slices of the
scan, as a scanner would acquire the moved head: moving a thick-slice volume instead
would blur it across slices in a way no acquisition does.

Example:
    >>> pair = expansion_pair(3, growth_ml=5.0, rotation_deg=(0, 0, 10), shift_mm=(5, 0, 0), pixel_mm=3.0)
    >>> bool(abs(pair.true_growth_ml - 5.0) < 1.5), pair.baseline.shape == pair.followup.shape
    (True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial.transform import Rotation

from ...io import Volume
from ...labels import HEMORRHAGE_LABELS, IPH, PHE
from .generator import WORKING_MM, SynthConfig, drop_bone_like, generate_case
from .physics import average_subslices

PARENCHYMA_HU = (15.0, 60.0)


def grow_hematoma(image: Volume, labels: Volume, growth_ml: float, rng: np.random.Generator
                  ) -> tuple[Volume, Volume]:
    """The follow-up image and labels with the IPH grown by about ``growth_ml``."""
    hu, classes = np.asarray(image.array, np.float32).copy(), np.asarray(labels.array).copy()
    clot = classes == IPH
    if not clot.any():
        raise ValueError("the case has no IPH to grow")
    distance = ndimage.distance_transform_edt(~clot, sampling=image.spacing)
    candidates = ~clot & (((hu > PARENCHYMA_HU[0]) & (hu < PARENCHYMA_HU[1])) | (classes == PHE))
    order = np.flatnonzero(candidates)
    order = order[np.argsort(distance.ravel()[order], kind="stable")]  # nearest first: the clot grows in shells
    grown = np.zeros(hu.shape, bool)
    grown.ravel()[order[:int(round(growth_ml / image.voxel_volume_ml))]] = True
    reach = float(distance[grown].max()) if grown.any() else 0.0
    blood = float(np.median(hu[clot]))
    noise = float(np.std(hu[candidates & (distance > reach + 10) & (distance < reach + 25)])) or 4.0
    hu[grown] = blood + rng.normal(0.0, min(noise, 8.0), int(grown.sum()))
    classes[grown] = IPH
    return image.with_array(np.rint(hu).astype(np.int16)), labels.with_array(classes)


def rigid_motion(rotation_deg: tuple[float, float, float], shift_mm: tuple[float, float, float],
                 centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(matrix, offset)`` with ``moved = matrix @ point + offset``: rotations about the
    R, A, S axes (degrees, in that order) about ``centre``, then the shift."""
    matrix = Rotation.from_euler("xyz", rotation_deg, degrees=True).as_matrix()
    return matrix, np.asarray(centre) + np.asarray(shift_mm) - matrix @ np.asarray(centre)


def repose(image: Volume, labels: Volume, rotation_deg: tuple[float, float, float],
           shift_mm: tuple[float, float, float]) -> tuple[Volume, Volume, np.ndarray, np.ndarray]:
    """The same head moved rigidly within the same field of view (same grid and affine).

    Returns:
        image, labels, and the motion ``(matrix, offset)`` from the original head's RAS
        points to where they are now.
    """
    head = np.argwhere(np.asarray(image.array) > -300)
    centre = (image.affine @ np.array([*head.mean(axis=0), 1.0]))[:3]
    matrix, offset = rigid_motion(rotation_deg, shift_mm, centre)
    # output voxel -> RAS -> where that point was before the motion -> input voxel
    inverse = np.block([[matrix.T, (-matrix.T @ offset)[:, None]], [np.zeros((1, 3)), np.ones((1, 1))]])
    to_input = np.linalg.inv(image.affine) @ inverse @ image.affine
    moved = ndimage.affine_transform(np.asarray(image.array, np.float32), to_input[:3, :3], to_input[:3, 3],
                                     order=1, cval=-1024.0)
    moved_labels = ndimage.affine_transform(np.asarray(labels.array), to_input[:3, :3], to_input[:3, 3], order=0)
    return (image.with_array(np.rint(moved).astype(np.int16)), labels.with_array(moved_labels.astype(np.uint8)),
            matrix, offset)


def thicken(image: Volume, labels: Volume, per_slice: int) -> tuple[Volume, Volume]:
    """Average every ``per_slice`` thin slices into one (HU), a class where it covers at
    least half of the thick voxel (labels), as the generator makes its thick slices; as
    there, a thick voxel that the skull makes bone-bright (a clot against the inner table)
    is left out of the reference (``drop_bone_like``)."""
    depth = image.shape[2] // per_slice * per_slice
    hu = average_subslices(np.asarray(image.array[:, :, :depth], np.float32), per_slice)
    present = [v for v in (*HEMORRHAGE_LABELS, PHE) if (labels.array == v).any()]
    classes = np.zeros(hu.shape, np.uint8)
    if present:
        fractions = np.stack([average_subslices((labels.array[:, :, :depth] == v).astype(np.float32), per_slice)
                              for v in present])
        keep = fractions.max(axis=0) >= 0.5
        classes[keep] = np.asarray(present, np.uint8)[fractions.argmax(axis=0)[keep]]
        drop_bone_like(classes, hu)
    affine = image.affine.copy()
    affine[:3, 3] += affine[:3, 2] * (per_slice - 1) / 2  # the thick slice's centre
    affine[:3, 2] *= per_slice
    return (Volume(np.rint(hu).astype(np.int16), affine, dict(image.metadata)),
            Volume(classes, affine.copy(), dict(labels.metadata)))


@dataclass(frozen=True)
class ExpansionPair:
    """A baseline and a follow-up of one synthetic head, their reference labels, and the
    motion from the baseline head's RAS points to the follow-up's (``matrix``, ``offset``)."""

    baseline: Volume
    baseline_labels: Volume
    followup: Volume
    followup_labels: Volume
    matrix: np.ndarray
    offset: np.ndarray

    @property
    def true_growth_ml(self) -> float:
        voxels = (self.followup_labels.array == IPH).sum() - (self.baseline_labels.array == IPH).sum()
        return float(voxels * self.baseline_labels.voxel_volume_ml)


def expansion_pair(seed: int, *, growth_ml: float, rotation_deg: tuple[float, float, float],
                   shift_mm: tuple[float, float, float], slice_mm: float = 5.0, pixel_mm: float | None = 0.9,
                   config: SynthConfig | None = None) -> ExpansionPair:
    """A synthetic case with an IPH (``seed``), grown by ``growth_ml`` and moved (see the module docstring)."""
    base = config or SynthConfig(types=("IPH",), negative_fraction=0.0, tilt_probability=0.0)
    thin = SynthConfig(**{**base.__dict__, "slice_mm": WORKING_MM, "pixel_mm": pixel_mm})
    case = generate_case(seed, thin)
    per_slice = max(1, int(round(slice_mm / WORKING_MM)))
    rng = np.random.default_rng(seed)
    grown_image, grown_labels = grow_hematoma(case.image, case.labels, growth_ml, rng)
    moved_image, moved_labels, matrix, offset = repose(grown_image, grown_labels, rotation_deg, shift_mm)
    baseline, baseline_labels = thicken(case.image, case.labels, per_slice)
    followup, followup_labels = thicken(moved_image, moved_labels, per_slice)
    return ExpansionPair(baseline, baseline_labels, followup, followup_labels, matrix, offset)
