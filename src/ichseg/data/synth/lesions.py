"""Hemorrhages drawn into a :class:`~ichseg.data.synth.head.HeadAnatomy`, each where it
occurs: IPH in parenchyma (lobar, deep, infratentorial) with a perihematomal edema rim
and optional fluid level, IVH layering or casting in the ventricles, SAH in sulci,
fissures and cisterns, SDH as a crescent along the inner table stopped by the falx,
EDH as a biconvex lens bounded by sutures, often under a fracture.

Each function paints ``labels`` and ``hu`` in place on the working grid and returns a
description of what it drew.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ...labels import EDH, IPH, IVH, PHE, SAH, SDH
from .fields import ellipsoid_sdf, smooth_noise
from .head import HeadAnatomy
from .shape_bank import place_shape


def blood_hu(rng: np.random.Generator, age: str) -> float:
    """Mean HU of a collection: liquid blood from haematocrit (about 20 + 0.85·Hct),
    raised by clot retraction when acute, falling with age (iso- then hypodense)."""
    haematocrit = rng.uniform(30, 50)
    liquid = 20 + 0.85 * haematocrit
    if age == "hyperacute":
        return float(np.clip(liquid + rng.uniform(0, 8), 45, 70))
    if age == "acute":
        return float(np.clip(liquid + rng.uniform(8, 30), 50, 90))
    if age == "subacute":
        return float(rng.uniform(25, 45))
    return float(rng.uniform(0, 20))


def _pick(rng: np.random.Generator, mask: np.ndarray) -> tuple[int, int, int] | None:
    candidates = np.flatnonzero(mask.ravel()[:: 7])  # a sparse sample is plenty and fast
    if candidates.size == 0:
        return None
    x, y, z = (int(v) for v in np.unravel_index(int(rng.choice(candidates)) * 7, mask.shape))
    return x, y, z


def _head_point(anatomy: HeadAnatomy, index) -> np.ndarray:
    x, y, z = anatomy.head_coordinates
    return np.array([x[index], y[index], z[index]], np.float32)


def _fill(anatomy, labels, hu, region, label, value, rng, texture_hu=4.0):
    if not region.any():
        return
    noise = smooth_noise(rng, region.shape, 3.0 / anatomy.grid.spacing[0])
    hu[region] = value + texture_hu * noise[region]
    labels[region] = label


def add_iph(anatomy, labels, hu, rng, *, volume_ml: float, location: str, age: str = "acute",
            bank_shape=None) -> dict:
    """Irregular parenchymal clot of about ``volume_ml`` with an edema rim; with
    ``bank_shape`` the clot is a real lesion shape (see :mod:`.shape_bank`)."""
    regions = {
        "lobar": anatomy.parenchyma & (anatomy.depth > 10) & ~anatomy.deep_grey & ~anatomy.infratentorial,
        "deep": anatomy.deep_grey,
        "infratentorial": anatomy.infratentorial & (anatomy.depth > 6),
    }
    centre_index = _pick(rng, regions[location])
    if centre_index is None:
        return {}
    x, y, z = anatomy.head_coordinates
    centre = _head_point(anatomy, centre_index)
    shape_ratio = np.array([1.0, rng.uniform(0.6, 1.0), rng.uniform(0.55, 1.0)])
    rng.shuffle(shape_ratio)
    radius = (3 * volume_ml * 1000 / (4 * np.pi * shape_ratio.prod())) ** (1 / 3)
    radii = radius * shape_ratio
    sdf = ellipsoid_sdf(x, y, z, centre, radii)
    irregular = sdf + 0.35 * radius * smooth_noise(rng, sdf.shape, max(radius / 2, 3) / anatomy.grid.spacing[0])
    allowed = anatomy.intracranial & ~anatomy.skull
    if bank_shape is not None:
        clot = place_shape(bank_shape, (x, y, z), centre, volume_ml, rng, allowed & ~anatomy.ventricles)
        irregular = np.where(clot, -1.0, ndimage.distance_transform_edt(~clot, sampling=anatomy.grid.spacing))
    else:
        clot = (irregular < 0) & allowed & ~anatomy.ventricles
    value = blood_hu(rng, age)
    _fill(anatomy, labels, hu, clot, IPH, value, rng)
    fluid_level = bool(rng.random() < 0.12 and volume_ml > 10)
    if fluid_level:  # supine: the dependent (posterior) part holds the settled cells
        level = centre[1] + rng.uniform(-0.3, 0.3) * radii[1]
        hu[clot & (y < level)] += 14
        hu[clot & (y >= level)] -= 10
    rim_mm = 0.0
    if age != "hyperacute" and volume_ml > 1.5:
        rim_mm = float(np.clip(rng.uniform(0.15, 0.45) * radius, 1.5, 12))
        rim = (irregular >= 0) & (irregular < rim_mm) & anatomy.parenchyma & (labels == 0)
        _fill(anatomy, labels, hu, rim, PHE, rng.uniform(10, 25), rng, texture_hu=3.0)
    extension = False
    if location == "deep" and rng.random() < 0.4:  # ventricular extension
        near = ellipsoid_sdf(x, y, z, centre, radii * 1.8) < 0
        add_ivh(anatomy, labels, hu, rng, pattern="layering", seed_region=near & anatomy.ventricles)
        extension = True
    return {"type": "IPH", "location": location, "age": age, "target_ml": round(volume_ml, 2),
            "shape": bank_shape.source if bank_shape is not None else "procedural",
            "hu": round(value, 1), "edema_rim_mm": round(rim_mm, 1), "fluid_level": fluid_level,
            "ivh_extension": extension}


def add_ivh(anatomy, labels, hu, rng, *, pattern: str = "layering", seed_region=None) -> dict:
    """Blood in the ventricles: dependent layering (posterior horns first) or a cast."""
    _, y, _ = anatomy.head_coordinates
    ventricles = anatomy.ventricles & (labels == 0)
    if not ventricles.any():
        return {}
    if pattern == "cast":
        side = rng.choice([-1, 1])
        region = ventricles & ((anatomy.side == side) | (rng.random() < 0.5))
    else:
        ys = y[ventricles]
        level = np.quantile(ys, rng.uniform(0.08, 0.4))  # fill the most posterior part
        region = ventricles & (y < level)
    if seed_region is not None and seed_region.any():
        region |= seed_region & (labels == 0)
    value = blood_hu(rng, "acute") - rng.uniform(0, 10)  # diluted by CSF
    _fill(anatomy, labels, hu, region, IVH, value, rng, texture_hu=3.0)
    return {"type": "IVH", "pattern": pattern, "hu": round(value, 1)}


def add_sah(anatomy, labels, hu, rng) -> dict:
    """Blood in the CSF spaces near a point of the convexity, and/or the basal cisterns."""
    x, y, z = anatomy.head_coordinates
    start = _pick(rng, anatomy.csf_spaces & (anatomy.depth < 10))
    if start is None:
        return {}
    centre = _head_point(anatomy, start)
    reach = rng.uniform(20, 55)
    near = (x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2 < reach**2
    basal = bool(rng.random() < 0.35)
    region = anatomy.csf_spaces & near
    if basal:
        region |= anatomy.csf_spaces & (z < np.quantile(z[anatomy.csf_spaces], 0.12))
    region &= labels == 0
    value = blood_hu(rng, "acute") - rng.uniform(5, 20)  # thin blood mixed with CSF
    _fill(anatomy, labels, hu, region, SAH, value, rng, texture_hu=5.0)
    return {"type": "SAH", "reach_mm": round(reach, 1), "basal": basal, "hu": round(value, 1)}


def _convexity_point(anatomy, rng, side=None, low=-0.25):
    rz = anatomy.parameters["cavity_radii_mm"][2]
    _, _, z = anatomy.head_coordinates
    surface = anatomy.intracranial & (anatomy.depth < 1.5) & (z > low * rz) & ~anatomy.infratentorial
    if side is not None:
        surface &= anatomy.side == side
    index = _pick(rng, surface)
    return None if index is None else _head_point(anatomy, index)


# Thinnest subdural collection an annotator traces on 2.5-7 mm slices beside the skull: a bright
# acute film from 2 mm, an iso- or hypodense one (brain or CSF density) only from 3 mm. Drawing
# the Gaussian tail down to sub-millimetre films labelled what the image barely shows (whole
# slices holding only film), the likely source of the false rims models drew on normal heads.
SDH_VISIBLE_MM = {"hyperacute": 2.0, "acute": 2.0, "subacute": 3.0, "chronic": 3.0}


def crescent_thickness(distance2: np.ndarray, peak_mm: float, spread_mm: float, visible_mm: float) -> np.ndarray:
    """Thickness (mm) of a subdural crescent at squared distance ``distance2`` from its centre:
    Gaussian fall-off from ``peak_mm``, ending where it gets thinner than ``visible_mm``.

    Example:
        >>> crescent_thickness(np.array([0.0, 900.0, 10000.0]), 8.0, 30.0, 2.0).round(2).tolist()
        [8.0, 4.85, 0.0]
    """
    thickness = peak_mm * np.exp(-distance2 / (2 * spread_mm**2))
    thickness[thickness < visible_mm] = 0.0
    return thickness


def add_sdh(anatomy, labels, hu, rng, *, age: str = "acute") -> dict:
    """Crescent along the inner table of one hemisphere (crosses sutures, not the falx)."""
    side = int(rng.choice([-1, 1]))
    centre = _convexity_point(anatomy, rng, side)
    if centre is None:
        return {}
    x, y, z = anatomy.head_coordinates
    visible_mm = SDH_VISIBLE_MM[age]
    peak_mm, spread_mm = rng.uniform(visible_mm + 1, 16), rng.uniform(22, 40)
    distance2 = (x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2
    thickness = crescent_thickness(distance2, peak_mm, spread_mm, visible_mm)
    region = anatomy.intracranial & (anatomy.side == side) & (anatomy.depth < thickness) & ~anatomy.infratentorial
    region &= (np.abs(x) > 1.0) & (labels == 0)
    value = blood_hu(rng, age)
    _fill(anatomy, labels, hu, region, SDH, value, rng)
    return {"type": "SDH", "age": age, "peak_mm": round(peak_mm, 1), "spread_mm": round(spread_mm, 1),
            "side": "right" if side > 0 else "left", "hu": round(value, 1)}


def add_edh(anatomy, labels, hu, rng) -> dict:
    """Biconvex lens under the skull, confined between sutures, often under a fracture."""
    centre = _convexity_point(anatomy, rng, low=-0.45)
    if centre is None:
        return {}
    x, y, z = anatomy.head_coordinates
    _rx, ry, rz = anatomy.parameters["cavity_radii_mm"]
    radius, peak = rng.uniform(22, 45), rng.uniform(8, 25)
    distance2 = (x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2
    thickness = peak * np.clip(1 - distance2 / radius**2, 0, None)
    # Sutures bound the dura's attachment: stay on the centre's side of each suture plane.
    coronal = lambda px, py, pz: py - 0.12 * ry + 0.25 * (pz - rz)  # noqa: E731
    lambdoid = lambda px, py, pz: py + 0.62 * ry - 0.4 * pz  # noqa: E731
    same_plate = (np.sign(coronal(x, y, z)) == np.sign(coronal(*centre))) & (
        np.sign(lambdoid(x, y, z)) == np.sign(lambdoid(*centre))) & (np.sign(x) == np.sign(centre[0]))
    region = anatomy.intracranial & (anatomy.depth < thickness) & same_plate & (labels == 0)
    value = blood_hu(rng, "acute")
    _fill(anatomy, labels, hu, region, EDH, value, rng)
    fracture = bool(rng.random() < 0.6)
    if fracture:
        direction = rng.normal(size=3)
        direction /= np.linalg.norm(direction)
        candidates = np.flatnonzero((anatomy.skull & (distance2 < radius**2)).ravel())  # skull near the lens only
        offset = np.stack([a.ravel()[candidates] for a in (x, y, z)], axis=1) - centre
        along = offset @ direction
        off_line = np.linalg.norm(offset - along[:, None] * direction, axis=1)
        hu.ravel()[candidates[off_line < 0.8]] = rng.uniform(20, 60)
    return {"type": "EDH", "radius_mm": round(radius, 1), "peak_mm": round(peak, 1), "fracture": fracture,
            "hu": round(value, 1)}
