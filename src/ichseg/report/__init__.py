"""Pictures a clinician can check: the overlay preview of one case and the cohort report."""

from .html_report import write_report
from .preview import CLASS_COLOURS, preview_slices, render_preview
from .viewer_slices import viewer_data

__all__ = ["CLASS_COLOURS", "preview_slices", "render_preview", "viewer_data", "write_report"]
