"""Quantification of a label map: volumes, ABC/2, lesion counts and diameters, and the
imaging items clinicians use (IVH present, hematoma >= 30 mL). Pure functions of arrays
and spacing; every number in ``volumes.json`` comes from :func:`quantify_labels`."""

from .abc2 import LesionMeasurement, abc2_volume_ml, measure_lesion
from .volumes import ICH_VOLUME_THRESHOLD_ML, quantify_labels

__all__ = ["ICH_VOLUME_THRESHOLD_ML", "LesionMeasurement", "abc2_volume_ml", "measure_lesion", "quantify_labels"]
