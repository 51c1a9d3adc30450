"""RLlib end to end: Parquet -> OfflinePreLearner -> learners -> checkpoint -> export (Ray integration)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from ray.rllib.core.columns import Columns
from reference.tiny_transitions import N_ITEMS, STATE_LEN, transitions_table

from learec.platform.data import schema
from learec.rllib_algos.backbones.registry import BackboneConfig
from learec.rllib_algos.common.export import load_module
from learec.rllib_algos.common.params import RecRLParams
from learec.rllib_algos.common.runner import TrainConfig, fit
from learec.rllib_algos.dpo.params import DPOParams
from learec.rllib_algos.sa2c.params import SA2CParams
from learec.serve.policy import ExportedPolicy

pytestmark = pytest.mark.integration

LE_ON = {"le_state": "gate", "le_reward": "shape", "lea_augment_k": 2, "lea_reward": 0.2}
LE_REWARDS = {**LE_ON, "lea_reward_source": "le_affine"}  # each LE positive rewarded by its own LE reward
Q_ALGOS = ("sqn", "snqn", "sa2c", "cql")
BACKBONE = BackboneConfig(hidden=16)


@pytest.fixture(scope="module")
def ce_policy(tmp_path_factory: pytest.TempPathFactory, raw_ids: list[str]) -> Path:
    """DPO's reference: an exported CE policy with the backbone the fit test trains."""
    from learec.rllib_algos.common.export import export_policy
    from learec.rllib_algos.common.offline_input import spaces
    from learec.rllib_algos.registry import config_class

    obs, act = spaces(N_ITEMS, STATE_LEN)
    cfg = (
        config_class("ce")().training(backbone=BACKBONE).environment(observation_space=obs, action_space=act)
    )
    module = cfg.build_learner(spaces={"default_policy": (obs, act)}).module["default_policy"].unwrapped()
    return export_policy(module, tmp_path_factory.mktemp("fit_ref") / "policy", raw_ids, {"algo": "ce"})


def states() -> np.ndarray:
    return np.asarray(transitions_table(10, seed=9, labeled=False)[schema.STATE].to_pylist())


def fit_tiny(cfg: TrainConfig, transitions: Path, out: Path, raw_ids: list[str], val_fn) -> tuple:
    """``fit`` on the tiny transitions; returns the result and the iterations it reported."""
    seen: list[int] = []
    result = fit(cfg, transitions, N_ITEMS, STATE_LEN, out, raw_ids, lambda it, _: seen.append(it), val_fn)
    return result, seen


@pytest.mark.parametrize(
    ("algo", "num_learners", "switches"),
    [
        ("ce", 0, {}),
        ("sqn", 0, LE_REWARDS),
        ("snqn", 1, LE_ON),
        ("sa2c", 2, LE_ON),
        ("cql", 0, {}),
        ("dpo", 0, {}),
        ("dpo", 1, LE_ON),  # LE pairs (pairs auto with LE positives on), the reference on a remote learner
    ],
)
def test_fit_checkpoint_and_export(
    ray_cluster,
    tiny_transitions: Path,
    raw_ids: list[str],
    ce_policy: Path,
    tmp_path: Path,
    algo: str,
    num_learners: int,
    switches: dict,
) -> None:
    """0, 1 and 2 learners finish (no deadlock on 2 cores); the export ranks like the checkpoint."""
    params = RecRLParams(backbone=BACKBONE, batch_size=64, **switches)
    vals: list[float] = []

    def val_fn(score):
        s = states()
        vals.append(float(score(s, (s != N_ITEMS).sum(-1)).mean()))
        return {"val/mean_score": vals[-1]}

    result, seen = fit_tiny(
        TrainConfig(
            algo=algo,
            params=params,
            sa2c=SA2CParams(warmup_steps=1),
            dpo=DPOParams(reference=str(ce_policy)),
            iterations=2,
            num_learners=num_learners,
            eval_every=1,
            patience=0,  # the last weights are exported (early stopping: the next test)
        ),
        tiny_transitions,
        tmp_path,
        raw_ids,
        val_fn,
    )
    assert seen == [1, 2] and len(vals) == 2
    assert [it for it, _ in result.history] == [1, 2]
    losses = result.history[-1][1]
    assert np.isfinite(losses["loss/ce"])
    assert ("loss/td_pos" in losses) == (algo in Q_ALGOS)
    assert ("loss/lea_ce" in losses) == (bool(switches) and algo != "dpo")
    assert ("loss/dpo" in losses) == (algo == "dpo")
    assert result.metrics["val/mean_score"] == vals[-1]
    assert not (Path.home() / "ray_results").exists() or not any((Path.home() / "ray_results").iterdir())

    module = load_module(result.checkpoint_dir)
    s = states()
    with torch.no_grad():
        out = module.forward_inference({Columns.OBS: torch.as_tensor(s)})
    expected = out[Columns.ACTION_DIST_INPUTS].numpy()
    policy = ExportedPolicy.load(result.export_dir)
    got = policy.score(s, (s != N_ITEMS).sum(-1))
    np.testing.assert_allclose(got, expected, atol=1e-5)
    np.testing.assert_array_equal(np.argsort(-got, 1)[:, :10], np.argsort(-expected, 1)[:, :10])
    # the checkpointed module is the one the learners ended with: the val scorer saw the same weights
    assert float(got.mean()) == pytest.approx(vals[-1], abs=1e-5)
    # restoring twice gives identical outputs
    again = load_module(result.checkpoint_dir)
    with torch.no_grad():
        out2 = again.forward_inference({Columns.OBS: torch.as_tensor(s)})[Columns.ACTION_DIST_INPUTS].numpy()
    np.testing.assert_array_equal(out2, expected)
    assert policy.manifest["algo"] == algo and policy.raw_ids == raw_ids


def test_fit_stops_early_and_exports_the_best_weights_on_val(
    ray_cluster, tiny_transitions: Path, raw_ids: list[str], tmp_path: Path
) -> None:
    """Validation peaks at iteration 2, then fails twice: with patience 2 training ends at iteration 4 and
    the checkpoint and the export hold the iteration-2 weights, not the last ones."""
    import json

    from learec.rllib_algos.common.runner import Training

    peak = [0.5, 0.9, 0.4, 0.3, 0.2]  # val purchase NDCG@10 of the 1st, 2nd, ... validation
    mean_scores: list[float] = []

    def val_fn(score):
        s = states()
        mean_scores.append(float(score(s, (s != N_ITEMS).sum(-1)).mean()))
        return {"ndcg@10/purchase": peak[len(mean_scores) - 1], "ndcg@10/click": 0.1}

    cfg = TrainConfig(
        algo="sqn",
        params=RecRLParams(backbone=BACKBONE, batch_size=32),
        iterations=8,
        eval_every=1,
        patience=2,
        select_metric="ndcg@10/purchase",
    )
    result, seen = fit_tiny(cfg, tiny_transitions, tmp_path, raw_ids, val_fn)
    assert seen == [1, 2, 3, 4]  # stopped after two validations without a better value
    assert result.metrics["best_iteration"] == 2 and result.metrics["stopped_iteration"] == 4
    assert result.metrics["ndcg@10/purchase"] == 0.9  # the metrics are those of the kept weights
    state = json.loads((result.checkpoint_dir / Training.STATE_FILE).read_text())
    assert state["iteration"] == 2
    s = states()
    got = ExportedPolicy.load(result.export_dir).score(s, (s != N_ITEMS).sum(-1))
    assert float(got.mean()) == pytest.approx(mean_scores[1], abs=1e-5)
    assert float(got.mean()) != pytest.approx(mean_scores[3], abs=1e-5)
    assert not (tmp_path / "checkpoint.best").exists()


def test_training_save_and_restore_continues_with_the_same_weights(
    ray_cluster, tiny_transitions: Path, tmp_path: Path
) -> None:
    """An offline algorithm restores from its checkpoint (RLlib's own restore needs EnvRunners) and, with a
    learner in the driver, continues exactly as a run that was never stopped: same weights after 4
    iterations, whether or not it was saved and restored after 2 (data position, coin flip, negatives and
    dropout are all restored)."""
    from learec.rllib_algos.common.runner import Training

    cfg = TrainConfig(
        algo="snqn", params=RecRLParams(backbone=BackboneConfig(hidden=16), batch_size=16), iterations=4
    )
    s = states()
    lengths = (s != N_ITEMS).sum(-1)
    straight = Training(cfg, tiny_transitions, N_ITEMS, STATE_LEN, tmp_path / "logs0")
    try:
        for _ in range(4):
            straight.step()
        want_end = straight.scorer()(s, lengths)
    finally:
        straight.stop()
    first = Training(cfg, tiny_transitions, N_ITEMS, STATE_LEN, tmp_path / "logs")
    try:
        first.step()
        first.step()
        saved = first.save(tmp_path / "ckpt")
        want = first.scorer()(s, lengths)
    finally:
        first.stop()
    second = Training(cfg, tiny_transitions, N_ITEMS, STATE_LEN, tmp_path / "logs2")
    try:
        second.restore(saved)
        assert second.iteration == 2 and [i for i, _ in second.history] == [1, 2]
        np.testing.assert_allclose(second.scorer()(s, lengths), want, rtol=1e-6)
        second.step()  # and it trains on from there, as the uninterrupted run did
        second.step()
        assert second.iteration == 4
        np.testing.assert_allclose(second.scorer()(s, lengths), want_end, rtol=1e-5, atol=1e-6)
    finally:
        second.stop()
