"""Learner-level properties without a Ray cluster: parity with the reference loss, double Q, warm-up,
LE fusion width, learning on a small problem, export parity."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from ray.rllib.core.columns import Columns
from ray.rllib.policy.sample_batch import MultiAgentBatch, SampleBatch
from reference.sqn_reference import reference_loss
from reference.tiny_transitions import LE_DIM, N_ITEMS, STATE_LEN, next_item, transitions_table

from learec.platform.data import schema
from learec.rllib_algos.backbones.registry import BackboneConfig
from learec.rllib_algos.common import losses
from learec.rllib_algos.common.export import export_policy
from learec.rllib_algos.common.le_fusion import LEFusion
from learec.rllib_algos.common.lea_rewards import LeaRewardScale
from learec.rllib_algos.common.offline_input import spaces
from learec.rllib_algos.registry import config_class
from learec.serve.policy import ExportedPolicy

MID = "default_policy"
BACKBONE = BackboneConfig(hidden=16, dropout=0.0)


def make_learner(algo: str, le_state_dim: int = 0, lea_reward_scale: LeaRewardScale | None = None, **params):
    obs, act = spaces(N_ITEMS, STATE_LEN)
    cfg = (
        config_class(algo)()
        .training(backbone=BACKBONE, **params)
        .environment(observation_space=obs, action_space=act)
        .debugging(seed=3)
    )
    cfg.le_state_dim = le_state_dim
    cfg.lea_reward_scale = lea_reward_scale
    cfg.validate()
    return cfg, cfg.build_learner(spaces={MID: (obs, act)})


def tensor_batch(n_rows: int, seed: int) -> dict[str, torch.Tensor]:
    t = transitions_table(40, seed=seed, labeled=True).slice(0, n_rows)
    return {
        Columns.OBS: torch.tensor(t[schema.STATE].to_pylist()),
        Columns.NEXT_OBS: torch.tensor(t[schema.NEXT_STATE].to_pylist()),
        Columns.ACTIONS: torch.tensor(t[schema.ACTION].to_pylist()),
        Columns.REWARDS: torch.tensor(t[schema.REWARD].to_pylist()),
        Columns.TERMINATEDS: torch.tensor(t[schema.DONE].to_pylist()),
        schema.LE_STATE: torch.tensor(t[schema.LE_STATE].to_pylist()),
        schema.LE_REWARD: torch.tensor(t[schema.LE_REWARD].to_pylist()),
        schema.LE_POS_ACTIONS: torch.tensor(t[schema.LE_POS_ACTIONS].to_pylist()),
        schema.LE_POS_REWARDS: torch.tensor(t[schema.LE_POS_REWARDS].to_pylist()),
    }


def as_ma_batch(batch: dict[str, torch.Tensor]) -> MultiAgentBatch:
    n = len(batch[Columns.ACTIONS])
    return MultiAgentBatch({MID: SampleBatch({k: v.numpy() for k, v in batch.items()})}, env_steps=n)


@pytest.mark.parametrize("algo", ["sqn", "snqn", "sa2c"])
@pytest.mark.parametrize("main_index", [0, 1])
def test_learner_loss_matches_reference(algo: str, main_index: int) -> None:
    cfg, learner = make_learner(algo, **({"warmup_steps": 0} if algo == "sa2c" else {}))
    module, p, own = learner.rec_module(MID), cfg.params, cfg.algo_params
    batch = tensor_batch(32, seed=1)
    module.main_index = main_index  # the coin flip, fixed
    learner.negatives_rng.manual_seed(7)
    fwd = module.forward_train(batch)
    loss = learner.compute_loss_for_module(module_id=MID, config=cfg, batch=batch, fwd_out=fwd)

    main, tgt = module.networks()
    assert main is (module.net1 if main_index == 0 else module.net2)

    def net(n):
        return lambda s: (lambda o: (o.q, o.logits))(n(s))

    a = batch[Columns.ACTIONS]
    g = torch.Generator().manual_seed(7)
    n_negatives = own.negatives_per_row
    neg = losses.sample_negatives(a, n_negatives, N_ITEMS, g) if n_negatives else None
    clip = (own.advantage_min, own.advantage_max) if algo == "sa2c" else None
    ref = reference_loss(
        net(main),
        net(tgt),
        batch[Columns.OBS],
        a,
        batch[Columns.REWARDS],
        batch[Columns.NEXT_OBS],
        batch[Columns.TERMINATEDS],
        neg,
        p.gamma,
        own.q_loss_weight,
        clip,
    )
    torch.testing.assert_close(loss, ref, atol=1e-5, rtol=0)


def test_sa2c_is_snqn_before_warmup() -> None:
    batch = tensor_batch(32, seed=2)
    out = {}
    for algo in ("snqn", "sa2c"):
        cfg, learner = make_learner(algo, **({"warmup_steps": 5} if algo == "sa2c" else {}))
        torch.manual_seed(0)
        learner.module[MID].set_state(make_learner("snqn")[1].module[MID].get_state())
        learner.negatives_rng.manual_seed(7)
        fwd = learner.rec_module(MID).forward_train(batch)
        out[algo] = learner.compute_loss_for_module(module_id=MID, config=cfg, batch=batch, fwd_out=fwd)
    torch.testing.assert_close(out["sa2c"], out["snqn"])
    cfg, learner = make_learner("sa2c", warmup_steps=5)
    learner.num_updates = 5  # warm-up over: the CE rows are advantage-weighted
    fwd = learner.rec_module(MID).forward_train(batch)
    terms_loss = learner.compute_loss_for_module(module_id=MID, config=cfg, batch=batch, fwd_out=fwd)
    assert not torch.isclose(terms_loss, out["sa2c"])


def test_cql_is_sqn_plus_the_weighted_conservative_penalty() -> None:
    batch = tensor_batch(32, seed=4)
    state = make_learner("sqn")[1].module[MID].get_state()
    out = {}
    for algo, own in (("sqn", {"q_loss_weight": 0.5}), ("cql", {"q_loss_weight": 0.5, "alpha": 2.0})):
        cfg, learner = make_learner(algo, **own)
        learner.module[MID].set_state(state)
        module = learner.rec_module(MID)
        module.main_index = 0
        fwd = module.forward_train(batch)
        out[algo] = learner.compute_loss_for_module(module_id=MID, config=cfg, batch=batch, fwd_out=fwd)
    penalty = losses.conservative_penalty(fwd["q_values"], batch[Columns.ACTIONS].long())
    torch.testing.assert_close(out["cql"], out["sqn"] + 0.5 * 2.0 * penalty.mean())


def test_double_q_updates_only_the_learning_network() -> None:
    _, learner = make_learner("sqn")
    module = learner.rec_module(MID)
    nets = (("1", module.net1), ("2", module.net2))
    before = {n: {k: v.clone() for k, v in net.state_dict().items()} for n, net in nets}
    learner.update(batch=as_ma_batch(tensor_batch(32, seed=3)))
    learning = "1" if module.main_index == 0 else "2"
    for name, net in (("1", module.net1), ("2", module.net2)):
        moved = any(not torch.equal(v, before[name][k]) for k, v in net.state_dict().items())
        assert moved == (name == learning), f"net{name} moved={moved}, learning net{learning}"


def test_polyak_target_follows_by_tau() -> None:
    _, learner = make_learner("sqn", double_q=False, tau=0.5)
    module = learner.rec_module(MID)
    for a, b in zip(module.net1.parameters(), module.net2.parameters(), strict=True):
        assert torch.equal(a, b)  # the target starts as a copy
    old_tgt = [p.clone() for p in module.net2.parameters()]
    learner.update(batch=as_ma_batch(tensor_batch(32, seed=4)))
    for a, b, old in zip(module.net1.parameters(), module.net2.parameters(), old_tgt, strict=True):
        torch.testing.assert_close(b, 0.5 * old + 0.5 * a)


@pytest.mark.parametrize("mode", ["concat", "gate"])
def test_fused_state_has_the_declared_width(mode: str) -> None:
    fusion = LEFusion(mode, hidden=16, le_state_dim=LE_DIM)
    assert fusion(torch.randn(5, 16), torch.randn(5, LE_DIM)).shape == (5, 16)
    _, learner = make_learner("sqn", le_state_dim=LE_DIM, le_state=mode)
    module = learner.rec_module(MID)
    batch = tensor_batch(8, seed=5)
    z = module.net1.state(batch[Columns.OBS])
    assert module.net1.q_state(z, batch[schema.LE_STATE]).shape == (8, BACKBONE.hidden)
    # The served head never sees the LE state: the fused Q changes with le_state and the fusion weights,
    # the serving scores do not.
    served = module.forward_inference({Columns.OBS: batch[Columns.OBS]})[Columns.ACTION_DIST_INPUTS]
    q_before = module.net1(batch[Columns.OBS], batch[schema.LE_STATE]).q
    with torch.no_grad():
        for p in module.net1.fusion.parameters():
            p.add_(1.0)
    assert not torch.allclose(module.net1(batch[Columns.OBS], batch[schema.LE_STATE]).q, q_before)
    after = module.forward_inference({Columns.OBS: batch[Columns.OBS]})[Columns.ACTION_DIST_INPUTS]
    torch.testing.assert_close(after, served, atol=0, rtol=0)
    assert "net1.fusion" in module.get_non_inference_attributes()  # inference copies drop it


def test_lea_adds_k_positive_terms_to_the_loss() -> None:
    batch = tensor_batch(16, seed=6)
    cfg0, learner = make_learner("sqn")
    cfg2, learner2 = make_learner("sqn", lea_augment_k=2, lea_ce_weight=0.5, lea_reward=0.2)
    fwd = learner2.rec_module(MID).forward_train(batch)  # also holds Q(s_t) of both networks
    base = learner.compute_loss_for_module(module_id=MID, config=cfg0, batch=batch, fwd_out=fwd)
    aug = learner2.compute_loss_for_module(module_id=MID, config=cfg2, batch=batch, fwd_out=fwd)
    pos = batch[schema.LE_POS_ACTIONS][:, :2]
    lea_ce = losses.lea_ce(fwd[Columns.ACTION_DIST_INPUTS], pos)
    lea_td = losses.negative_td(fwd["q_values"], pos, fwd["q_values"].detach(), fwd["q_now_tgt"], 0.5, 0.2)
    torch.testing.assert_close(aug, base + (0.5 * lea_ce + lea_td).mean())


@pytest.mark.parametrize("source", ["le_affine", "le_sigmoid"])
def test_lea_td_rewards_each_positive_with_its_le_reward(source: str) -> None:
    """lea_td by hand: positive j of row i earns the mapped le_pos_rewards[i, j] and bootstraps from s_t."""
    batch = tensor_batch(16, seed=8)
    scale = LeaRewardScale(offset=0.3, slope=0.25, high=1.0)
    cfg, learner = make_learner(
        "sqn", lea_augment_k=2, lea_reward=0.2, lea_reward_source=source, lea_reward_scale=scale, gamma=0.5
    )
    module = learner.rec_module(MID)
    module.main_index = 0
    fwd = module.forward_train(batch)
    learner.compute_loss_for_module(module_id=MID, config=cfg, batch=batch, fwd_out=fwd)
    got = learner.metrics.peek((MID, "loss/lea_td"))

    q, q_tgt_now = fwd["q_values"].detach(), fwd["q_now_tgt"]
    z = batch[schema.LE_POS_REWARDS].float()
    expected = []
    for i in range(16):
        boot = float(q_tgt_now[i, int(q[i].argmax())])  # the learning network selects, the target evaluates
        row = 0.0
        for j in range(2):
            zij = float(z[i, j])
            r = (
                min(max(0.3 + 0.25 * zij, 0.0), 1.0)
                if source == "le_affine"
                else 1.0 / (1.0 + math.exp(-zij))
            )
            row += 0.5 * (r + 0.5 * boot - float(q[i, int(batch[schema.LE_POS_ACTIONS][i, j])])) ** 2
        expected.append(row)
    assert float(got) == pytest.approx(float(np.mean(expected)), rel=1e-5)
    # and it differs from the constant reward, which the labels' third positive does not affect
    cfg_c, learner_c = make_learner("sqn", lea_augment_k=2, lea_reward=0.2, gamma=0.5)
    learner_c.compute_loss_for_module(module_id=MID, config=cfg_c, batch=batch, fwd_out=fwd)
    assert float(learner_c.metrics.peek((MID, "loss/lea_td"))) != pytest.approx(float(got), rel=1e-3)


def test_per_positive_rewards_need_the_fitted_scale() -> None:
    with pytest.raises(ValueError, match="lea_reward_scale"):
        make_learner("sqn", lea_augment_k=2, lea_reward_source="le_affine")


@pytest.mark.parametrize("algo", ["ce", "sqn", "snqn", "sa2c", "cql"])
def test_loss_falls_on_a_learnable_problem(algo: str) -> None:
    # SA2C: the advantage-weighted phase starts at step 30 and keeps the lr
    warmup = {"warmup_steps": 30, "lr_after_warmup": 0.0} if algo == "sa2c" else {}
    _, learner = make_learner(algo, lr=0.03, **warmup)
    batches = [as_ma_batch(tensor_batch(64, seed=10 + i)) for i in range(6)]
    ce = []
    for step in range(40):
        res = learner.update(batch=batches[step % 6])
        ce.append(float(res[MID]["loss/ce"].peek()))
    assert np.mean(ce[-5:]) < 0.7 * np.mean(ce[:5]), ce
    assert ("loss/advantage" in res[MID]) == (algo == "sa2c")
    module = learner.rec_module(MID)
    last = torch.arange(N_ITEMS)
    seq = torch.full((N_ITEMS, STATE_LEN), N_ITEMS)
    seq[:, -1] = last
    hits = module.net1.scores(seq).argmax(-1) == torch.tensor([next_item(int(i)) for i in last])
    assert hits.float().mean() > 0.5


@pytest.mark.parametrize("algo", ["ce", "sqn"])
def test_export_scores_and_topk_match_the_module(algo: str, tmp_path: Path, raw_ids: list[str]) -> None:
    _, learner = make_learner(algo)
    module = learner.rec_module(MID).eval()
    out = export_policy(module, tmp_path / "policy", raw_ids, {"algo": algo}, {"m": 1.0})
    policy = ExportedPolicy.load(out)
    states = tensor_batch(20, seed=7)[Columns.OBS]
    expected = module.forward_inference({Columns.OBS: states})[Columns.ACTION_DIST_INPUTS].numpy()
    got = policy.score(states.numpy(), (states != N_ITEMS).sum(-1).numpy())
    np.testing.assert_allclose(got, expected, atol=1e-5)
    np.testing.assert_array_equal(np.argsort(-got, 1)[:, :5], np.argsort(-expected, 1)[:, :5])
    assert policy.manifest["algo"] == algo and policy.manifest["n_items"] == N_ITEMS


def test_recommend_skips_unknown_and_consumed(tmp_path: Path, raw_ids: list[str]) -> None:
    _, learner = make_learner("ce")
    out = export_policy(learner.rec_module(MID), tmp_path / "p", raw_ids, {"algo": "ce"})
    policy = ExportedPolicy.load(out)
    recs = policy.recommend_detailed([["sku-1", "nope", "sku-2"], []], k=N_ITEMS)
    assert recs.unknown == [["nope"], []]
    first = [r for r, _ in recs.items[0]]
    assert "sku-1" not in first and "sku-2" not in first and len(first) == N_ITEMS - 2
    assert len(recs.items[1]) == N_ITEMS
    scores = [s for _, s in recs.items[0]]
    assert scores == sorted(scores, reverse=True)
    states, _, _ = policy.encode([["sku-1", "nope", "sku-2"]])
    assert states[0, -2:].tolist() == [1, 2] and (states[0, :-2] == N_ITEMS).all()


def test_export_rejects_a_tampered_weight_file(tmp_path: Path, raw_ids: list[str]) -> None:
    _, learner = make_learner("ce")
    out = export_policy(learner.rec_module(MID), tmp_path / "p", raw_ids, {"algo": "ce"})
    (out / "policy.safetensors").write_bytes((out / "policy.safetensors").read_bytes()[:-4] + b"abcd")
    with pytest.raises(ValueError, match="sha256"):
        ExportedPolicy.load(out)


@pytest.mark.parametrize(
    ("algo", "params", "match"),
    [
        ("sqn", {"le_state": "concat"}, "le_state_dim"),
        ("sqn", {"lea_augment_k": 2}, "lea_reward"),
    ],
)
def test_config_rejects_inconsistent_params(algo: str, params: dict, match: str) -> None:
    obs, act = spaces(N_ITEMS, STATE_LEN)
    cfg = config_class(algo)().training(**params).environment(observation_space=obs, action_space=act)
    with pytest.raises(ValueError, match=match):
        cfg.validate()


def test_params_reject_bad_values() -> None:
    with pytest.raises(ValueError, match="gamma"):
        config_class("sqn")().training(gamma=1.5)


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("config.json", "{not json", r"config\.json: not valid JSON"),
        ("config.json", "{}", r"config\.json: missing 'n_items'"),
        ("items.json", '{"0": "sku-0"}', r"items\.json: expected a JSON array"),
    ],
)
def test_load_names_the_broken_file(
    tmp_path: Path, raw_ids: list[str], name: str, text: str, match: str
) -> None:
    """A damaged export is a ValueError naming the file (the CLI prints it), never a KeyError traceback."""
    _, learner = make_learner("ce")
    out = export_policy(learner.rec_module(MID), tmp_path / "p", raw_ids, {"algo": "ce"})
    (out / name).write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        ExportedPolicy.load(out)
