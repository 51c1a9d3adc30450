"""Training budget scaled to the data (``epochs``) and the state model's later-action targets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from le.toy_data import N_ITEMS, tiny_config

from learec.platform.le.config import LEConfig
from learec.platform.le.item_tokens import item_texts
from learec.platform.le.pairs import TransitionArrays, future_actions, transition_arrays
from learec.platform.le.state_model import future_loss
from learec.platform.le.trainer import build_model, train_state_reward


def test_epochs_scale_the_budget_to_the_data() -> None:
    assert LEConfig(steps=7).steps_for(10_000) == 7
    assert LEConfig(epochs=2.0, batch_size=32).steps_for(1600) == 100
    assert LEConfig(epochs=0.01, batch_size=32).steps_for(10) == 1
    with pytest.raises(ValueError, match="epochs"):
        LEConfig(epochs=0)


def test_training_runs_the_scaled_number_of_steps(le_data) -> None:
    config = tiny_config(epochs=0.25, eval_every=0, item_token_epochs=0)
    data = transition_arrays(le_data["train"])
    model = build_model(config, item_texts(le_data["items"])).model
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    logs = train_state_reward(model, data, N_ITEMS, config, optim, np.random.default_rng(0), lambda *_: None)
    assert logs["steps"] == np.ceil(0.25 * len(data) / config.batch_size)


def test_future_actions_are_the_sessions_later_actions_in_step_order() -> None:
    # rows out of order; session 5 has steps 0-3, session 9 steps 0-1
    data = TransitionArrays(
        session_ids=np.array([5, 9, 5, 5, 9, 5]),
        states=np.zeros((6, 2), dtype=np.int64),
        lengths=np.zeros(6, dtype=np.int64),
        actions=np.array([12, 20, 10, 13, 21, 11]),
        steps=np.array([2, 0, 0, 3, 1, 1]),
    )
    np.testing.assert_array_equal(
        future_actions(data, 2), [[13, -1], [21, -1], [11, 12], [-1, -1], [-1, -1], [12, 13]]
    )
    with pytest.raises(ValueError, match="step"):
        future_actions(TransitionArrays(data.session_ids, data.states, data.lengths, data.actions), 1)


def test_future_loss_is_the_mean_cross_entropy_of_real_later_actions() -> None:
    torch.manual_seed(0)
    state, items = torch.randn(2, 4), torch.randn(6, 4)
    future = torch.tensor([[3, -1], [0, 5]])
    logp = F.log_softmax(state @ items.T / 0.5, -1)
    expected = -(logp[0, 3] + logp[1, 0] + logp[1, 5]) / 3
    torch.testing.assert_close(future_loss(state, items, future, 0.5), expected)
    assert float(future_loss(state, items, torch.full((2, 2), -1), 0.5)) == 0.0
