"""DPO without a Ray cluster: the loss by hand, the frozen reference, the start at log 2, pairs, export."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from ray.rllib.core.columns import Columns
from ray.rllib.policy.sample_batch import MultiAgentBatch, SampleBatch
from reference.tiny_transitions import N_ITEMS, STATE_LEN, transitions_table

from learec.platform.data import schema
from learec.rllib_algos.backbones.registry import BackboneConfig
from learec.rllib_algos.common import losses
from learec.rllib_algos.common.export import export_policy
from learec.rllib_algos.common.offline_input import spaces
from learec.rllib_algos.registry import config_class
from learec.serve.policy import ExportedPolicy

MID = "default_policy"
BACKBONE = BackboneConfig(hidden=16, dropout=0.0)
RAW_IDS = [f"sku-{i}" for i in range(N_ITEMS)]


def learner_of(algo: str, seed: int = 3, backbone: BackboneConfig = BACKBONE, **params):
    obs, act = spaces(N_ITEMS, STATE_LEN)
    cfg = (
        config_class(algo)()
        .training(backbone=backbone, **params)
        .environment(observation_space=obs, action_space=act)
        .debugging(seed=seed)
    )
    cfg.validate()
    return cfg, cfg.build_learner(spaces={MID: (obs, act)})


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CE policy trained a few steps (so its scores are not flat), exported."""
    _, learner = learner_of("ce", seed=11, lr=0.03)
    for i in range(10):
        learner.update(batch=as_ma_batch(batch_of(64, seed=20 + i)))
    module = learner.module[MID].unwrapped()
    return export_policy(module, tmp_path_factory.mktemp("dpo") / "ce", RAW_IDS, {"algo": "ce"})


def batch_of(n_rows: int, seed: int) -> dict[str, torch.Tensor]:
    t = transitions_table(40, seed=seed, labeled=True).slice(0, n_rows)
    cols = {
        Columns.OBS: schema.STATE,
        Columns.NEXT_OBS: schema.NEXT_STATE,
        Columns.ACTIONS: schema.ACTION,
        Columns.REWARDS: schema.REWARD,
        Columns.TERMINATEDS: schema.DONE,
        schema.LE_POS_ACTIONS: schema.LE_POS_ACTIONS,
    }
    return {key: torch.tensor(t[name].to_pylist()) for key, name in cols.items()}


def as_ma_batch(batch: dict[str, torch.Tensor]) -> MultiAgentBatch:
    n = len(batch[Columns.ACTIONS])
    return MultiAgentBatch({MID: SampleBatch({k: v.numpy() for k, v in batch.items()})}, env_steps=n)


def test_dpo_loss_by_hand() -> None:
    # pi(w) = 0.5, pi_ref(w) = 0.25, pi(l) = 0.1, pi_ref(l) = 0.2: margin = beta (log 2 - log 0.5)
    args = [torch.log(torch.tensor([x])) for x in (0.5, 0.1, 0.25, 0.2)]
    margin = losses.dpo_margin(*args, beta=0.5)
    torch.testing.assert_close(margin, torch.tensor([math.log(2.0)]))
    torch.testing.assert_close(losses.dpo(*args, beta=0.5), torch.tensor([math.log(1.0 + 0.5)]))
    same = torch.log(torch.tensor([0.3, 0.01]))
    torch.testing.assert_close(
        losses.dpo(same, same.flip(0), same, same.flip(0), 0.1), torch.full((2,), math.log(2))
    )


def test_sampled_items_avoid_the_excluded_ones() -> None:
    seq = torch.tensor([[N_ITEMS, N_ITEMS, 3, 4], [1, 2, 3, 4]])  # left padding never counts
    mask = losses.item_mask(N_ITEMS, seq, torch.tensor([[5], [6]]))
    assert mask.shape == (2, N_ITEMS) and mask.sum(1).tolist() == [3, 5]
    g = torch.Generator().manual_seed(0)
    draws = torch.stack([losses.sample_outside(mask, g) for _ in range(300)])  # [300, 2]
    for row in range(2):
        assert not mask[row, draws[:, row]].any()
        assert len(set(draws[:, row].tolist())) == N_ITEMS - int(mask[row].sum())  # all others drawn
    with pytest.raises(ValueError, match="excludes every item"):
        losses.sample_outside(torch.ones(1, 3, dtype=torch.bool), g)


def test_policy_starts_as_the_reference_and_the_first_loss_is_log_2(reference: Path) -> None:
    cfg, learner = learner_of("dpo", reference=str(reference), beta=0.5)
    module = learner.rec_module(MID)
    ref = ExportedPolicy.load(reference)
    states = batch_of(16, seed=1)[Columns.OBS]
    got = module.forward_inference({Columns.OBS: states})[Columns.ACTION_DIST_INPUTS].detach().numpy()
    np.testing.assert_allclose(got, ref.score(states.numpy(), (states != N_ITEMS).sum(-1).numpy()), atol=1e-5)
    batch = batch_of(32, seed=2)
    loss = learner.compute_loss_for_module(
        module_id=MID, config=cfg, batch=batch, fwd_out=module.forward_train(batch)
    )
    assert float(loss.detach()) == pytest.approx(math.log(2.0), abs=1e-5)
    assert float(learner.metrics.peek((MID, "loss/reward_margin"))) == pytest.approx(0.0, abs=1e-5)


def test_loss_is_the_dpo_formula_on_the_sampled_pairs(reference: Path) -> None:
    """By hand: logged pairs, dispreferred drawn by the learner's generator, plus the CE anchor."""
    cfg, learner = learner_of("dpo", reference=str(reference), beta=0.5, ce_weight=0.3, lr=0.05)
    for i in range(3):  # move the policy away from the reference first
        learner.update(batch=as_ma_batch(batch_of(32, seed=30 + i)))
    module = learner.rec_module(MID)
    batch = batch_of(32, seed=4)
    learner.negatives_rng.manual_seed(5)
    fwd = module.forward_train(batch)
    loss = learner.compute_loss_for_module(module_id=MID, config=cfg, batch=batch, fwd_out=fwd)

    a = batch[Columns.ACTIONS]
    g = torch.Generator().manual_seed(5)
    lost = losses.sample_outside(torch.nn.functional.one_hot(a, N_ITEMS).bool(), g)
    assert not (lost == a).any()
    logp = torch.log_softmax(fwd[Columns.ACTION_DIST_INPUTS], -1)
    ref_states = torch.as_tensor(batch[Columns.OBS])
    ref_logp = torch.log_softmax(learner.references[MID].scores(ref_states), -1)
    rows = torch.arange(32)
    margin = 0.5 * ((logp[rows, a] - ref_logp[rows, a]) - (logp[rows, lost] - ref_logp[rows, lost]))
    expected = (-torch.log(torch.sigmoid(margin)) - 0.3 * logp[rows, a]).mean()
    torch.testing.assert_close(loss, expected, atol=1e-5, rtol=0)
    assert float(learner.metrics.peek((MID, "loss/pref_accuracy"))) == pytest.approx(
        float((margin > 0).float().mean())
    )


def test_le_pairs_prefer_the_best_positive_over_an_item_the_le_ranked_lower(reference: Path) -> None:
    cfg, learner = learner_of("dpo", reference=str(reference), pairs="le")
    batch = batch_of(40, seed=6)
    for _ in range(20):
        won, lost = learner._pair(True, batch, N_ITEMS)
        torch.testing.assert_close(won, batch[schema.LE_POS_ACTIONS][:, 0])
        for row in range(40):
            banned = set(batch[Columns.OBS][row].tolist()) | set(batch[schema.LE_POS_ACTIONS][row].tolist())
            assert int(lost[row]) not in banned | {int(batch[Columns.ACTIONS][row])}
    # auto: LE pairs exactly when LE positives are switched on (the lea variants)
    assert cfg.algo_params.le_pairs(0) and learner_of("dpo", reference=str(reference))[
        0
    ].algo_params.le_pairs(3)
    assert not learner_of("dpo", reference=str(reference))[0].algo_params.le_pairs(0)


def test_reference_stays_frozen_and_out_of_the_optimiser_and_the_export(
    reference: Path, tmp_path: Path
) -> None:
    cfg, learner = learner_of("dpo", reference=str(reference), lr=0.05)
    ref_net = learner.references[MID]
    before = {k: v.clone() for k, v in ref_net.state_dict().items()}
    assert not ref_net.training and not any(p.requires_grad for p in ref_net.parameters())
    optimised = {
        id(p)
        for _, opt in learner.get_optimizers_for_module(MID)
        for g in opt.param_groups
        for p in g["params"]
    }
    assert not optimised & {id(p) for p in ref_net.parameters()}
    module = learner.rec_module(MID)
    policy_before = {k: v.clone() for k, v in module.net1.state_dict().items()}
    dpo_terms = []
    for i in range(30):
        res = learner.update(batch=as_ma_batch(batch_of(64, seed=40 + i % 5)))
        dpo_terms.append(float(res[MID]["loss/dpo"].peek()))
    for k, v in ref_net.state_dict().items():
        assert torch.equal(v, before[k]), k  # never moved
    assert all(p.grad is None for p in ref_net.parameters())
    assert any(
        not torch.equal(v, policy_before[k]) for k, v in module.net1.state_dict().items()
    )  # policy moved
    assert np.mean(dpo_terms[-5:]) < 0.8 * math.log(2.0), dpo_terms  # it learns the preferences
    assert not any("reference" in k for k in learner.module[MID].get_state())  # not checkpointed
    out = export_policy(module, tmp_path / "dpo", RAW_IDS, {"algo": "dpo"})
    policy = ExportedPolicy.load(out)  # serves like any other policy
    states = batch_of(8, seed=9)[Columns.OBS]
    expected = module.forward_inference({Columns.OBS: states})[Columns.ACTION_DIST_INPUTS].detach().numpy()
    np.testing.assert_allclose(
        policy.score(states.numpy(), (states != N_ITEMS).sum(-1).numpy()), expected, atol=1e-5
    )
    assert policy.manifest["algo"] == "dpo"


def test_reference_must_be_set_and_be_the_same_network(reference: Path) -> None:
    with pytest.raises(ValueError, match="train.dpo.reference is not set"):
        learner_of("dpo")
    with pytest.raises(ValueError, match=r"ce: the reference policy \(gru4rec, hidden 16.*hidden 32"):
        learner_of("dpo", reference=str(reference), backbone=BackboneConfig(hidden=32, dropout=0.0))
    with pytest.raises(ValueError, match="not an exported policy"):
        learner_of("dpo", reference=str(reference.parent / "missing"))
