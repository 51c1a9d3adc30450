"""Evaluate an exported policy on a prepared split (full ranking, clicks and purchases)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from learec.platform.eval.protocol import EvalConfig


def evaluate_exported(
    policy_dir: Path, data_dir: Path, split: str = "test", config: EvalConfig | None = None
) -> dict[str, float]:
    from learec.platform.data.prepare import load_prepared
    from learec.platform.eval.protocol import EvalConfig, evaluate
    from learec.serve.policy import ExportedPolicy

    if split not in ("val", "test"):
        raise ValueError(f"split must be val or test, got {split!r}")
    data = load_prepared(Path(data_dir))
    policy = ExportedPolicy.load(Path(policy_dir))
    if policy.raw_ids != data.raw_ids():
        raise ValueError(
            f"the policy in {policy_dir} was trained on another item vocabulary than {data_dir}: "
            "evaluate it on the data folder it was trained on"
        )
    return evaluate(policy.score, data.transitions(split), data.n_items, config or EvalConfig())
