"""Full-sort ranks and the per-event metric registry, on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from learec.platform.eval.metrics import METRICS, hit_rate, metric, ndcg
from learec.platform.eval.ranking import ranks_of_targets


def test_ranks_match_position_in_full_sort() -> None:
    scores = np.array([[0.1, 0.9, 0.5, 0.3], [4.0, 3.0, 2.0, 1.0]])
    # row 0 sorted: item1 (0), item2 (1), item3 (2), item0 (3); row 1 is already in order
    assert ranks_of_targets(scores, np.array([2, 3])).tolist() == [1, 3]
    assert ranks_of_targets(scores, np.array([1, 0])).tolist() == [0, 0]


def test_ranks_agree_with_argsort_without_ties() -> None:
    rng = np.random.default_rng(0)
    scores = rng.random((50, 40))
    targets = rng.integers(0, 40, 50)
    by_sort = np.array([np.where(np.argsort(-s) == t)[0][0] for s, t in zip(scores, targets, strict=True)])
    np.testing.assert_array_equal(ranks_of_targets(scores, targets), by_sort)


def test_ties_count_against_the_target() -> None:
    scores = np.array([[1.0, 2.0, 2.0, 2.0, 0.0]])
    # one tie group of three at the top: the target goes after both other members
    assert ranks_of_targets(scores, np.array([2])).tolist() == [2]
    assert ranks_of_targets(scores, np.array([0])).tolist() == [3]


def test_constant_scorer_gets_worst_rank_not_perfect_hr() -> None:
    n_items = 5
    scores = np.zeros((n_items, n_items))
    ranks = ranks_of_targets(scores, np.arange(n_items))
    assert (ranks == n_items - 1).all()
    assert hit_rate(ranks, 1).sum() == 0
    assert hit_rate(ranks, n_items - 1).sum() == 0
    assert hit_rate(ranks, n_items).mean() == 1.0  # k = N contains every item, ties or not


def test_ranks_reject_nan_and_bad_targets() -> None:
    with pytest.raises(ValueError, match="NaN"):
        ranks_of_targets(np.array([[0.0, np.nan]]), np.array([0]))
    with pytest.raises(ValueError, match="targets must be item ids"):
        ranks_of_targets(np.zeros((1, 3)), np.array([3]))
    with pytest.raises(ValueError, match=r"shape \[2\]"):
        ranks_of_targets(np.zeros((2, 3)), np.array([0]))


def test_minus_inf_scores_rank_last() -> None:
    scores = np.array([[0.5, -np.inf, 0.1]])
    assert ranks_of_targets(scores, np.array([1])).tolist() == [2]
    assert ranks_of_targets(scores, np.array([2])).tolist() == [1]


@pytest.mark.parametrize(
    ("rank", "k", "hr", "dcg"),
    [
        (0, 1, 1.0, 1.0),
        (0, 5, 1.0, 1.0),
        (1, 1, 0.0, 0.0),
        (1, 2, 1.0, 1 / math.log2(3)),
        (2, 5, 1.0, 0.5),  # 1-based rank 3: 1/log2(4)
        (4, 5, 1.0, 1 / math.log2(6)),
        (5, 5, 0.0, 0.0),
    ],
)
def test_hr_and_ndcg_by_hand(rank: int, k: int, hr: float, dcg: float) -> None:
    assert hit_rate(np.array([rank]), k)[0] == hr
    assert ndcg(np.array([rank]), k)[0] == pytest.approx(dcg)


def test_ndcg_is_bounded_by_hr_and_monotone_in_k() -> None:
    ranks = np.arange(30)
    for k in (1, 5, 10, 20):
        assert (ndcg(ranks, k) <= hit_rate(ranks, k)).all()
        assert (ndcg(ranks, k) >= 0).all()
        assert (hit_rate(ranks, k) <= hit_rate(ranks, k + 1)).all()
        assert (ndcg(ranks, k) <= ndcg(ranks, k + 1)).all()


def test_registry_declares_direction_and_rejects_duplicates() -> None:
    assert METRICS["hr"].higher_is_better and METRICS["ndcg"].higher_is_better
    assert METRICS["ndcg"].fn is ndcg
    with pytest.raises(KeyError, match="registered twice"):
        metric("hr")(hit_rate)
