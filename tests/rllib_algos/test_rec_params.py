"""Per-algorithm defaults: None fields take the algorithm's value; explicit values are always kept."""

from __future__ import annotations

import pytest

from learec.platform.common.fields import from_dict
from learec.rllib_algos.common.params import RecRLParams
from learec.rllib_algos.registry import config_class


@pytest.mark.parametrize(
    ("algo", "q_loss_weight", "n_negatives", "lr_after_warmup"),
    [("ce", 0.0, 0, 0.0), ("sqn", 1.0, 0, 0.0), ("snqn", 1.0, 10, 0.0), ("sa2c", 1.0, 10, 0.001)],
)
def test_unset_fields_take_the_algorithm_default(algo, q_loss_weight, n_negatives, lr_after_warmup):
    params = config_class(algo)().training(params=RecRLParams(lr=0.01)).params
    assert (params.q_loss_weight, params.n_negatives, params.lr_after_warmup) == (
        q_loss_weight,
        n_negatives,
        lr_after_warmup,
    )
    assert params.lr == 0.01 and params.resolved


def test_explicit_value_equal_to_another_default_is_kept():
    # 0 is SQN's n_negatives and the shared "keep lr" value: SA2C must not turn it into 0.001.
    params = config_class("sa2c")().training(params=RecRLParams(lr_after_warmup=0.0, n_negatives=3)).params
    assert params.lr_after_warmup == 0.0 and params.n_negatives == 3


def test_snqn_rejects_explicit_zero_negatives_instead_of_replacing_it():
    config = config_class("snqn")().training(params=from_dict(RecRLParams, {"n_negatives": 0}))
    with pytest.raises(ValueError, match="n_negatives"):
        config.validate()


def test_field_keywords_also_fill_defaults():
    params = config_class("snqn")().training(lr=0.02).params
    assert params.n_negatives == 10 and params.lr == 0.02
