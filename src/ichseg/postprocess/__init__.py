"""Post-processing of predicted label maps, each step switchable: small-component
removal, optional morphological smoothing, class consistency where anatomy is certain, and
no blood on the clipped skull of windowed 8-bit exports."""

from .clipped_bone import clipped_bone
from .components import remove_small_components
from .consistency import drop_edema_without_hematoma, extra_axial_parts_of_iph_to_iph
from .morphology import smooth_labels
from .pipeline import COMPONENT_SCOPES, PostprocessConfig, postprocess

__all__ = ["COMPONENT_SCOPES", "PostprocessConfig", "clipped_bone", "drop_edema_without_hematoma",
           "extra_axial_parts_of_iph_to_iph", "postprocess", "remove_small_components", "smooth_labels"]
