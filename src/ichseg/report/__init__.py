"""Pictures a clinician can check: overlays of predicted hemorrhage on the scan."""

from .preview import CLASS_COLOURS, preview_slices, render_preview

__all__ = ["CLASS_COLOURS", "preview_slices", "render_preview"]
