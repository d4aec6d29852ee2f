"""ichseg: segment and quantify intracranial hemorrhage on non-contrast head CT.

The package is a pipeline of stages, one sub-package each, and data flows one way
between them (docs/explanation/architecture.md): ``io`` reads scanner output into a
:class:`~ichseg.io.Volume`, ``preprocess`` orients, resamples, windows and normalises
it, ``models`` builds networks by name, ``train`` and ``infer`` use them, ``postprocess``,
``quantify``, ``evaluate``, ``stats``, ``compare`` and ``report`` work on the results.
"""

__version__ = "0.1.0"
