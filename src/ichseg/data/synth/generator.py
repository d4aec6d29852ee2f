"""One synthetic case: a procedural head, its hemorrhages and the scanner physics.

Everything random is drawn from one ``numpy.random.Generator`` seeded per case, so the
same seed always gives the same image, labels and parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from ...io import Volume
from ...labels import HEMORRHAGE_LABELS, PHE
from . import lesions
from .base import load_base
from .fields import Grid
from .head import HeadAnatomy, build_head, rotation_matrix, sample_head_parameters
from .mass_effect import apply_mass_effect
from .physics import AIR, add_streaks, average_subslices, correlated_noise, interpolation_matrix, to_output_plane
from .shape_bank import ShapeBank

TYPES = ("IPH", "IVH", "SAH", "SDH", "EDH", "PHE")
WORKING_MM = 1.25
# Brighter than any blood (<= ~100 HU): a voxel this bright before noise reads as bone
# or calcification in a brain window, so annotators leave it out of the hemorrhage.
BONE_LIKE_HU = 150.0


def drop_bone_like(labels: np.ndarray, noise_free_hu: np.ndarray) -> np.ndarray:
    """Reference labels as drawn on the image: voxels whose partial volume with the skull
    (thick slices at the convexity, the skull base) makes them bone-bright are unlabelled.

    Example:
        >>> drop_bone_like(np.array([4, 4, 0], np.uint8), np.array([70.0, 600.0, 30.0])).tolist()
        [4, 0, 0]
    """
    labels[noise_free_hu > BONE_LIKE_HU] = 0
    return labels


@dataclass
class SynthConfig:
    """What to generate (per-case values are drawn within these ranges).

    Args:
        types: hemorrhage types that may appear (PHE comes with IPH).
        negative_fraction: share of cases without any hemorrhage.
        pixel_mm: in-plane pixel size, fixed or None for 0.4-1.0 mm.
        slice_mm: slice thickness (= spacing), fixed or None for 2.5-7 mm.
        noise_hu: range of the noise SD.
        tilt_probability: share of cases acquired with gantry tilt (oblique affine).
        streak_probability: share of cases with skull-base streaks.
        shape_bank: real lesion shapes for IPH (see :mod:`.shape_bank`).
        bank_probability: share of IPH drawn from the bank when there is one.
        mass_effect_probability: share of cases with >= 20 mL of blood whose brain is
            displaced (see :mod:`.mass_effect`).
    """

    types: tuple[str, ...] = TYPES
    negative_fraction: float = 0.2
    pixel_mm: float | None = None
    slice_mm: float | None = None
    noise_hu: tuple[float, float] = (3.0, 12.0)
    tilt_probability: float = 0.2
    streak_probability: float = 0.3
    shape_bank: ShapeBank | None = None
    bank_probability: float = 0.5
    mass_effect_probability: float = 0.6


@dataclass
class SynthCase:
    image: Volume
    labels: Volume
    parameters: dict = field(default_factory=dict)
    lesions: list[dict] = field(default_factory=list)


def _sample_lesions(rng: np.random.Generator, config: SynthConfig, seed: int) -> list[tuple[str, dict]]:
    if rng.random() < config.negative_fraction:
        return []
    allowed = [t for t in config.types if t != "PHE"] or ["IPH"]
    # The main type cycles with the seed, so any few consecutive cases hold every type
    # (balanced classes); further types are random.
    primary = allowed[seed % len(allowed)]
    count = 1 + int(rng.random() < 0.35) + int(rng.random() < 0.1)
    others = [t for t in allowed if t != primary]
    chosen = [primary] + list(rng.choice(others, size=min(count - 1, len(others)), replace=False))
    plans = []
    for kind in chosen:
        if kind == "IPH":
            volume = float(np.exp(rng.uniform(np.log(0.5), np.log(120))))
            location = str(rng.choice(["lobar", "deep", "infratentorial"], p=[0.45, 0.4, 0.15]))
            age = str(rng.choice(["hyperacute", "acute"], p=[0.15, 0.85]))
            use_bank = config.shape_bank is not None and rng.random() < config.bank_probability
            shape = config.shape_bank.sample(rng) if use_bank and config.shape_bank is not None else None
            plans.append(("IPH", {"volume_ml": volume, "location": location, "age": age, "bank_shape": shape}))
        elif kind == "IVH":
            plans.append(("IVH", {"pattern": str(rng.choice(["layering", "cast"], p=[0.7, 0.3]))}))
        elif kind == "SDH":
            plans.append(("SDH", {"age": str(rng.choice(["acute", "subacute", "chronic"], p=[0.7, 0.15, 0.15]))}))
        else:
            plans.append((kind, {}))
    return plans


PAINTERS: dict[str, Callable[..., Any]] = {"IPH": lesions.add_iph, "IVH": lesions.add_ivh, "SAH": lesions.add_sah,
                                         "SDH": lesions.add_sdh, "EDH": lesions.add_edh}


def _draw(anatomy: HeadAnatomy, labels, hu, rng, plans, allow_edema: bool, mass_effect_probability: float = 0.0
          ) -> list[dict]:
    original = hu.copy() if mass_effect_probability > 0 else None
    drawn = []
    for kind, options in plans:
        painter = PAINTERS[kind]
        info = painter(anatomy, labels, hu, rng, **options)
        if info:
            drawn.append(info)
    if drawn and original is not None and rng.random() < mass_effect_probability:
        effect = apply_mass_effect(anatomy, original, hu.copy(), labels)
        if effect["mass_effect_mm"] > 0:
            drawn.append({"type": "mass_effect", **effect})
    if not allow_edema:
        labels[labels == PHE] = 0  # drawn as tissue, not labelled
    return drawn


def generate_on_base(seed: int, base_path: str, config: SynthConfig | None = None) -> SynthCase:
    """Insert hemorrhages into a real head CT (its own grid, affine and noise).

    The scan is mirrored left-right with probability 1/2 (array flipped, affine kept) so
    one base gives two anatomies. Lesion HU changes are smoothed slightly across slices
    (partial volume) and carry noise of the scan's measured SD.
    """
    config = config or SynthConfig()
    rng = np.random.default_rng(seed)
    volume, base = load_base(str(base_path))
    mirrored = bool(rng.random() < 0.5)
    flip = (lambda a: a[::-1]) if mirrored else (lambda a: a)
    x, y, z = base.head_coordinates
    anatomy = HeadAnatomy(
        grid=base.grid, hu=np.ascontiguousarray(flip(base.hu)).copy(), intracranial=flip(base.intracranial),
        depth=flip(base.depth), parenchyma=flip(base.parenchyma), ventricles=flip(base.ventricles),
        csf_spaces=flip(base.csf_spaces), deep_grey=flip(base.deep_grey), infratentorial=flip(base.infratentorial),
        side=flip(base.side), skull=flip(base.skull), sutures=base.sutures, head_coordinates=(x, y, z),
        parameters=base.parameters,
    )
    original = anatomy.hu.copy()
    labels = np.zeros(anatomy.hu.shape, np.uint8)
    drawn = _draw(anatomy, labels, anatomy.hu, rng, _sample_lesions(rng, config, seed), "PHE" in config.types,
                  config.mass_effect_probability)
    change = anatomy.hu - original
    if np.any(change):
        # Only the cavity, the lesions and fracture lines may change (the skull holds still).
        fracture = (np.abs(change) > 20) & ~anatomy.intracranial
        allowed = anatomy.intracranial | ndimage.binary_dilation((labels > 0) | fracture, iterations=1)
        change = ndimage.gaussian_filter1d(change, sigma=0.35, axis=2)  # partial volume across thick slices
        change[~allowed] = 0
        noise = correlated_noise(rng, change.shape, base.parameters["noise_sd_hu"])
        touched = ndimage.binary_dilation(np.abs(change) > 1.0, iterations=1) & allowed
        drop_bone_like(labels, original + change)
        image = original + change + np.where(touched, noise, 0)
    else:
        image = original
    image_int = np.clip(np.rint(image), -1024, 3071).astype(np.int16)
    parameters = {
        "seed": seed, "anatomy": f"base:{Path(base_path).name}", "mirrored": mirrored,
        "pixel_mm": round(volume.spacing[0], 4), "slice_mm": round(volume.spacing[2], 4), "shape": list(volume.shape),
        "noise_sd_hu": round(base.parameters["noise_sd_hu"], 2),
    }
    metadata = {"format": "synthetic", "source": f"ichseg synth seed {seed} on {base_path}"}
    return SynthCase(Volume(image_int, volume.affine.copy(), dict(metadata)),
                     Volume(labels, volume.affine.copy(), dict(metadata)), parameters, drawn)


def generate_case(seed: int, config: SynthConfig | None = None) -> SynthCase:
    """Generate one labelled case (int16 HU image and uint8 labels on the same grid).

    Example:
        >>> case = generate_case(3, SynthConfig(pixel_mm=0.98, slice_mm=5.0))
        >>> case.image.array.dtype, case.labels.array.dtype, case.image.shape == case.labels.shape
        (dtype('int16'), dtype('uint8'), True)
    """
    config = config or SynthConfig()
    rng = np.random.default_rng(seed)
    head_parameters = sample_head_parameters(rng)
    pixel = float(config.pixel_mm or rng.choice([0.43, 0.45, 0.49, 0.5, 0.6, 0.7, 0.8, 1.0]))
    thickness = float(config.slice_mm or rng.choice([2.5, 3.0, 4.0, 5.0, 5.0, 6.0, 7.0]))
    fov = float(rng.uniform(220, 250))
    n_pixels = min(512, int(round(fov / pixel)))
    tilt = float(rng.uniform(10, 25)) if rng.random() < config.tilt_probability else 0.0
    rx, ry, rz = head_parameters["cavity_radii_mm"]
    bottom, top = -1.05 * rz, rz + 16.0
    n_slices = int(math.ceil((top - bottom) / thickness))
    per_slice = max(1, int(round(thickness / WORKING_MM)))
    half = max(rx, ry) + 25.0
    step = max(WORKING_MM, pixel)
    n_work = int(math.ceil(2 * half / step)) + 1
    grid = Grid((-half, -half, bottom + thickness / (2 * per_slice)), (step, step, thickness / per_slice),
                (n_work, n_work, n_slices * per_slice))

    anatomy = build_head(grid, head_parameters, rng, gantry_tilt_deg=tilt)
    gantry = rotation_matrix(-tilt, 0, 0)  # the output affine carries the tilt
    labels = np.zeros(grid.shape, np.uint8)
    hu = anatomy.hu
    plans = _sample_lesions(rng, config, seed)
    drawn = _draw(anatomy, labels, hu, rng, plans, "PHE" in config.types, config.mass_effect_probability)

    out_positions = (np.arange(n_pixels) - (n_pixels - 1) / 2) * pixel
    psf = float(rng.uniform(0.35, 0.8)) * pixel
    image_matrices = (interpolation_matrix(out_positions, grid.origin[0], step, n_work, psf),
                      interpolation_matrix(out_positions, grid.origin[1], step, n_work, psf))
    label_matrices = (interpolation_matrix(out_positions, grid.origin[0], step, n_work),
                      interpolation_matrix(out_positions, grid.origin[1], step, n_work))
    image = to_output_plane(average_subslices(hu, per_slice), image_matrices, AIR)

    present = [v for v in (*HEMORRHAGE_LABELS, PHE) if (labels == v).any()]
    out_labels = np.zeros(image.shape, np.uint8)
    if present:
        fractions = np.stack([
            to_output_plane(average_subslices((labels == v).astype(np.float32), per_slice), label_matrices, 0.0)
            for v in present
        ])
        best = fractions.argmax(axis=0)
        keep = fractions.max(axis=0) >= 0.5
        out_labels[keep] = np.asarray(present, np.uint8)[best[keep]]
        drop_bone_like(out_labels, image)

    noise_sd = float(rng.uniform(*config.noise_hu))
    image += correlated_noise(rng, image.shape, noise_sd)
    streak_slices = 0
    if rng.random() < config.streak_probability:
        streak_slices = add_streaks(rng, image, pixel, float(rng.uniform(15, 45)))
    centre = (n_pixels - 1) / 2
    xs, ys = np.meshgrid(np.arange(n_pixels), np.arange(n_pixels), indexing="ij")
    outside_fov = ((xs - centre) ** 2 + (ys - centre) ** 2) * pixel**2 > (fov / 2) ** 2
    image[outside_fov] = -1024
    image_int = np.clip(np.rint(image), -1024, 3071).astype(np.int16)

    affine = np.eye(4)
    affine[:3, :3] = gantry @ np.diag([pixel, pixel, thickness])
    affine[:3, 3] = gantry @ np.array([out_positions[0], out_positions[0], bottom + thickness / 2])
    parameters = {
        "seed": seed, "anatomy": "procedural", "pixel_mm": pixel, "slice_mm": thickness, "shape": list(image.shape),
        "gantry_tilt_deg": round(tilt, 2), "noise_sd_hu": round(noise_sd, 2), "psf_sigma_mm": round(psf, 3),
        "streak_slices": streak_slices, "fov_mm": round(fov, 1), "working_mm": step,
        "atrophy": round(head_parameters["atrophy"], 3), "skull_mm": round(head_parameters["skull_mm"], 2),
        "cavity_radii_mm": [round(v, 1) for v in head_parameters["cavity_radii_mm"]],
        "pose_deg": [round(v, 1) for v in head_parameters["pose_deg"]],
        "calcifications": ",".join(k for k, v in head_parameters["calcifications"].items() if v) or "none",
    }
    metadata = {"format": "synthetic", "source": f"ichseg synth seed {seed}"}
    return SynthCase(Volume(image_int, affine, dict(metadata)), Volume(out_labels, affine.copy(), dict(metadata)),
                     parameters, drawn)
