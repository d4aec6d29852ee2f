"""A procedural adult head in Hounsfield units, built from signed distances.

Layers from outside in: scalp with a fat layer, skull (cortical tables around diploë,
sutures as lucent lines, air in frontal/sphenoid sinuses and mastoid cells, dense
skull base), subarachnoid CSF, cortex with sulci, white matter with smooth variation,
deep grey nuclei, lateral/third/fourth ventricles (larger with atrophy), falx and
tentorium, cerebellum and brainstem in the posterior fossa, basal cisterns and sylvian
fissures, and physiological calcifications (choroid plexus, pineal, pallidum).

All sizes are in mm in a head frame (x right, y anterior, z superior, origin near the
centre of the cranial cavity); the head is posed (rotated, shifted) in the scanner frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .fields import Grid, ellipsoid_sdf, smooth_noise

AIR, FAT, CSF = -1000.0, -100.0, 8.0


@dataclass
class HeadAnatomy:
    """Working-grid HU and the masks lesions are placed with."""

    grid: Grid
    hu: np.ndarray
    intracranial: np.ndarray
    depth: np.ndarray  # mm below the inner table (positive inside the cavity)
    parenchyma: np.ndarray
    ventricles: np.ndarray
    csf_spaces: np.ndarray  # sulci, fissures, cisterns, subarachnoid space
    deep_grey: np.ndarray
    infratentorial: np.ndarray
    side: np.ndarray  # +1 right hemisphere, -1 left (head frame)
    skull: np.ndarray
    sutures: np.ndarray
    head_coordinates: tuple[np.ndarray, np.ndarray, np.ndarray]
    parameters: dict = field(default_factory=dict)


class _HeadFrame:
    """Evaluates head-frame ellipsoids only inside their bounding box on the grid."""

    def __init__(self, grid: Grid, rotation: np.ndarray, shift: np.ndarray, coordinates) -> None:
        self.grid, self.rotation, self.shift = grid, rotation, shift
        self.x, self.y, self.z = coordinates

    def ellipsoid(self, centre, radii, margin: float = 2.0) -> tuple[tuple[slice, ...], np.ndarray]:
        """(box, signed distance inside the box) of an ellipsoid given in the head frame."""
        signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], np.float32)
        corners = np.asarray(centre, np.float32) + signs * (np.asarray(radii, np.float32) + margin)
        world = corners @ self.rotation.T + self.shift
        origin, spacing = np.array(self.grid.origin), np.array(self.grid.spacing)
        low = np.clip(np.floor((world.min(0) - origin) / spacing).astype(int), 0, self.grid.shape)
        high = np.clip(np.ceil((world.max(0) - origin) / spacing).astype(int) + 1, 0, self.grid.shape)
        box = tuple(slice(int(a), int(b)) for a, b in zip(low, high))
        return box, ellipsoid_sdf(self.x[box], self.y[box], self.z[box], centre, radii)

    def inside(self, target: np.ndarray, centre, radii) -> None:
        """``target |= inside the ellipsoid`` (in place)."""
        box, sdf = self.ellipsoid(centre, radii)
        target[box] |= sdf < 0

    def paint(self, hu: np.ndarray, centre, radii, value: float, where: np.ndarray | None = None) -> None:
        box, sdf = self.ellipsoid(centre, radii)
        inside = sdf < 0 if where is None else (sdf < 0) & where[box]
        hu[box][inside] = value


def rotation_matrix(pitch: float, yaw: float, roll: float) -> np.ndarray:
    """Rotation (degrees) about x (pitch), z (yaw), y (roll)."""
    a, b, c = np.radians([pitch, yaw, roll])
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    rz = np.array([[np.cos(b), -np.sin(b), 0], [np.sin(b), np.cos(b), 0], [0, 0, 1]])
    ry = np.array([[np.cos(c), 0, np.sin(c)], [0, 1, 0], [-np.sin(c), 0, np.cos(c)]])
    return rz @ ry @ rx


def sample_head_parameters(rng: np.random.Generator) -> dict:
    """Randomised head size, shape, atrophy, skull thickness, pose and tissue HU."""
    scale = rng.uniform(0.9, 1.08)
    return {
        "cavity_radii_mm": [float(v * scale) for v in (rng.uniform(64, 72), rng.uniform(80, 90), rng.uniform(58, 66))],
        "atrophy": float(rng.beta(1.3, 3.5)),  # 0 young .. ~1 marked atrophy
        "skull_mm": float(rng.uniform(5.0, 8.5)),
        "scalp_mm": float(rng.uniform(4.0, 8.0)),
        "pose_deg": [float(rng.normal(0, 7)), float(rng.normal(0, 5)), float(rng.normal(0, 4))],
        "shift_mm": [float(v) for v in rng.normal(0, 6, 3)],
        "grey_hu": float(rng.uniform(36, 44)),
        "white_hu": float(rng.uniform(24, 31)),
        "cortical_bone_hu": float(rng.uniform(1300, 1900)),
        "diploe_hu": float(rng.uniform(350, 800)),
        "calcifications": {
            "choroid": bool(rng.random() < 0.7),
            "pineal": bool(rng.random() < 0.6),
            "pallidum": bool(rng.random() < 0.15),
            "falx": bool(rng.random() < 0.2),
        },
    }


def build_head(grid: Grid, parameters: dict, rng: np.random.Generator, *, gantry_tilt_deg: float = 0.0) -> HeadAnatomy:
    """Render the head on ``grid``, given in the gantry frame (mm).

    The head is posed (``pose_deg``, ``shift_mm``) in the world; with gantry tilt the
    gantry frame itself is rotated about x, so the head appears rotated the other way.
    """
    wx, wy, wz = grid.axes
    gantry = rotation_matrix(-gantry_tilt_deg, 0, 0)
    rotation = (gantry.T @ rotation_matrix(*parameters["pose_deg"])).astype(np.float32)
    shift = (gantry.T @ np.asarray(parameters["shift_mm"])).astype(np.float32)
    # Head-frame coordinates of every voxel: R^T (p - shift).
    px, py, pz = wx - shift[0], wy - shift[1], wz - shift[2]
    x = (rotation[0, 0] * px + rotation[1, 0] * py + rotation[2, 0] * pz).astype(np.float32)
    y = (rotation[0, 1] * px + rotation[1, 1] * py + rotation[2, 1] * pz).astype(np.float32)
    z = (rotation[0, 2] * px + rotation[1, 2] * py + rotation[2, 2] * pz).astype(np.float32)
    shape = grid.shape
    frame = _HeadFrame(grid, rotation.astype(np.float32), shift, (x, y, z))
    step = grid.spacing[0]
    wobble = smooth_noise(rng, shape, 30.0 / step) * 2.5  # few-mm irregularity of every surface

    rx, ry, rz = parameters["cavity_radii_mm"]
    atrophy = parameters["atrophy"]
    # Cranial cavity: supratentorial ellipsoid over a skull base (anterior fossa higher,
    # middle fossa lower at the temples), plus the posterior fossa.
    supra = ellipsoid_sdf(x, y, z, (0, 0, 0), (rx, ry, rz))
    middle_fossa = np.exp(-((np.abs(x) - 0.55 * rx) ** 2) / 400 - (y - 0.05 * ry) ** 2 / 500)
    floor = -0.38 * rz - 0.28 * rz * middle_fossa - 0.2 * rz * (y < -0.2 * ry)
    supra = np.maximum(supra, floor - z)
    posterior = ellipsoid_sdf(x, y, z, (0, -0.42 * ry, -0.62 * rz), (0.72 * rx, 0.45 * ry, 0.48 * rz))
    cavity = np.minimum(supra, posterior) + wobble
    intracranial = cavity < 0
    depth = -cavity

    skull_outer = cavity - parameters["skull_mm"]
    head_outer = skull_outer - parameters["scalp_mm"]
    # Face and skull base below the cavity: a soft-tissue column with bone.
    face = ellipsoid_sdf(x, y, z, (0, 0.25 * ry, -1.25 * rz), (0.85 * rx, 0.9 * ry, 0.75 * rz))
    neck = ellipsoid_sdf(x, y, z, (0, -0.3 * ry, -1.5 * rz), (0.6 * rx, 0.55 * ry, 0.9 * rz))
    head = (np.minimum(np.minimum(head_outer, face), neck) + 0.5 * wobble) < 0

    hu = np.full(shape, AIR, np.float32)
    hu[head] = 35.0 + 8.0 * smooth_noise(rng, shape, 10.0 / step)[head]  # scalp, muscle, face
    fat = head & (head_outer > -2.0) & (head_outer < -0.8)
    hu[fat] = FAT

    skull = (skull_outer < 0) & ~intracranial
    base_bone = head & (z < -0.3 * rz) & ~intracranial & (np.abs(cavity) < 14) & (face < -2)
    skull |= base_bone
    thickness = parameters["skull_mm"]
    table = (cavity < 0.3 * thickness) | (skull_outer > -0.3 * thickness)
    hu[skull] = np.where(table[skull], parameters["cortical_bone_hu"], parameters["diploe_hu"])
    hu[skull] += 120.0 * smooth_noise(rng, shape, 3.0 / step)[skull]
    sutures = skull & (
        (np.abs(y - 0.12 * ry + 0.25 * (z - rz)) < 0.6)  # coronal
        | ((np.abs(x) < 0.6) & (z > 0.25 * rz))  # sagittal
        | (np.abs(y + 0.62 * ry - 0.4 * z) < 0.6) & (z > -0.4 * rz)  # lambdoid
    )
    hu[sutures] = 250.0
    sinuses = np.zeros(shape, bool)
    frame.inside(sinuses, (0, 0.98 * ry, -0.15 * rz), (14, 6, 11))  # frontal
    frame.inside(sinuses, (0, 0.28 * ry, -0.62 * rz), (12, 11, 10))  # sphenoid
    sinuses &= ~intracranial
    mastoid_region = np.zeros(shape, bool)
    for s in (-1, 1):
        frame.inside(mastoid_region, (s * 0.82 * rx, -0.3 * ry, -0.6 * rz), (11, 12, 13))
    mastoids = mastoid_region & (smooth_noise(rng, shape, 2.5 / step) > 0.3) & ~intracranial
    hu[sinuses | mastoids] = AIR

    # Brain.
    side = np.where(x >= 0, 1, -1).astype(np.int8)
    subarachnoid = intracranial & (depth < 1.0 + 3.0 * atrophy)
    sulcal_field = smooth_noise(rng, shape, 9.0 / step)
    sulci = intracranial & (depth < 12 + 10 * atrophy) & (np.abs(sulcal_field) < 0.09 + 0.12 * atrophy)
    fissure = intracranial & (np.abs(x) < 1.2 + 2.0 * atrophy) & (z > -0.1 * rz)
    sylvian = np.zeros(shape, bool)
    for s in (-1, 1):
        frame.inside(sylvian, (s * 0.62 * rx, 0.05 * ry, -0.22 * rz), (4 + 5 * atrophy, 22, 4))
    infratentorial = intracranial & (posterior + 0.5 * wobble < 0) & (z < -0.42 * rz)
    brainstem = np.zeros(shape, bool)
    frame.inside(brainstem, (0, -0.22 * ry, -0.62 * rz), (11, 11, 26))
    cisterns = np.zeros(shape, bool)
    frame.inside(cisterns, (0, -0.12 * ry, -0.42 * rz), (17 + 4 * atrophy, 16, 7))
    cisterns &= intracranial & ~brainstem
    csf_spaces = (subarachnoid | sulci | fissure | sylvian | cisterns) & intracranial

    grey = intracranial & (depth < 4.0 + 3.0 * atrophy + 1.5 * sulcal_field)
    hu[intracranial] = parameters["white_hu"] + 2.0 * smooth_noise(rng, shape, 25.0 / step)[intracranial]
    hu[grey] = parameters["grey_hu"]
    deep_grey = np.zeros(shape, bool)
    for s in (-1, 1):
        frame.inside(deep_grey, (s * 0.26 * rx, 0.1 * ry, 0.02 * rz), (9, 16, 11))  # striatum
        frame.inside(deep_grey, (s * 0.14 * rx, -0.12 * ry, 0.05 * rz), (9, 13, 9))  # thalamus
    deep_grey &= intracranial
    hu[deep_grey] = parameters["grey_hu"] - 2.0
    hu[infratentorial] = parameters["grey_hu"] - 3.0
    hu[brainstem & intracranial] = parameters["white_hu"] + 2.0

    ventricle_scale = 1.0 + 1.6 * atrophy
    ventricles = np.zeros(shape, bool)
    for s in (-1, 1):
        for centre, radii in (
            ((s * 10, 0.3 * ry, 0.18 * rz), (4.5, 14, 6)),  # frontal horn
            ((s * 12, 0.0, 0.28 * rz), (5, 20, 5)),  # body
            ((s * 20, -0.35 * ry, 0.15 * rz), (7, 11, 9)),  # atrium
            ((s * 26, -0.58 * ry, 0.1 * rz), (3.5, 10, 4)),  # occipital horn
            ((s * 0.45 * rx, -0.1 * ry, -0.3 * rz), (3, 12, 3)),  # temporal horn
        ):
            r = (radii[0] * ventricle_scale, radii[1] * (0.9 + 0.2 * ventricle_scale), radii[2] * ventricle_scale)
            frame.inside(ventricles, centre, r)
    frame.inside(ventricles, (0, -0.05 * ry, 0.0), (1.5 + 2.5 * atrophy, 14, 9))  # third
    frame.inside(ventricles, (0, -0.42 * ry, -0.7 * rz), (5, 3.5 + atrophy, 6))  # fourth
    ventricles &= intracranial & (depth > 8)

    hu[csf_spaces | ventricles] = CSF + 3.0 * smooth_noise(rng, shape, 6.0 / step)[csf_spaces | ventricles]
    falx = intracranial & (np.abs(x) < 0.7) & (z > -0.05 * rz)
    tentorium = intracranial & (np.abs(posterior + 0.5 * wobble) < 0.8) & (z > -0.75 * rz)
    hu[falx | tentorium] = 55.0
    calcifications = parameters["calcifications"]
    if calcifications["choroid"]:
        for s in (-1, 1):
            frame.paint(hu, (s * 21, -0.35 * ry, 0.13 * rz), (2.5, 3.5, 2.5), rng.uniform(90, 260))
    if calcifications["pineal"]:
        frame.paint(hu, (0, -0.2 * ry, 0.02 * rz), (2.5, 3, 2.5), rng.uniform(100, 350))
    if calcifications["pallidum"]:
        for s in (-1, 1):
            frame.paint(hu, (s * 0.25 * rx, 0.02 * ry, 0.0), (2, 4, 2), rng.uniform(70, 160))
    if calcifications["falx"]:
        hu[falx & (np.abs(y) < 15) & (z > 0.4 * rz)] = rng.uniform(150, 400)

    parenchyma = intracranial & ~csf_spaces & ~ventricles & ~falx & ~tentorium
    return HeadAnatomy(
        grid=grid, hu=hu, intracranial=intracranial, depth=depth, parenchyma=parenchyma, ventricles=ventricles,
        csf_spaces=csf_spaces, deep_grey=deep_grey & parenchyma, infratentorial=infratentorial & parenchyma,
        side=side, skull=skull, sutures=sutures, head_coordinates=(x, y, z), parameters=parameters,
    )
