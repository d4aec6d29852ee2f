"""Statistics over evaluated cases: bootstrap CIs, group and paired tests, agreement,
tables and figures, and the multi-model comparison behind ``ichseg compare``."""

from .agreement import bland_altman, concordance_correlation
from .bootstrap import bootstrap_ci
from .group_tests import dunn_test, kruskal_dunn, wilcoxon_paired

__all__ = ["bland_altman", "bootstrap_ci", "concordance_correlation", "dunn_test", "kruskal_dunn", "wilcoxon_paired"]
