"""Each algorithm owns its section of plain defaults; only the section of ``algo`` is read."""

from __future__ import annotations

import dataclasses

import pytest

from learec.platform.common.fields import from_dict
from learec.rllib_algos.ce.params import CEParams
from learec.rllib_algos.common.params import RecRLParams
from learec.rllib_algos.common.train_config import TrainConfig
from learec.rllib_algos.cql.params import CQLParams
from learec.rllib_algos.dpo.params import DPOParams
from learec.rllib_algos.registry import ALGORITHMS, config_class
from learec.rllib_algos.sa2c.params import SA2CParams
from learec.rllib_algos.snqn.params import SNQNParams
from learec.rllib_algos.sqn.params import SQNParams


@pytest.mark.parametrize("algo", sorted(ALGORITHMS))
def test_every_algorithm_has_a_train_section_of_its_params_class(algo: str) -> None:
    cfg = TrainConfig(algo=algo)
    assert type(cfg.algo_params) is config_class(algo).params_class
    assert cfg.algo_params is getattr(cfg, algo)


def test_sections_hold_plain_defaults() -> None:
    assert dataclasses.fields(CEParams) == ()
    assert (SQNParams().q_loss_weight, SQNParams().double_q, SQNParams().tau) == (1.0, True, 0.01)
    assert SNQNParams().n_negatives == 10
    sa2c = SA2CParams()
    assert (sa2c.n_negatives, sa2c.lr_after_warmup, sa2c.warmup_steps) == (10, 0.001, 2000)
    assert (sa2c.advantage_min, sa2c.advantage_max) == (0.0, 10.0)
    dpo = DPOParams()
    assert (dpo.beta, dpo.reference, dpo.pairs, dpo.ce_weight) == (0.1, None, "auto", 0.0)
    assert RecRLParams().lea_reward_source == "constant"


def test_what_the_module_builds_follows_the_section() -> None:
    assert CEParams().q_mode == "none" and CEParams().negatives_per_row == 0
    assert SQNParams().q_mode == "double" and SQNParams(double_q=False).q_mode == "polyak"
    assert SQNParams(q_loss_weight=0.0).q_mode == "none"
    assert SNQNParams(n_negatives=3).negatives_per_row == 3


def test_training_takes_shared_and_own_fields_by_name() -> None:
    config = config_class("snqn")().training(lr=0.02, n_negatives=3)
    assert config.params.lr == 0.02 and config.algo_params.n_negatives == 3
    assert config.lr == 0.02  # mirrored onto RLlib's attribute


def test_training_rejects_another_algorithms_field() -> None:
    with pytest.raises(ValueError, match="warmup_steps is neither a shared field"):
        config_class("sqn")().training(warmup_steps=3)


@pytest.mark.parametrize(
    ("cls", "values", "match"),
    [
        (SNQNParams, {"n_negatives": 0}, "n_negatives must be >= 1, got 0"),
        (SQNParams, {"tau": 0.0}, r"tau must be in \(0, 1\], got 0.0"),
        (SA2CParams, {"q_loss_weight": 0.0}, "sa2c needs a critic"),
        (SA2CParams, {"advantage_min": 2.0, "advantage_max": 1.0}, "advantage_min"),
        (CQLParams, {"q_loss_weight": 0.0}, "cql penalises the Q head"),
        (CQLParams, {"alpha": -1.0}, "alpha must be >= 0"),
        (DPOParams, {"beta": 0.0}, "beta must be > 0"),
        (DPOParams, {"pairs": "best"}, "pairs must be one of"),
        (DPOParams, {"ce_weight": -0.1}, "ce_weight must be >= 0"),
        (RecRLParams, {"lea_reward_source": "le"}, "lea_reward_source must be one of"),
    ],
)
def test_sections_reject_bad_values_from_python_and_yaml(cls: type, values: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        cls(**values)
    with pytest.raises(ValueError, match=match):
        from_dict(cls, values, where="train.x")


def test_yaml_keys_of_the_algorithm_sections() -> None:
    cfg = from_dict(TrainConfig, {"algo": "sa2c", "sa2c": {"warmup_steps": 7}, "params": {"lr": 0.01}})
    assert cfg.algo_params.warmup_steps == 7 and cfg.params.lr == 0.01
    with pytest.raises(ValueError, match="unknown key train.sqn.warmup_steps"):
        from_dict(TrainConfig, {"sqn": {"warmup_steps": 7}}, where="train")
