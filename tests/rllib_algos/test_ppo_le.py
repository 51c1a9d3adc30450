"""PPO in the LE environment: warm start, the anchor term, a short training run and its export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from le_world import WorldDirs, build_world_dirs, make_policy

from learec.rllib_algos.common import losses


@pytest.fixture(scope="module")
def ppo_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[WorldDirs, Path]:
    dirs = build_world_dirs(tmp_path_factory.mktemp("ppo_world"))
    return dirs, make_policy(tmp_path_factory.mktemp("warm") / "policy", dirs.data, seed=4)


def _module(warm: Path, n_items: int, state_len: int, inference_only: bool = False, value_encoder="separate"):
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from learec.rllib_algos.common.offline_input import spaces
    from learec.rllib_algos.ppo_le.torch.ppo_le_rl_module import PPOLETorchRLModule

    obs, act = spaces(n_items, state_len)
    spec = RLModuleSpec(
        module_class=PPOLETorchRLModule,
        observation_space=obs,
        action_space=act,
        inference_only=inference_only,
        model_config={"warm_start": str(warm), "value_encoder": value_encoder},
    )
    return spec.build()


def _states(n_items: int, state_len: int, rows: int = 6) -> np.ndarray:
    rng = np.random.default_rng(0)
    s = np.full((rows, state_len), n_items, dtype=np.int64)
    for i in range(rows):
        n = int(rng.integers(0, state_len + 1))
        s[i, state_len - n :] = rng.integers(0, n_items, size=n)
    return s


def test_kl_to_reference_is_zero_on_the_reference_and_matches_by_hand() -> None:
    logits = torch.tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    assert torch.allclose(losses.kl_to_reference(logits, logits), torch.zeros(2), atol=1e-7)
    ref = torch.tensor([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    p, q = logits.softmax(-1), ref.softmax(-1)
    torch.testing.assert_close(losses.kl_to_reference(logits, ref), (p * (p / q).log()).sum(-1))
    shifted = losses.kl_to_reference(logits + 3.0, ref - 1.0)  # logits are defined up to a constant
    torch.testing.assert_close(shifted, (p * (p / q).log()).sum(-1))


@pytest.mark.parametrize("value_encoder", ["separate", "shared"])
def test_warm_start_copies_the_policy(ppo_world, value_encoder: str) -> None:
    from ray.rllib.core.columns import Columns

    from learec.platform.data.prepare import load_prepared
    from learec.serve.policy import ExportedPolicy

    dirs, warm = ppo_world
    data = load_prepared(dirs.data)
    module = _module(warm, data.n_items, data.state_len, value_encoder=value_encoder)
    states = _states(data.n_items, data.state_len)
    expected = ExportedPolicy.load(warm).score(states)
    with torch.no_grad():
        out = module.forward_train({Columns.OBS: torch.as_tensor(states)})
        values = module.compute_values({Columns.OBS: torch.as_tensor(states)}, out.get(Columns.EMBEDDINGS))
    np.testing.assert_allclose(out[Columns.ACTION_DIST_INPUTS].numpy(), expected, atol=1e-5)
    np.testing.assert_allclose(out["ref_logits"].numpy(), expected, atol=1e-5)
    assert values.shape == (len(states),) and torch.all(values == 0)  # a zero value head to start
    assert not any(p.requires_grad for p in module.reference.parameters())
    inference = _module(warm, data.n_items, data.state_len, inference_only=True)
    assert not hasattr(inference, "reference") and not hasattr(inference, "value_head")


def test_warm_start_for_other_items_is_refused(ppo_world) -> None:
    from learec.platform.data.prepare import load_prepared

    dirs, warm = ppo_world
    data = load_prepared(dirs.data)
    with pytest.raises(ValueError, match="warm-start policy"):
        _module(warm, data.n_items + 1, data.state_len)


@pytest.mark.integration
def test_ppo_trains_two_iterations_and_exports_a_servable_policy(
    ray_cluster, ppo_world, tmp_path: Path
) -> None:
    from learec.platform.common.fields import replace
    from learec.platform.jobs.config import RunConfig
    from learec.platform.jobs.le_env_jobs import ppo
    from learec.serve.policy import ExportedPolicy

    dirs, warm = ppo_world
    base = RunConfig()
    cfg = replace(
        base,
        le_env=replace(base.le_env, max_steps=5),
        ppo=replace(
            base.ppo, iterations=2, train_batch_size=64, minibatch_size=32, num_epochs=2, envs_per_runner=8,
            lr=1e-3,
        ),
    )  # fmt: skip
    result = ppo(cfg, dirs.le, dirs.data, warm, tmp_path / "ppo")
    assert [it for it, _ in result["history"]] == [1, 2]
    last = result["history"][-1][1]
    assert np.isfinite(last["loss/anchor_kl"]) and last["loss/anchor_kl"] >= 0
    assert "episode_return_mean" in last
    policy = ExportedPolicy.load(result["export_dir"])
    warm_policy = ExportedPolicy.load(warm)
    states = _states(policy.n_items, policy.state_len)
    assert policy.score(states).shape == (len(states), policy.n_items)
    assert not np.allclose(policy.score(states), warm_policy.score(states))  # training moved the actor
    assert policy.manifest["algo"] == "ppo_le"
    assert (tmp_path / "ppo" / "metrics.json").is_file()
    assert 0.0 <= result["test"]["ndcg@10/click"] <= 1.0
