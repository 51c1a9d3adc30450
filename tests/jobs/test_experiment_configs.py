"""Every recorded experiment config still loads and validates against the current RunConfig; the sweep
files among them (a ``sweep:`` section) load as sweeps."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from support import REPO_ROOT

from learec.platform.jobs.config import RunConfig
from learec.platform.jobs.config_file import build_config
from learec.platform.jobs.sweep_spec import load_sweep

ALL = sorted((REPO_ROOT / "experiments").glob("*.yaml"))
SWEEPS = [p for p in ALL if "sweep" in (yaml.safe_load(p.read_text()) or {})]
EXPERIMENTS = [p for p in ALL if p not in SWEEPS]


def test_there_are_experiment_configs() -> None:
    assert EXPERIMENTS, "experiments/*.yaml not found"


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.name)
def test_experiment_config_loads(path: Path) -> None:
    cfg = build_config(RunConfig, path)
    if "train" not in yaml.safe_load(path.read_text()):
        return  # a run at learec's training defaults (movielens_loo.yaml): nothing recorded to keep
    # the recorded grids keep their SA2C warm-up and Polyak targets under the per-algorithm sections
    for algo in ("sqn", "snqn", "sa2c"):
        assert getattr(cfg.train, algo).double_q is False, f"{path.name}: train.{algo}.double_q"
    assert cfg.train.sa2c.warmup_steps < 2000
    assert cfg.train.params.lea_reward == cfg.prep.reward_click
    # recorded before early stopping and the 0.01 LEA weight: they reproduce with the settings of then
    assert cfg.train.patience == 0 and cfg.train.params.lea_ce_weight == 0.1, f"{path.name}: as recorded"


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.name)
def test_experiment_sweep_loads(path: Path) -> None:
    spec = load_sweep(path)
    assert spec.dimensions, f"{path.name}: empty search space"
    assert getattr(spec.run.train, spec.run.train.algo).double_q is False, f"{path.name}: Polyak target"
