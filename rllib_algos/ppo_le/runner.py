"""Train PPO in the LE environment, checkpoint it and export the actor as a standard policy.

Ray must already be running (``init_ray``). The export is ``policy_format``'s served network (backbone + CE
head), so ``learec eval``, ``learec serve`` and the simulators use the PPO policy unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from learec.platform.common.fields import from_dict, to_dict
from learec.rllib_algos.common.backbone_config import BackboneConfig
from learec.rllib_algos.common.policy_format import load_served, read_policy, write_policy
from learec.rllib_algos.common.runner import MODULE_ID, results_dir
from learec.rllib_algos.ppo_le.params import PPOLEParams

log = logging.getLogger(__name__)

ACTOR_PREFIX = "actor."


@dataclass(frozen=True)
class PPOResult:
    checkpoint_dir: Path
    export_dir: Path
    history: list[tuple[int, dict[str, float]]]  # (iteration, {episode_return_mean, loss/..., ...})


def iteration_metrics(result: Mapping[str, Any]) -> dict[str, float]:
    """The figures of one ``Algorithm.train()`` result worth keeping: returns and the learner's losses."""
    runners = result.get("env_runners", {})
    learner = result.get("learners", {}).get(MODULE_ID, {})
    keep = {
        "episode_return_mean": runners.get("episode_return_mean"),
        "episode_len_mean": runners.get("episode_len_mean"),
        "env_steps": result.get("num_env_steps_sampled_lifetime"),
        "loss/policy": learner.get("policy_loss"),
        "loss/value": learner.get("vf_loss"),
        "loss/entropy": learner.get("entropy"),
        "loss/anchor_kl": learner.get("loss/anchor_kl"),
        "vf_explained_var": learner.get("vf_explained_var"),
    }
    out = {}
    for k, v in keep.items():
        try:
            value = float(v)
        except (TypeError, ValueError):
            continue
        if np.isfinite(value):
            out[k] = value
    return out


def actor_weights(algo: Any) -> dict[str, np.ndarray]:
    """The learner's current actor (backbone + CE head) as a served-network state dict."""
    weights = algo.learner_group.get_weights(module_ids=[MODULE_ID])[MODULE_ID]
    return {k[len(ACTOR_PREFIX) :]: np.asarray(v) for k, v in weights.items() if k.startswith(ACTOR_PREFIX)}


def train_ppo(
    params: PPOLEParams,
    env_name: str,
    env_config: dict[str, Any],
    warm_start: Path,
    out_dir: Path,
    raw_ids: Sequence[str],
    on_iteration: Callable[[int, dict[str, float]], None] | None = None,
    extra_train_config: Mapping[str, Any] | None = None,
) -> PPOResult:
    """Train ``params.iterations`` PPO iterations; checkpoint to ``out_dir/checkpoint``, export the actor to
    ``out_dir/policy``. ``env_name`` must be registered (``learec.platform.le.env.gym_env.register``)."""
    from learec.rllib_algos.ppo_le.ppo_le import build_config

    out_dir = Path(out_dir)
    stored = read_policy(Path(warm_start))
    config = build_config(params, env_name, env_config, warm_start)
    torch.manual_seed(params.seed)
    history: list[tuple[int, dict[str, float]]] = []
    with results_dir(out_dir / "ray_logs"):
        algo = config.build_algo()
    try:
        for it in range(1, params.iterations + 1):
            metrics = iteration_metrics(algo.train())
            history.append((it, metrics))
            if on_iteration is not None:
                on_iteration(it, metrics)
        checkpoint = Path(algo.save_to_path(str((out_dir / "checkpoint").resolve())))
        network = stored.network
        actor = load_served(_backbone(stored), network.n_items, network.state_len, actor_weights(algo))
    finally:
        algo.stop()
    train = {
        "algo": "ppo_le",
        "ppo": to_dict(params),
        "warm_start": str(Path(warm_start).resolve()),
        "warm_start_algo": stored.config.get("algo"),
        **dict(extra_train_config or {}),
    }
    last = history[-1][1] if history else {}
    export_dir = write_policy(out_dir / "policy", actor, _backbone(stored), raw_ids, train, last)
    log.info("PPO in the LE environment: %d iterations, exported to %s", params.iterations, export_dir)
    return PPOResult(checkpoint, export_dir, history)


def _backbone(stored: Any) -> BackboneConfig:
    return from_dict(BackboneConfig, stored.config["backbone"])
