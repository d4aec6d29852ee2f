"""Post-processing of predicted label maps, each step switchable: small-component
removal, optional morphological smoothing, and class consistency where anatomy is certain."""

from .components import remove_small_components
from .consistency import drop_edema_without_hematoma, extra_axial_parts_of_iph_to_iph
from .morphology import smooth_labels
from .pipeline import COMPONENT_SCOPES, PostprocessConfig, postprocess

__all__ = ["COMPONENT_SCOPES", "PostprocessConfig", "drop_edema_without_hematoma", "extra_axial_parts_of_iph_to_iph",
           "postprocess",
           "remove_small_components", "smooth_labels"]
