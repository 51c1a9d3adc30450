"""Training on generated trajectories and the registered environment on RLlib's env runner (Ray)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from learec.platform.le.env.config import LEEnvConfig, MixConfig

pytestmark = pytest.mark.integration


def test_an_offline_algorithm_trains_on_generated_transitions(
    ray_cluster, world, world_dirs, tmp_path: Path
) -> None:
    from learec.platform.data.prepare import load_prepared
    from learec.platform.jobs import le_env_jobs
    from learec.platform.jobs.train import train_and_evaluate
    from learec.platform.le.env.play import no_slates
    from learec.platform.le.env.rollout import write_rollout
    from learec.rllib_algos.backbones.registry import BackboneConfig
    from learec.rllib_algos.common.params import RecRLParams
    from learec.rllib_algos.common.train_config import TrainConfig

    logged = load_prepared(world_dirs.data)
    write_rollout(world, no_slates(1), "le", tmp_path / "gen", 30, seed=0, data_stats=logged.stats)
    mixed = le_env_jobs.mix(world_dirs.data, [tmp_path / "gen"], tmp_path / "mixed", MixConfig("generated"))
    cfg = TrainConfig(
        algo="sqn", params=RecRLParams(backbone=BackboneConfig(hidden=16), batch_size=32), iterations=2
    )
    result = train_and_evaluate(cfg, mixed, tmp_path / "model")
    assert [it for it, _ in result.history] == [1, 2]
    assert np.isfinite(result.history[-1][1]["loss/td_pos"])
    assert 0.0 <= result.metrics["ndcg@10/click"] <= 1.0


def test_rllib_env_runner_builds_the_vector_env_from_the_registry(ray_cluster, world, world_dirs) -> None:
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.env.single_agent_env_runner import SingleAgentEnvRunner

    from learec.platform.le.env.gym_env import LEVectorEnv, register
    from learec.platform.le.env.world import env_config, share_world

    values = env_config(world_dirs.le, world_dirs.data, LEEnvConfig(max_steps=8), world.calibration)
    share_world(values, world)
    config = (
        PPOConfig()
        .environment(register(), env_config=values)
        .env_runners(num_envs_per_env_runner=8, gym_env_vectorize_mode="vector_entry_point")
    )
    runner = SingleAgentEnvRunner(config=config)
    try:
        assert isinstance(runner.env.unwrapped, LEVectorEnv)
        assert runner.env.unwrapped.world is world  # the shared world: no second LE load in this process
        episodes = runner.sample(num_timesteps=64, random_actions=True)
        steps = sum(len(e) for e in episodes)
        assert steps >= 64
        assert all(e.get_observations(0).shape == (world.state_len,) for e in episodes)
    finally:
        runner.stop()
