"""MLflow tracking of sweep trials (``learec sweep --mlflow``) in a local file store.

MLflow refuses ``@`` in metric names, and learec's keys are ``val/ndcg@10/purchase``: the callback logs
them as ``val/ndcg_at_10/purchase`` (TensorBoard and the results table keep the real names).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ray.air.integrations.mlflow import MLflowLoggerCallback


def mlflow_name(key: str) -> str:
    return key.replace("@", "_at_")


class SweepMLflowCallback(MLflowLoggerCallback):
    """Ray's MLflow logger with metric names MLflow accepts."""

    def log_trial_result(self, iteration: int, trial: Any, result: dict) -> None:
        super().log_trial_result(iteration, trial, {mlflow_name(k): v for k, v in result.items()})


def mlflow_callback(store: Path, experiment: str) -> SweepMLflowCallback:
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # a local file store, no tracking server
    return SweepMLflowCallback(tracking_uri=Path(store).resolve().as_uri(), experiment_name=experiment)
