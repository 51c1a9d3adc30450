"""Most-popular and random baselines."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from learec.platform.data import schema
from learec.platform.eval.baselines import (
    popularity_counts,
    popularity_score_fn,
    popularity_scores,
    random_score_fn,
)
from learec.platform.eval.protocol import EvalConfig, evaluate
from learec.platform.eval.ranking import ranks_of_targets


def _events(items: list[int]) -> pa.Table:
    n = len(items)
    return pa.table(
        {
            schema.SESSION_ID: pa.array(np.zeros(n), pa.int64()),
            schema.TS: pa.array(np.arange(n), pa.int64()),
            schema.ITEM_ID: pa.array(items, pa.int64()),
            schema.EVENT: pa.array([schema.CLICK] * n),
        },
        schema=schema.EVENTS,
    )


def test_most_frequent_item_ranks_first() -> None:
    events = _events([2, 2, 2, 0, 0, 3, 1, 1])  # counts 2, 2, 3, 1
    scores = popularity_scores(events, n_items=5)
    ranks = ranks_of_targets(np.tile(scores, (5, 1)), np.arange(5))
    # 2 first; 0 and 1 tie on count and keep id order; then 3; unseen item 4 last
    assert ranks.tolist() == [1, 2, 0, 3, 4]


def test_counts_from_events_equal_counts_from_transitions(make_transitions) -> None:
    events = _events([1, 1, 0, 3])
    transitions = make_transitions([[4, 4]] * 4, [1, 1, 0, 3], [0, 0, 1, 0], n_items=4)
    np.testing.assert_array_equal(popularity_counts(events, 4), popularity_counts(transitions, 4))
    np.testing.assert_array_equal(popularity_scores(events, 4), popularity_scores(np.array([1, 2, 0, 1]), 4))


def test_popularity_score_fn_ignores_state_and_evaluates(make_transitions) -> None:
    counts = np.array([5, 1, 9, 0])
    fn = popularity_score_fn(counts)
    a = fn(np.array([[4, 4], [0, 1]]), np.array([1, 2]))
    assert a.shape == (2, 4) and (a[0] == a[1]).all()
    table = make_transitions([[4, 4], [4, 0], [1, 2]], [2, 0, 1], [0, 1, 0], n_items=4)
    got = evaluate(fn, table, 4, EvalConfig(ks=(1, 2)))
    assert got["hr@1/click"] == 0.5  # item 2 is a top-1 hit, item 1 ranks third
    assert got["hr@2/purchase"] == 1.0 and got["hr@1/purchase"] == 0.0


def test_popularity_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"shape \[4\]"):
        popularity_scores(np.array([1, 2]), 4)
    with pytest.raises(ValueError, match="dense"):
        popularity_counts(_events([0, 7]), 4)
    with pytest.raises(ValueError, match="events table"):
        popularity_counts(pa.table({"x": [1]}), 4)


def test_random_scores_are_seeded() -> None:
    state = np.zeros((3, 2), dtype=np.int64)
    a = random_score_fn(6, seed=1)(state, np.ones(3))
    b = random_score_fn(6, seed=1)(state, np.ones(3))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (3, 6)
