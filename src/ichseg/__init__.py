"""ichseg: segment and quantify intracranial hemorrhage on non-contrast head CT.

The package is a pipeline of stages, one sub-package each, and data flows one way
between them (docs/explanation/architecture.md): ``io`` reads scanner output into a
:class:`~ichseg.io.Volume`, ``preprocess`` orients, resamples, windows and normalises
it, ``models`` builds networks by name, ``train`` and ``infer`` use them, ``postprocess``,
``quantify``, ``evaluate``, ``stats``, ``compare`` and ``report`` work on the results.
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    # ichseg.segment is imported on first use, so ``import ichseg`` (the CLI, the readers) stays light
    if name == "segment":
        from .api import segment  # noqa: PLC0415  (lazy: see above)

        return segment
    raise AttributeError(f"module 'ichseg' has no attribute {name!r}")


__all__ = ["__version__", "segment"]
