"""Every recorded experiment config still loads and validates against the current RunConfig."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import REPO_ROOT

from learec.platform.jobs.config import RunConfig
from learec.platform.jobs.config_file import build_config

EXPERIMENTS = sorted((REPO_ROOT / "experiments").glob("*.yaml"))


def test_there_are_experiment_configs() -> None:
    assert EXPERIMENTS, "experiments/*.yaml not found"


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.name)
def test_experiment_config_loads(path: Path) -> None:
    cfg = build_config(RunConfig, path)
    # the recorded grids keep their SA2C warm-up and Polyak targets under the per-algorithm sections
    for algo in ("sqn", "snqn", "sa2c"):
        assert getattr(cfg.train, algo).double_q is False, f"{path.name}: train.{algo}.double_q"
    assert cfg.train.sa2c.warmup_steps < 2000
    assert cfg.train.params.lea_reward == cfg.prep.reward_click
