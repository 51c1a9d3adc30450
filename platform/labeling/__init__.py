"""Label offline transitions with the LE on Ray Data (``label_transitions``), exactly once and resumable."""

from learec.platform.labeling.pipeline import LabelingConfig, label_transitions
from learec.platform.labeling.report import LabelingReport
from learec.platform.labeling.resources import PoolPlan, plan_resources
from learec.platform.labeling.version import label_version

__all__ = [
    "LabelingConfig",
    "LabelingReport",
    "PoolPlan",
    "label_transitions",
    "label_version",
    "plan_resources",
]
