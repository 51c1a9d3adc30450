"""The LE inference API: shapes, dtypes, determinism, batch-size invariance, exclusions, label parity."""

from __future__ import annotations

import numpy as np
import pytest

from learec.platform.le.pairs import transition_arrays

K = 5


@pytest.fixture(scope="module")
def batch(le_data):
    a = transition_arrays(le_data["heldout"])
    rows = np.arange(0, len(a), max(1, len(a) // 24))[:24]
    return a.take(rows)


def test_api_shapes_and_dtypes(full_env, batch) -> None:
    b = len(batch)
    assert full_env.n_items == 40 and len(full_env.raw_ids) == 40 and full_env.le_state_dim == 64
    s = full_env.state(batch.states, batch.lengths)
    assert s.shape == (b, full_env.le_state_dim) and s.dtype == np.float32
    r = full_env.reward(batch.states, batch.lengths, batch.actions)
    assert r.shape == (b,) and r.dtype == np.float32
    rm = full_env.reward(batch.states, batch.lengths, np.stack([batch.actions, batch.actions[::-1]], 1))
    assert rm.shape == (b, 2) and rm.dtype == np.float32
    np.testing.assert_allclose(rm[:, 0], r, atol=1e-5)
    items, rewards = full_env.positive_actions(batch.states, batch.lengths, K)
    assert items.shape == (b, K) and items.dtype == np.int64 and rewards.dtype == np.float32
    lab = full_env.label(batch.states, batch.lengths, batch.actions, K)
    assert lab["le_state"].shape == (b, full_env.le_state_dim) and lab["le_state"].dtype == np.float32
    assert lab["le_reward"].shape == (b,) and lab["le_reward"].dtype == np.float32
    assert lab["le_pos_actions"].shape == (b, K) and lab["le_pos_actions"].dtype == np.int64
    assert lab["le_pos_rewards"].shape == (b, K) and lab["le_pos_rewards"].dtype == np.float32
    assert all(np.isfinite(v).all() for v in lab.values())


def test_label_matches_separate_calls(full_env, batch) -> None:
    lab = full_env.label(batch.states, batch.lengths, batch.actions, K)
    np.testing.assert_allclose(lab["le_state"], full_env.state(batch.states, batch.lengths), atol=1e-5)
    np.testing.assert_allclose(
        lab["le_reward"], full_env.reward(batch.states, batch.lengths, batch.actions), atol=1e-5
    )
    items, rewards = full_env.positive_actions(batch.states, batch.lengths, K, exclude=batch.actions[:, None])
    np.testing.assert_array_equal(lab["le_pos_actions"], items)
    np.testing.assert_allclose(lab["le_pos_rewards"], rewards, atol=1e-5)
    # each positive's reward is the reward model's normalised score of that (state, item), best first
    np.testing.assert_allclose(
        lab["le_pos_rewards"], full_env.reward(batch.states, batch.lengths, items), atol=1e-4
    )
    assert (np.diff(lab["le_pos_rewards"], axis=1) <= 1e-6).all()


def test_deterministic_and_batch_size_invariant(full_env, batch) -> None:
    whole = full_env.label(batch.states, batch.lengths, batch.actions, K)
    again = full_env.label(batch.states, batch.lengths, batch.actions, K)
    for key in whole:
        np.testing.assert_array_equal(whole[key], again[key])
    for size in (1, 7):
        parts = [
            full_env.label(
                batch.states[i : i + size], batch.lengths[i : i + size], batch.actions[i : i + size], K
            )
            for i in range(0, len(batch), size)
        ]
        np.testing.assert_allclose(
            np.concatenate([p["le_state"] for p in parts]), whole["le_state"], atol=1e-5
        )
        np.testing.assert_allclose(
            np.concatenate([p["le_reward"] for p in parts]), whole["le_reward"], atol=1e-5
        )
        np.testing.assert_array_equal(
            np.concatenate([p["le_pos_actions"] for p in parts]), whole["le_pos_actions"]
        )
        np.testing.assert_allclose(
            np.concatenate([p["le_pos_rewards"] for p in parts]), whole["le_pos_rewards"], atol=1e-5
        )


def test_positive_actions_exclude_history_and_logged_action(full_env, batch) -> None:
    k = 12
    lab = full_env.label(batch.states, batch.lengths, batch.actions, k)
    pos = lab["le_pos_actions"]
    for row in range(len(batch)):
        history = set(batch.states[row, batch.states.shape[1] - batch.lengths[row] :].tolist())
        got = pos[row].tolist()
        assert len(set(got)) == k
        assert not history & set(got)
        assert batch.actions[row] not in got
        assert all(0 <= i < full_env.n_items for i in got)
    # ranked best first by the LE reward
    _, rewards = full_env.positive_actions(batch.states, batch.lengths, k, exclude=batch.actions[:, None])
    assert (np.diff(rewards, axis=1) <= 1e-6).all()


def test_too_many_positive_actions_is_a_clear_error(full_env, batch) -> None:
    with pytest.raises(ValueError, match="lower k"):
        full_env.positive_actions(batch.states, batch.lengths, full_env.n_items)


def test_bad_inputs_are_clear_errors(full_env, batch) -> None:
    with pytest.raises(ValueError, match="item ids"):
        full_env.reward(batch.states, batch.lengths, np.full(len(batch), 99))
    bad = batch.states.copy()
    bad[:, -1] = 77
    with pytest.raises(ValueError, match="left-padded"):
        full_env.state(bad, np.maximum(batch.lengths, 1))
    with pytest.raises(ValueError, match="lengths"):
        full_env.state(batch.states, batch.lengths[:-1])


def test_tokens_processed_counts_prompt_and_action_tokens(full_env, batch) -> None:
    before = full_env.tokens_processed
    full_env.reward(batch.states[:2], batch.lengths[:2], batch.actions[:2])
    spent = full_env.tokens_processed - before
    # [bos] "history:" items " next:" per prompt plus one action token each
    assert spent >= 2 * 2 + int(np.minimum(batch.lengths[:2], 10).sum())


def test_state_is_the_projection_plus_the_pooled_history(full_env, batch) -> None:
    """S_t = W s_t + U · mean item vector of the prompt's history; padding and empty histories add nothing."""
    import torch

    model = full_env._model
    assert model.state_proj.history is not None, "history_pool is the tiny default"
    assert model.state_proj.history.std() > 0, "u starts constant and must train"
    with torch.no_grad():
        enc = model.encode(batch.states, batch.lengths)
        got = model.state(enc)
        tail, n = model.prompts.histories(batch.states, batch.lengths)
        vectors = model.item_vectors()
        for b in range(len(batch)):
            expected = model.state_proj.proj(enc.hidden[b])
            if n[b]:
                pooled = vectors[torch.from_numpy(tail[b][tail[b] >= 0])].mean(0)
                expected = expected + model.state_proj.history * pooled
            torch.testing.assert_close(got[b], expected, atol=1e-5, rtol=1e-5)
    empty = full_env.state(batch.states[:2], np.zeros(2, dtype=np.int64))
    np.testing.assert_allclose(empty[0], empty[1], atol=1e-6)  # no history: the prompt alone
