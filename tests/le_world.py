"""A tiny shop, its prepared data and a tiny LE trained on it: the world the LE-environment tests play in.

Built once per test session by fixtures (tests/le/env/conftest.py, tests/rllib_algos/test_ppo_le.py) in a
few seconds: 60 items, 160 sessions, an LE with one small layer and a few dozen steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SHOP = dict(n_items=60, n_categories=4, n_users=40, n_sessions=160, seed=3)


@dataclass(frozen=True)
class WorldDirs:
    data: Path  # prepared data folder
    le: Path  # LE checkpoint trained on it


def build_world_dirs(root: Path) -> WorldDirs:
    from learec.platform.data.prepare import PrepConfig, prepare
    from learec.platform.le.config import LEConfig
    from learec.platform.le.trainer import train_le
    from learec.platform.sim.shop import ShopConfig, SyntheticShop

    logs = SyntheticShop(ShopConfig(**SHOP)).generate()
    data = prepare(logs.to_raw(), PrepConfig(min_item_count=1), root / "data")
    config = LEConfig(
        tiny_hidden=32, tiny_layers=1, tiny_heads=2, tiny_kv_heads=1, tiny_intermediate=64, tiny_vocab=300,
        item_token_epochs=1, steps=30, batch_size=16, heldout_pairs=64, user_fraction=0.5, max_text_tokens=8,
        eval_every=0, threads=2,
    )  # fmt: skip
    le = train_le(
        config,
        data.transitions("train"),
        data.items(),
        root / "le",
        heldout_transitions=data.transitions("val"),
    )
    return WorldDirs(data.root, Path(le))


def make_policy(out: Path, data_dir: Path, seed: int = 0, algo: str = "ce") -> Path:
    """An exported policy over the data's items (an untrained CE learner: random but valid weights)."""
    from learec.platform.data.prepare import load_prepared
    from learec.rllib_algos.backbones.registry import BackboneConfig
    from learec.rllib_algos.common.export import export_policy
    from learec.rllib_algos.common.offline_input import spaces
    from learec.rllib_algos.registry import config_class

    data = load_prepared(data_dir)
    obs, act = spaces(data.n_items, data.state_len)
    cfg = config_class(algo)().training(backbone=BackboneConfig(hidden=16, dropout=0.0))
    cfg = cfg.environment(observation_space=obs, action_space=act).debugging(seed=seed)
    learner = cfg.build_learner(spaces={"default_policy": (obs, act)})
    module = learner.module["default_policy"].eval()
    return export_policy(module, out, data.raw_ids(), {"algo": algo})
