"""The network spec: everything needed to rebuild a trained network and feed it.

A spec is written into every checkpoint and model bundle (as ``to_dict()``) and read
back with ``from_dict``, which checks each field and refuses a spec of a version this
ichseg does not know. Training makes specs (:func:`ichseg.train.trainer.network_spec`),
inference reads them; both build the network here, so neither imports the other.

Version history: 1 -- the fields below (specs written before versioning are read as 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..labels import LABELS
from .registry import build_model

if TYPE_CHECKING:  # torch is imported where a network is built: a spec alone is plain data
    from torch import nn

SPEC_VERSION = 1
_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "model": str, "spatial_dims": int, "in_channels": int, "out_channels": int, "options": dict,
    "patch_size": (list, tuple), "context_slices": int, "spacing": (list, tuple), "normalization": dict,
    "labels": dict,
}


def label_schema() -> dict[str, int]:
    """ichseg's label schema as ``name -> value`` (what a spec stores)."""
    return {name: value for value, name in LABELS.items()}


@dataclass(frozen=True)
class NetworkSpec:
    """A registered network, its input (channels, patch, spacing, intensities) and labels.

    Example:
        >>> spec = NetworkSpec(model="unet", spatial_dims=2, in_channels=3, out_channels=7, patch_size=(64, 64),
        ...                    spacing=(1.0, 1.0, 5.0), normalization={"scheme": "windows", "windows": "rgb3"},
        ...                    options={"channels": [4, 8], "strides": [2]})
        >>> NetworkSpec.from_dict(spec.to_dict()) == spec
        True
        >>> type(spec.build()).__name__
        'UNet'
    """

    model: str
    spatial_dims: int
    in_channels: int
    out_channels: int
    patch_size: tuple[int, ...]
    spacing: tuple[float, ...]
    normalization: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    context_slices: int = 0
    labels: dict[str, int] = field(default_factory=label_schema)
    version: int = SPEC_VERSION

    def __post_init__(self) -> None:
        object.__setattr__(self, "patch_size", tuple(int(p) for p in self.patch_size))
        object.__setattr__(self, "spacing", tuple(float(s) for s in self.spacing))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (lists, not tuples), as checkpoints and ``bundle.json`` store them."""
        data = asdict(self)
        data["patch_size"], data["spacing"] = list(self.patch_size), list(self.spacing)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "network spec") -> NetworkSpec:
        """Read a spec, checking each field.

        Raises:
            ValueError: naming ``source`` and the problem (missing or mistyped field, an
                unknown version, another label schema).
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"{source}: the network spec is not an object")
        version = data.get("version", 1)
        if version != SPEC_VERSION:
            raise ValueError(f"{source}: network spec version {version!r} is not one this ichseg reads "
                             f"({SPEC_VERSION}); update ichseg or re-export the model")
        for key, kind in _FIELD_TYPES.items():
            value = data.get(key)
            if not isinstance(value, kind) or isinstance(value, bool):
                names = kind.__name__ if isinstance(kind, type) else kind[0].__name__
                raise ValueError(f"{source}: network.{key} is missing or not a {names}")
        if ":" in data["model"]:  # module:attr would import code named by a file (see ichseg.registry)
            raise ValueError(f"{source}: network.model {data['model']!r} is not a registered network name; a stored "
                             "model never imports code (import the module that registers it under a name first)")
        unknown = sorted(set(data) - set(_FIELD_TYPES) - {"version"})
        if unknown:
            raise ValueError(f"{source}: network spec has unknown fields {unknown}")
        if dict(data["labels"]) != label_schema():
            raise ValueError(f"{source}: label schema {data['labels']} is not ichseg's {label_schema()}")
        return cls(**{key: data[key] for key in _FIELD_TYPES}, version=version)

    def build(self) -> nn.Module:
        """The (untrained) network this spec describes."""
        return build_model(self.model, self.spatial_dims, self.in_channels, self.out_channels, **self.options)


def build_network(spec: NetworkSpec | Mapping[str, Any]) -> nn.Module:
    """The network of a spec (a :class:`NetworkSpec` or its ``to_dict()``)."""
    return (spec if isinstance(spec, NetworkSpec) else NetworkSpec.from_dict(spec)).build()
