"""The reward model learns the toy signal (sessions stay in one category) better than popularity."""

from __future__ import annotations

import json

import numpy as np
from le.toy_data import N_ITEMS

from learec.platform.le.evaluate import CoOccurrence, _precision, _spearman, evaluate_le
from learec.platform.le.pairs import transition_arrays


def test_heldout_pairwise_accuracy_beats_popularity(full_env, full_ckpt, le_data) -> None:
    train = transition_arrays(le_data["train"])
    popularity = np.bincount(train.actions, minlength=N_ITEMS).astype(np.float64)
    metrics = evaluate_le(full_env, le_data["heldout"], popularity, le_data["train"], n_pairs=200)
    assert metrics["le/pair_acc"] > 0.65
    assert metrics["le/pair_acc"] > metrics["pop/pair_acc"] + 0.05
    assert 0.0 <= metrics["cooc/pair_acc"] <= 1.0
    stored = json.loads((full_ckpt / "manifest.json").read_text())["metrics"]
    assert stored["le/pair_acc"] == metrics["le/pair_acc"]


def test_cooccurrence_counts_history_next_pairs() -> None:
    from learec.platform.le.pairs import TransitionArrays

    pad = 5
    data = TransitionArrays(
        session_ids=np.array([0, 0, 1]),
        states=np.array([[pad, 1], [1, 2], [pad, 1]]),
        lengths=np.array([1, 2, 1]),
        actions=np.array([2, 3, 2]),
    )
    co = CoOccurrence(data, n_items=5)
    scores = co.score(np.array([[1, 2]]), np.array([2]), np.array([[2, 3, 4]]))
    np.testing.assert_array_equal(scores, [[2.0, 2.0, 0.0]])  # (1,2)x2; (1,3)+(2,3); nothing for 4


def test_rank_helpers() -> None:
    assert _spearman(np.array([1.0, 2, 3]), np.array([10.0, 20, 30])) == 1.0
    assert _spearman(np.array([1.0, 2, 3]), np.array([3.0, 2, 1])) == -1.0
    assert np.isnan(_spearman(np.ones(3), np.arange(3.0)))
    assert _precision(np.array([[1, 2], [3, 4]]), np.array([[2, 9], [3, 4]])) == 0.75
