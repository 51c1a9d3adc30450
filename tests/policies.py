"""Exported policies built in code (tiny CE learners, no training), for tests that serve one."""

from __future__ import annotations

from pathlib import Path

from reference.tiny_transitions import N_ITEMS, STATE_LEN

RAW_IDS = [f"sku-{i}" for i in range(N_ITEMS)]


def make_policy(out: Path, seed: int, metrics: dict | None = None) -> Path:
    from learec.rllib_algos.backbones.registry import BackboneConfig
    from learec.rllib_algos.common.export import export_policy
    from learec.rllib_algos.common.offline_input import spaces
    from learec.rllib_algos.registry import config_class

    obs, act = spaces(N_ITEMS, STATE_LEN)
    cfg = config_class("ce")().training(backbone=BackboneConfig(hidden=16, dropout=0.0))
    cfg = cfg.environment(observation_space=obs, action_space=act).debugging(seed=seed)
    learner = cfg.build_learner(spaces={"default_policy": (obs, act)})
    module = learner.module["default_policy"].eval()
    return export_policy(module, out, RAW_IDS, {"algo": "ce"}, metrics)
