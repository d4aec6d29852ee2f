"""Model bundles: weights (safetensors, fp16) + ``bundle.json`` (network spec, plan
values, label schema, SHA-256 of the weights, the command that trained them) + a model
card. Nothing is downloaded: a bundle is a folder in the package or given by path.

A 2D bundle may also hold ``model.onnx``: the same network and weights as an ONNX graph
(any batch and slice size; see :mod:`ichseg.infer.onnx_network`). On the CPU it is run by
ONNX Runtime, so a one-scan run needs neither torch nor MONAI: on the 2-core machine of
``benchmarks/predict_bench.py`` ONNX Runtime's import and the graph's load take about
0.1 s each, against about 1.5 s for importing torch and 1-3 s more for MONAI and building
the network. Without ``onnxruntime``, on a GPU, or for a bundle without a graph, the network
is built from its spec (registered names only) and its safetensors weights.

Trust: a safetensors file holds tensors and an ONNX file a graph of standard operators;
neither runs code when loaded, so every bundle's files may be used once their SHA-256
match ``bundle.json``. A TorchScript program (``model.ts``, which older bundles carried)
can run code its author put there and is never opened.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..models.network_spec import NetworkSpec
from ..quantify.uncertainty import VolumeCalibration
from .onnx_network import ONNX_FILE, OnnxNetwork, onnx_graph, onnx_runtime_available

if TYPE_CHECKING:
    import torch

BUNDLED = {"default": "ich_default", "windowed": "ich_windowed"}  # windowed: 8-bit slice exports
WEIGHTS = "model.safetensors"
DESCRIPTION = "bundle.json"
CALIBRATION = "uncertainty.json"  # optional: the volume intervals' calibration (ichseg.quantify.uncertainty)
SLICE_MULTIPLE = 32  # 2D slices are padded to multiples of this (every registered 2D net accepts it)
MAX_SLICE_SIZE = 2048


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
    onnx_sha256: str | None = None
    format_version: int = BUNDLE_FORMAT

    def to_dict(self) -> dict:
        data = {"format_version": self.format_version, "name": self.name, "network": self.network.to_dict(),
                "sha256": self.sha256, "dtype": self.dtype, "training": self.training, "metrics": self.metrics}
        if self.onnx_sha256:
            data["onnx_sha256"] = self.onnx_sha256
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
        for key in ("sha256", "onnx_sha256"):
            value = data.get(key)
            if (key == "sha256" or value is not None) and not _is_sha256(value):
                raise ValueError(f"{source}: {key} must be a SHA-256 hex digest")
        for key in ("training", "metrics"):
            if not isinstance(data.get(key, {}), dict):
                raise ValueError(f"{source}: {key} must be an object")
        # an older bundle's program_sha256 (its TorchScript program) is dropped: programs are never run
        return cls(name=str(data.get("name", "")), network=network,
                   sha256=data["sha256"], dtype=str(data.get("dtype", "float32")), training=data.get("training", {}),
                   metrics=data.get("metrics", {}), onnx_sha256=data.get("onnx_sha256"), format_version=version)


def _is_sha256(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


@dataclass
class ModelBundle:
    """A loaded bundle: the network (a torch module in eval mode, float32, or its ONNX
    graph on ONNX Runtime) and its description."""

    name: str
    network: torch.nn.Module | OnnxNetwork
    description: BundleDescription
    exported: bool = False  # the network is the bundle's ONNX graph on ONNX Runtime (CPU only)
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
    from ..models.checkpoint import load_checkpoint  # noqa: PLC0415  (imports torch)

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


def load_bundle(name_or_path: str | Path = "default", *, onnx: bool = False, threads: int | None = None) -> ModelBundle:
    """Load a bundled model by name (``default``), a bundle folder, or a training
    checkpoint file (``.pt``) by path.

    The weights (and the ONNX graph, when used) are always checked against
    ``bundle.json``'s SHA-256 (a damaged or swapped file is refused, never used).

    Args:
        onnx: run the bundle's ONNX graph (``model.onnx``, CPU only) on ONNX Runtime when
            the bundle has one and ``onnxruntime`` is installed; otherwise, and without
            ``onnx``, the network is built from its spec and weights.
        threads: the graph's CPU threads (default: every core this process may use).

    Raises:
        ValueError: missing files, a checksum that does not match, a damaged
            ``bundle.json`` or graph, an unknown network, or a label schema other than ichseg's.
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
    arrays = _read_weights(_read_verified(weights_path, description.sha256), weights_path)
    if onnx and description.onnx_sha256 and onnx_runtime_available():
        graph = _read_verified(folder / ONNX_FILE, description.onnx_sha256)
        network = OnnxNetwork(graph, threads=threads, source=str(folder / ONNX_FILE))
        return ModelBundle(name, network, description, exported=True, calibration=calibration)
    return ModelBundle(name, _network_from_weights(folder, description, arrays), description,
                       calibration=calibration)


def _read_weights(weights: bytes, path: Path) -> dict:
    """The weights as numpy arrays (read once, without torch), whichever way the network
    then runs; a file that is not safetensors is refused."""
    from safetensors import SafetensorError  # noqa: PLC0415
    from safetensors.numpy import load  # noqa: PLC0415

    try:
        return load(weights)
    except (SafetensorError, ValueError) as error:
        raise ValueError(f"{path}: not a readable safetensors file ({str(error).splitlines()[0]})") from None


def _network_from_weights(folder: Path, description: BundleDescription, arrays: dict) -> torch.nn.Module:
    import torch  # noqa: PLC0415  (torch is imported only where a network is built)

    try:
        network = description.network.build()
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{folder / DESCRIPTION}: the network it describes cannot be built "
                         f"({type(error).__name__}: {error})") from None
    try:
        state = {k: torch.from_numpy(v).float() for k, v in arrays.items()}
        network.load_state_dict(state)
    except (RuntimeError, ValueError) as error:
        raise ValueError(f"{folder / WEIGHTS}: weights do not fit the network in {DESCRIPTION} "
                         f"({str(error).splitlines()[0]})") from None
    return network.eval()


def export_bundle(checkpoint: dict, folder: str | Path, *, name: str, training: dict, metrics: dict | None = None,
                  half: bool = True, use_ema: bool = True, onnx: bool = True) -> BundleDescription:
    """Write a bundle from a training checkpoint (its EMA weights when it has them and
    ``use_ema``), with the ONNX graph of a 2D network when ``onnx``."""
    import torch  # noqa: PLC0415
    from safetensors.torch import save_file  # noqa: PLC0415

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # a copy each: safetensors refuses tensors that share memory, and some networks list one module
    # under two names (DynUNet's deep-supervision skip_layers); loading fills both names again
    weights = {k: (v.half() if half and v.is_floating_point() else v).clone(memory_format=torch.contiguous_format)
               for k, v in _checkpoint_weights(checkpoint, use_ema).items()}
    save_file(weights, str(folder / WEIGHTS))
    spec = NetworkSpec.from_dict(checkpoint["network"])
    onnx_sha256 = write_onnx_graph(spec, weights, folder) if onnx and spec.spatial_dims == 2 else None
    description = BundleDescription(name=name, network=spec, sha256=sha256_of(folder / WEIGHTS),
                                    dtype="float16" if half else "float32", training=training,
                                    metrics=metrics or {}, onnx_sha256=onnx_sha256)
    (folder / DESCRIPTION).write_text(json.dumps(description.to_dict(), indent=1) + "\n")
    return description


def write_onnx_graph(spec: NetworkSpec, weights: dict, folder: Path) -> str | None:
    """``folder/model.onnx`` of the network of ``spec`` with ``weights`` (the bundle's
    rounded ones); its SHA-256, or None (with a warning) where the export fails."""
    network = spec.build()
    network.load_state_dict({k: v.float() for k, v in weights.items()})
    try:
        (folder / ONNX_FILE).write_bytes(onnx_graph(network.eval(), spec, size_multiple=SLICE_MULTIPLE))
    except Exception as error:  # noqa: BLE001  (the exporter raises many kinds; the weights still serve)
        warnings.warn(f"{folder.name}: network not exported as an ONNX graph ({type(error).__name__}: {error}); "
                      "CPU runs will build it from the weights", stacklevel=2)
        return None
    return sha256_of(folder / ONNX_FILE)
