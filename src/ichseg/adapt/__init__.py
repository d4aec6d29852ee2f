"""Adapting a model bundle to a site's own unlabelled scans (``ichseg adapt``)."""

from .run import AdaptConfig, AdaptRefused, adapt_bundle

__all__ = ["AdaptConfig", "AdaptRefused", "adapt_bundle"]
