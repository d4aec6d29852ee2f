"""Model bundles: weights (safetensors, fp16) + ``bundle.json`` (network spec, plan
values, label schema, SHA-256 of the weights, the command that trained them) + a model
card. Nothing is downloaded: a bundle is a folder in the package or given by path.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ..labels import LABELS
from ..train.trainer import build_network

BUNDLED = {"default": "ich_default"}
WEIGHTS = "model.safetensors"
DESCRIPTION = "bundle.json"


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


@dataclass
class ModelBundle:
    """A loaded bundle: the network (eval mode, float32) and its description."""

    name: str
    network: torch.nn.Module
    description: dict

    @property
    def spec(self) -> dict:
        return self.description["network"]


def _checkpoint_weights(checkpoint: dict, use_ema: bool = True) -> dict:
    """The weights to apply from a training checkpoint: its EMA average when it has one
    (and ``use_ema``), else the last weights."""
    if use_ema and checkpoint.get("ema"):
        prefix = "module."
        return {k[len(prefix):]: v for k, v in checkpoint["ema"].items() if k.startswith(prefix)}
    return checkpoint["model"]


def load_checkpoint_as_bundle(path: str | Path) -> ModelBundle:
    """A training checkpoint (``checkpoint_best.pt``) used directly as a one-model bundle."""
    from ..train.checkpoint import load_checkpoint  # noqa: PLC0415  (only for this path)

    checkpoint = load_checkpoint(path)
    network = build_network(checkpoint["network"])
    network.load_state_dict(_checkpoint_weights(checkpoint))
    description = {"name": Path(path).parent.name + "/" + Path(path).stem, "network": checkpoint["network"],
                   "sha256": sha256_of(path), "training": {"steps": checkpoint["step"]}}
    return ModelBundle(description["name"], network.eval(), description)


def load_bundle(name_or_path: str | Path = "default") -> ModelBundle:
    """Load a bundled model by name (``default``), a bundle folder, or a training
    checkpoint file (``.pt``) by path.

    Raises:
        ValueError: missing files, a weights checksum that does not match, or a label
            schema other than ichseg's.
    """
    if str(name_or_path).endswith(".pt") and Path(name_or_path).is_file():
        return load_checkpoint_as_bundle(name_or_path)
    folder = bundled_model_path(str(name_or_path)) if str(name_or_path) in BUNDLED else Path(name_or_path)
    description_path, weights_path = folder / DESCRIPTION, folder / WEIGHTS
    if not description_path.exists() or not weights_path.exists():
        raise ValueError(f"{folder}: not a model bundle (needs {DESCRIPTION} and {WEIGHTS})")
    description = json.loads(description_path.read_text())
    checksum = sha256_of(weights_path)
    if checksum != description["sha256"]:
        raise ValueError(f"{weights_path}: checksum {checksum[:12]}... does not match bundle.json "
                         f"({description['sha256'][:12]}...): the weights are damaged or were replaced")
    schema = {name: value for value, name in LABELS.items()}
    if description["network"]["labels"] != schema:
        raise ValueError(f"{folder}: label schema {description['network']['labels']} is not ichseg's {schema}")
    network = build_network(description["network"])
    state = {k: v.float() for k, v in load_file(str(weights_path)).items()}
    network.load_state_dict(state)
    return ModelBundle(description.get("name", folder.name), network.eval(), description)


def export_bundle(checkpoint: dict, folder: str | Path, *, name: str, training: dict, metrics: dict | None = None,
                  half: bool = True, use_ema: bool = True) -> dict:
    """Write a bundle from a training checkpoint (its EMA weights when it has them and ``use_ema``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights = {k: (v.half() if half and v.is_floating_point() else v).contiguous()
               for k, v in _checkpoint_weights(checkpoint, use_ema).items()}
    save_file(weights, str(folder / WEIGHTS))
    description = {
        "name": name, "network": checkpoint["network"], "sha256": sha256_of(folder / WEIGHTS),
        "dtype": "float16" if half else "float32", "training": training, "metrics": metrics or {},
    }
    (folder / DESCRIPTION).write_text(json.dumps(description, indent=1) + "\n")
    return description
