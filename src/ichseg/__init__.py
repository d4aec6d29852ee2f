"""ichseg: segment and quantify intracranial hemorrhage on non-contrast head CT.

The package is a pipeline of stages, one sub-package each (see DESIGN.md):
``io`` reads scanner output into a :class:`~ichseg.io.Volume`, ``preprocess``
orients, resamples, windows and normalises it.
"""

__version__ = "0.1.0"
