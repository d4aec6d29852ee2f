"""Model bundles: weights (safetensors, fp16) + ``bundle.json`` (network spec, plan
values, label schema, SHA-256 of the weights, the command that trained them) + a model
card. Nothing is downloaded: a bundle is a folder in the package or given by path.

A 2D bundle may also hold ``model.ts``: the same network and weights as a traced
TorchScript program (any batch and slice size). Loading it needs no model library, so a
one-scan CPU run starts seconds sooner than building the network with MONAI: on the
2-core machine of ``benchmarks/predict_bench.py`` it loads in about 0.1 s, against about
3 s for importing MONAI and building the network, and 2-4 s for a ``torch.export``
program (whose loader imports ``torch._dynamo``). TorchScript is deprecated in recent
torch; where it is gone the network is built from the weights as for any other bundle.

Trust: deserialising a program can run code that its author put there, and whoever
writes a bundle also writes the checksums in its ``bundle.json``. So a program is loaded
only when its SHA-256 is one of :data:`TRUSTED_PROGRAMS`, fixed in this source file for
the programs shipped inside the package. Every other bundle (a user's folder, a download)
is rebuilt from its network spec (registered names only) and its safetensors weights,
which hold tensors and nothing that runs.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save_file

from ..models.checkpoint import load_checkpoint
from ..models.network_spec import NetworkSpec
from ..quantify.uncertainty import VolumeCalibration

BUNDLED = {"default": "ich_default", "windowed": "ich_windowed"}  # windowed: 8-bit slice exports
WEIGHTS = "model.safetensors"
PROGRAM = "model.ts"
DESCRIPTION = "bundle.json"
CALIBRATION = "uncertainty.json"  # optional: the volume intervals' calibration (ichseg.quantify.uncertainty)
SLICE_MULTIPLE = 32  # 2D slices are padded to multiples of this (every registered 2D net accepts it)
MAX_SLICE_SIZE = 2048
# SHA-256 of the exported programs shipped in ichseg/resources/models (the only ones ever loaded).
TRUSTED_PROGRAMS = frozenset({
    "6fab3d70d2027d0e4cec39ab6bef3e8fa1012839d7d4d6914ac55d9dbdf8bd00",  # ich_default (model.ts)
})


def bundled_model_path(name: str = "default") -> Path:
    """Folder of a model shipped with ichseg."""
    from importlib import resources  # noqa: PLC0415

    if name not in BUNDLED:
        raise KeyError(f"unknown bundled model {name!r}; shipped: {', '.join(BUNDLED)}")
    return Path(str(resources.files("ichseg.resources") / "models" / BUNDLED[name]))


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


BUNDLE_FORMAT = 1  # version of bundle.json; bundles written before versioning are read as 1


@dataclass(frozen=True)
class BundleDescription:
    """``bundle.json``: the network spec, the weights' checksum and how they were made.

    Example:
        >>> spec = NetworkSpec(model="unet", spatial_dims=2, in_channels=3, out_channels=7, patch_size=(64, 64),
        ...                    spacing=(1.0, 1.0, 5.0), normalization={"scheme": "windows", "windows": "rgb3"})
        >>> description = BundleDescription(name="mine", network=spec, sha256="0" * 64)
        >>> BundleDescription.from_dict(description.to_dict()) == description
        True
    """

    name: str
    network: NetworkSpec
    sha256: str
    dtype: str = "float32"
    training: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    program_sha256: str | None = None
    format_version: int = BUNDLE_FORMAT

    def to_dict(self) -> dict:
        data = {"format_version": self.format_version, "name": self.name, "network": self.network.to_dict(),
                "sha256": self.sha256, "dtype": self.dtype, "training": self.training, "metrics": self.metrics}
        if self.program_sha256:
            data["program_sha256"] = self.program_sha256
        return data

    @classmethod
    def from_dict(cls, data: dict, *, source: str = DESCRIPTION) -> BundleDescription:
        """Read a description, checking each field.

        Raises:
            ValueError: naming ``source`` and what is wrong (an unknown format version, a
                missing or mistyped field, a checksum that is not SHA-256, another label schema).
        """
        if not isinstance(data, dict) or not isinstance(data.get("network"), dict):
            raise ValueError(f"{source}: a bundle description is a JSON object with a 'network' object")
        version = data.get("format_version", 1)
        if version != BUNDLE_FORMAT:
            raise ValueError(f"{source}: bundle format version {version!r} is not one this ichseg reads "
                             f"({BUNDLE_FORMAT}); update ichseg")
        network = NetworkSpec.from_dict(data["network"], source=source)
        for key in ("sha256", "program_sha256"):
            value = data.get(key)
            if (key == "sha256" or value is not None) and not _is_sha256(value):
                raise ValueError(f"{source}: {key} must be a SHA-256 hex digest")
        for key in ("training", "metrics"):
            if not isinstance(data.get(key, {}), dict):
                raise ValueError(f"{source}: {key} must be an object")
        return cls(name=str(data.get("name", "")), network=network,
                   sha256=data["sha256"], dtype=str(data.get("dtype", "float32")), training=data.get("training", {}),
                   metrics=data.get("metrics", {}), program_sha256=data.get("program_sha256"), format_version=version)


def _is_sha256(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


@dataclass
class ModelBundle:
    """A loaded bundle: the network (eval mode, float32) and its description."""

    name: str
    network: torch.nn.Module
    description: BundleDescription
    exported: bool = False  # the network is the bundle's TorchScript program (CPU, already in eval mode)
    calibration: VolumeCalibration | None = None  # for predict --uncertainty's volume intervals

    @property
    def spec(self) -> NetworkSpec:
        return self.description.network


def _checkpoint_weights(checkpoint: dict, use_ema: bool = True) -> dict:
    """The weights to apply from a training checkpoint: its EMA average when it has one
    (and ``use_ema``), else the last weights."""
    if use_ema and checkpoint.get("ema"):
        prefix = "module."
        return {k[len(prefix):]: v for k, v in checkpoint["ema"].items() if k.startswith(prefix)}
    return checkpoint["model"]


def _read_verified(path: Path, expected: str) -> bytes:
    """The bytes of ``path``, read once and checked against ``expected`` (SHA-256), so the
    file that is used is the file that was checked."""
    if not path.is_file():
        raise ValueError(f"{path}: missing, but bundle.json lists it (SHA-256 {expected[:12]}...)")
    data = path.read_bytes()
    checksum = hashlib.sha256(data).hexdigest()
    if checksum != expected:
        raise ValueError(f"{path}: checksum {checksum[:12]}... does not match bundle.json "
                         f"({expected[:12]}...): the file is damaged or was replaced")
    return data


def load_checkpoint_as_bundle(path: str | Path) -> ModelBundle:
    """A training checkpoint (``checkpoint_best.pt``) used directly as a one-model bundle."""
    checkpoint = load_checkpoint(path)
    spec = NetworkSpec.from_dict(checkpoint["network"], source=str(path))
    network = spec.build()
    network.load_state_dict(_checkpoint_weights(checkpoint))
    description = BundleDescription(name=Path(path).parent.name + "/" + Path(path).stem, network=spec,
                                    sha256=sha256_of(path), training={"steps": checkpoint["step"]})
    return ModelBundle(description.name, network.eval(), description)


def read_description(folder: Path) -> BundleDescription:
    """``bundle.json`` of ``folder``, checked field by field.

    Raises:
        ValueError: naming ``bundle.json`` and what is wrong (not JSON, or see
            :meth:`BundleDescription.from_dict`).
    """
    path = folder / DESCRIPTION
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a readable bundle description ({error})") from None
    return BundleDescription.from_dict(data, source=str(path))


def load_bundle(name_or_path: str | Path = "default", *, program: bool = False) -> ModelBundle:
    """Load a bundled model by name (``default``), a bundle folder, or a training
    checkpoint file (``.pt``) by path.

    The weights are always checked against ``bundle.json``'s SHA-256 (a damaged or
    swapped file is refused, never used).

    Args:
        program: use the bundle's exported program (``model.ts``, CPU only) when it has
            one whose checksum is in :data:`TRUSTED_PROGRAMS`; any other bundle is built
            from its weights (see the module docstring for why).

    Raises:
        ValueError: missing files, a checksum that does not match, a damaged
            ``bundle.json``, an unknown network, or a label schema other than ichseg's.
    """
    if str(name_or_path).endswith(".pt") and Path(name_or_path).is_file():
        return load_checkpoint_as_bundle(name_or_path)
    folder = bundled_model_path(str(name_or_path)) if str(name_or_path) in BUNDLED else Path(name_or_path)
    weights_path = folder / WEIGHTS
    if not (folder / DESCRIPTION).is_file() or not weights_path.is_file():
        raise ValueError(f"{folder}: not a model bundle (needs {DESCRIPTION} and {WEIGHTS})")
    description = read_description(folder)
    name = description.name or folder.name
    calibration = VolumeCalibration.read(folder / CALIBRATION) if (folder / CALIBRATION).is_file() else None
    weights = _read_verified(weights_path, description.sha256)
    if program and description.program_sha256 in TRUSTED_PROGRAMS and hasattr(torch, "jit"):
        trusted = _read_verified(folder / PROGRAM, description.program_sha256)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch's deprecation notice; see the module docstring
            scripted = torch.jit.load(io.BytesIO(trusted), map_location="cpu")  # SHA-256 fixed in this file
        return ModelBundle(name, scripted.eval(), description, exported=True, calibration=calibration)
    try:
        network = description.network.build()
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{folder / DESCRIPTION}: the network it describes cannot be built "
                         f"({type(error).__name__}: {error})") from None
    try:
        state = {k: v.float() for k, v in load_safetensors(weights).items()}
        network.load_state_dict(state)
    except (RuntimeError, ValueError, SafetensorError) as error:
        raise ValueError(f"{weights_path}: weights do not fit the network in {DESCRIPTION} "
                         f"({str(error).splitlines()[0]})") from None
    return ModelBundle(name, network.eval(), description, calibration=calibration)


def export_program(network: torch.nn.Module, spec: NetworkSpec, path: str | Path) -> None:
    """Save a 2D ``network`` (eval mode) as a traced TorchScript program taking any batch
    of slices whose sides are multiples of :data:`SLICE_MULTIPLE`.

    Tracing records one run; a network whose operations depend on the input's size would
    be recorded wrongly, so the program is checked on a second batch and slice size and
    refused (``ValueError``) when it does not give the network's own output."""
    if spec.spatial_dims != 2:
        raise ValueError("only 2D networks are exported as programs")
    generator = torch.Generator().manual_seed(0)
    example = torch.randn(2, spec.in_channels, 4 * SLICE_MULTIPLE, 5 * SLICE_MULTIPLE, generator=generator)
    other = torch.randn(3, spec.in_channels, 6 * SLICE_MULTIPLE, 3 * SLICE_MULTIPLE, generator=generator)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        traced = torch.jit.trace(network, (example,), check_trace=False)
        expected, found = network(other), traced(other)
        if found.shape != expected.shape or not torch.allclose(found, expected, atol=1e-4, rtol=1e-4):
            raise ValueError("the traced program does not reproduce the network on another input size")
        torch.jit.save(traced, str(path))


def export_bundle(checkpoint: dict, folder: str | Path, *, name: str, training: dict, metrics: dict | None = None,
                  half: bool = True, use_ema: bool = True, program: bool = True) -> BundleDescription:
    """Write a bundle from a training checkpoint (its EMA weights when it has them and
    ``use_ema``), with an exported program of a 2D network when ``program``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # a copy each: safetensors refuses tensors that share memory, and some networks list one module
    # under two names (DynUNet's deep-supervision skip_layers); loading fills both names again
    weights = {k: (v.half() if half and v.is_floating_point() else v).clone(memory_format=torch.contiguous_format)
               for k, v in _checkpoint_weights(checkpoint, use_ema).items()}
    save_file(weights, str(folder / WEIGHTS))
    spec = NetworkSpec.from_dict(checkpoint["network"])
    program_sha256 = None
    if program and spec.spatial_dims == 2:
        network = spec.build()
        network.load_state_dict({k: v.float() for k, v in weights.items()})  # the same (rounded) weights
        try:
            export_program(network.eval(), spec, folder / PROGRAM)
            program_sha256 = sha256_of(folder / PROGRAM)
        except Exception as error:  # noqa: BLE001  (tracing raises many kinds; the weights still serve)
            warnings.warn(f"{name}: network not exported as a program ({type(error).__name__}: {error}); "
                          "CPU runs will build it from the weights", stacklevel=2)
    description = BundleDescription(name=name, network=spec, sha256=sha256_of(folder / WEIGHTS),
                                    dtype="float16" if half else "float32", training=training,
                                    metrics=metrics or {}, program_sha256=program_sha256)
    (folder / DESCRIPTION).write_text(json.dumps(description.to_dict(), indent=1) + "\n")
    return description
