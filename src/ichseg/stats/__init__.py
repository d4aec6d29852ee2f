"""Statistics, purely numeric (arrays in, numbers out): bootstrap CIs, group and paired
tests, agreement. Files, tables and figures are :mod:`ichseg.compare`'s job."""

from .agreement import bland_altman, concordance_correlation
from .bootstrap import bootstrap_ci
from .group_tests import dunn_test, kruskal_dunn, wilcoxon_paired

__all__ = ["bland_altman", "bootstrap_ci", "concordance_correlation", "dunn_test", "kruskal_dunn", "wilcoxon_paired"]
