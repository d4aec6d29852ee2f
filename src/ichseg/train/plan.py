"""The training plan as read back from ``plan.json``: checked, typed, versioned.

The planner writes a plain JSON a person can read and edit (as nnU-Net's plans are);
whatever reads it back for training goes through :meth:`Plan.from_dict`, which refuses an
unknown version or a configuration that lacks what a network spec needs, naming the file.

Example:
    >>> from ichseg.train.planner import make_plan
    >>> fingerprint = {"dataset": "toy", "n_cases": 2, "foreground_intensity": {
    ...     "mean": 60.0, "std": 10.0, "percentile_00_5": 30.0, "percentile_99_5": 90.0},
    ...     "cases": [{"spacing": [0.45, 0.45, 5.0], "shape": [512, 512, 30]}] * 2}
    >>> plan = Plan.from_dict(make_plan(fingerprint, memory_gb=8))
    >>> plan.configuration("3d")["spacing"], Plan.from_dict(plan.to_dict()) == plan
    ([0.45, 0.45, 5.0], True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .planner import PLAN_VERSION

CONFIGURATION_KEYS = ("spacing", "patch_size", "batch_size", "strides", "kernel_sizes", "features")


@dataclass(frozen=True)
class Plan:
    """A dataset's plan: intensity normalisation and the ``2d``/``3d`` configurations."""

    plan_version: int
    normalization: dict[str, Any]
    configurations: dict[str, dict[str, Any]]
    dataset: str = ""
    labels: dict[str, int] = field(default_factory=dict)
    median_spacing: list[float] = field(default_factory=list)
    median_shape: list[float] = field(default_factory=list)
    n_cases: int = 0
    memory_budget_gb: float = 0.0
    amp: bool = False
    rules: dict[str, Any] = field(default_factory=dict)

    def configuration(self, name: str) -> dict[str, Any]:
        """One configuration (``2d`` or ``3d``).

        Raises:
            ValueError: the plan has no such configuration.
        """
        if name not in self.configurations:
            raise ValueError(f"the plan has no {name!r} configuration (it has {', '.join(self.configurations)})")
        return self.configurations[name]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "plan") -> Plan:
        """Read a plan, checking its version and every configuration.

        Raises:
            ValueError: naming ``source`` and what is wrong.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"{source}: a plan is a JSON object")
        version = data.get("plan_version")
        if version != PLAN_VERSION:
            raise ValueError(f"{source}: plan version {version!r} is not one this ichseg reads ({PLAN_VERSION}); "
                             "make the plan again with `ichseg plan`")
        if not isinstance(data.get("normalization"), Mapping) or "scheme" not in data["normalization"]:
            raise ValueError(f"{source}: normalization is missing or has no 'scheme'")
        configurations = data.get("configurations")
        if not isinstance(configurations, Mapping) or not configurations:
            raise ValueError(f"{source}: configurations are missing")
        for name, configuration in configurations.items():
            missing = [key for key in CONFIGURATION_KEYS if key not in configuration]
            if missing:
                raise ValueError(f"{source}: configuration {name!r} lacks {', '.join(missing)}")
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in data.items() if key in known})
