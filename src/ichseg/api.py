"""The Python API: ``ichseg.segment(scan)``, what ``ichseg predict`` does for one case.

Example (the shipped real GE head CT, normal: no blood is found, the reader's warnings
about its tilted, unevenly spaced slices come with the result)::

    import ichseg
    from ichseg.resources import example_path

    result = ichseg.segment(example_path("ge_head_ct"), device="cpu")
    result.volumes["any_hemorrhage_ml"], result.warnings      # (0.0, ('gantry tilt 18.5 degrees ...', ...))
    result.labels.array.shape                                  # the input's own grid
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from .infer.segment import Segmentation, segment_volume
from .io import Volume, read_volume
from .postprocess import PostprocessConfig


@lru_cache(maxsize=4)
def _predictor(models: tuple[str, ...], device: str, tta: bool, fast: bool, postprocessing: PostprocessConfig,
               precision: str):
    """Loaded once per setting, so a loop over a cohort does not reload the model."""
    from .infer.predictor import load_predictor  # noqa: PLC0415  (torch: only when a scan is segmented)

    return load_predictor(models, device=device, tta=tta, fast=fast, postprocessing=postprocessing,
                          precision=precision)


def segment(scan: str | Path | Volume, model: str | Sequence[str] = "default", *, device: str = "auto",
            tta: bool = False, fast: bool = False, postprocessing: PostprocessConfig | None = None,
            series: str | int | None = None, window: tuple[float, float] | None = None,
            spacing: tuple[float, float, float] | None = None, reverse: bool = False,
            allow_non_ct: bool = False, uncertainty: bool = False, precision: str = "float32") -> Segmentation:
    """Segment and measure one head CT.

    Args:
        scan: a path (DICOM series or study folder, DICOM file, NIfTI, PNG/JPG slices, NumPy)
            or a :class:`~ichseg.io.Volume` in HU.
        model: a bundled model name (``default``, ``windowed``), a bundle folder or a
            training checkpoint, or several (an ensemble). With ``window`` and the default
            model, the model for 8-bit windowed exports is used, as ``predict --window`` does.
        device: ``auto``, ``cpu`` or ``cuda``.
        tta, fast, postprocessing: as ``ichseg predict``'s options.
        series, window, spacing, reverse, allow_non_ct: as the input options of the CLI
            (``--series``, ``--window``, ``--spacing``, ``--reverse``, ``--force``).
        uncertainty: as ``predict --uncertainty`` (TTA on): ``result.uncertainty`` is the
            uncertainty map and each type in ``volumes`` gets ``volume_interval_ml``.
        precision: as ``predict --precision`` (``bfloat16``: faster on a cohort, on a CPU
            with bfloat16 instructions).

    Returns:
        :class:`~ichseg.infer.segment.Segmentation`: ``labels`` (a Volume on the input's
        grid), ``volumes`` (the content of ``volumes.json``) and ``warnings``.

    Raises:
        ichseg.io.InputError: the scan cannot be read (naming it and why).
        ValueError: an unknown or broken model, or bad options.
    """
    from .infer.predictor import models_for_input  # noqa: PLC0415  (torch: only when a scan is segmented)

    models = models_for_input((model,) if isinstance(model, str) else tuple(model), window)
    if isinstance(scan, Volume):
        volume = Volume(scan.array, scan.affine.copy(), dict(scan.metadata), list(scan.warnings))  # caller's stays
    else:
        volume = read_volume(scan, series=series, allow_non_ct=allow_non_ct, window=window, spacing=spacing,
                             reverse=reverse)
    predictor = _predictor(models, device, tta or uncertainty, fast, postprocessing or PostprocessConfig(), precision)
    return segment_volume(predictor, volume, uncertainty=uncertainty)
