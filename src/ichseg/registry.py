"""A name -> builder registry, the extension mechanism of ichseg (as nnU-Net v2 finds
trainers and MONAI finds networks by name): a new model or loss is a new entry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entry:
    """A registered builder with what callers need to know about it."""

    name: str
    builder: Callable[..., Any]
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)


class Registry:
    """Builders by name.

    Example:
        >>> losses = Registry("loss")
        >>> @losses.register("zero", description="always zero")
        ... def build_zero():
        ...     return lambda prediction, target: 0.0
        >>> losses.build("zero")(None, None)
        0.0
        >>> losses.build("one")
        Traceback (most recent call last):
        ...
        KeyError: "unknown loss 'one'; registered: zero"
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def register(self, name: str, *, description: str, **metadata: Any) -> Callable:
        def decorator(builder: Callable) -> Callable:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._entries[name] = Entry(name, builder, description, metadata)
            return builder

        return decorator

    def entry(self, name: str) -> Entry:
        if name not in self._entries:
            raise KeyError(f"unknown {self.kind} {name!r}; registered: {', '.join(sorted(self._entries))}")
        return self._entries[name]

    def build(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self.entry(name).builder(*args, **kwargs)

    def names(self) -> list[str]:
        return list(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries
