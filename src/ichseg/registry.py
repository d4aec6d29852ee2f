"""A name -> builder registry, the extension mechanism of ichseg (as nnU-Net v2 finds
trainers and MONAI finds networks by name): a new model, loss or trainer is a new entry.

Two ways to add one without editing ichseg:

- register it in your own module (``@MODELS.register("mine", ...)``) and import that
  module before ichseg looks the name up;
- name it as ``package.module:attr`` wherever a registered name is accepted (command
  line, YAML): the module is imported and ``attr`` is the builder, with the entry's
  metadata from the builder's ``ichseg_metadata`` dict (if any) over the registry's
  defaults. An entry that the module registered for ``attr`` under a short name is used
  as it is.

Registries whose builders import heavy libraries (MONAI) list the modules that register
them as ``providers``; they are imported on the first lookup, not when ichseg is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import import_module
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
        >>> losses.entry("math:sqrt").builder(9.0)   # package.module:attr, outside the registry
        3.0
    """

    def __init__(self, kind: str, *, providers: Sequence[str] = (),
                 default_metadata: dict[str, Any] | None = None, external: bool = True) -> None:
        self.kind = kind
        self.external = external  # False where names are read from files (plans, bundles), never imported
        self._entries: dict[str, Entry] = {}
        self._providers = tuple(providers)
        self._loaded = not self._providers
        self._default_metadata = dict(default_metadata or {})

    def register(self, name: str, *, description: str, **metadata: Any) -> Callable:
        def decorator(builder: Callable) -> Callable:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._entries[name] = Entry(name, builder, description, {**self._default_metadata, **metadata})
            return builder

        return decorator

    def _load_providers(self) -> None:
        if not self._loaded:
            self._loaded = True
            for module in self._providers:
                import_module(module)

    def entry(self, name: str) -> Entry:
        """The entry of a registered name, or of a ``package.module:attr`` builder.

        Raises:
            KeyError: an unknown name, or a ``module:attr`` that cannot be imported.
        """
        self._load_providers()
        if name in self._entries:
            return self._entries[name]
        if ":" in name and self.external:
            return self._external(name)
        raise KeyError(f"unknown {self.kind} {name!r}; registered: {', '.join(sorted(self._entries))}")

    def _external(self, name: str) -> Entry:
        module_name, _, attribute = name.partition(":")
        try:
            builder = getattr(import_module(module_name), attribute)
        except (ImportError, AttributeError, ValueError) as error:
            raise KeyError(f"{self.kind} {name!r} cannot be imported ({type(error).__name__}: {error})") from None
        for entry in self._entries.values():
            if entry.builder is builder:
                return entry
        metadata = {**self._default_metadata, **getattr(builder, "ichseg_metadata", {})}
        description = (getattr(builder, "__doc__", None) or name).strip().splitlines()[0]
        return Entry(name, builder, description, metadata)

    def build(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self.entry(name).builder(*args, **kwargs)

    def names(self) -> list[str]:
        self._load_providers()
        return list(self._entries)

    def __contains__(self, name: str) -> bool:
        self._load_providers()
        return name in self._entries
