"""Paired bootstrap over test sessions: real gains are found, noise is called a tie."""

from __future__ import annotations

import numpy as np
import pytest

from learec.platform.eval.protocol import RankedTargets
from learec.platform.eval.significance import (
    BETTER,
    TIE,
    WORSE,
    EventResults,
    compare_models,
    paired_bootstrap,
    save_ranked,
)


def _results(ranks: np.ndarray, sessions: np.ndarray, is_buy: np.ndarray) -> EventResults:
    return EventResults(ranks, is_buy, np.ones(len(ranks), dtype=bool), sessions)


def test_clear_gain_is_significant_and_noise_is_a_tie() -> None:
    rng = np.random.default_rng(0)
    events, sessions = 2000, np.repeat(np.arange(400), 5)
    is_buy = rng.random(events) < 0.5
    base = rng.integers(0, 50, events)
    better = np.maximum(base - 10, 0)  # every target moves up 10 places
    noise = np.clip(base + rng.integers(-1, 2, events), 0, None)
    a = _results(better, sessions, is_buy)
    b = _results(base, sessions, is_buy)
    c = _results(noise, sessions, is_buy)
    assert paired_bootstrap([a], [b], group="purchase").verdict == BETTER
    assert paired_bootstrap([b], [a], group="click").verdict == WORSE
    assert paired_bootstrap([c], [b], group="purchase").verdict == TIE


def test_seeds_are_paired_and_counted() -> None:
    sessions, is_buy = np.arange(100), np.ones(100, dtype=bool)
    ref = _results(np.full(100, 20), sessions, is_buy)
    runs = [_results(np.full(100, r), sessions, is_buy) for r in (0, 1, 40)]  # two seeds better, one worse
    cmp = paired_bootstrap(runs, [ref, ref, ref], group="purchase")
    assert cmp.n_seed_pairs == 3 and cmp.seeds_agreeing == 2
    assert "2/3 seeds" in cmp.text()


def test_misaligned_runs_are_refused() -> None:
    a = _results(np.zeros(10, dtype=np.int64), np.arange(10), np.ones(10, dtype=bool))
    b = _results(np.zeros(9, dtype=np.int64), np.arange(9), np.ones(9, dtype=bool))
    with pytest.raises(ValueError, match="same test events"):
        paired_bootstrap([a], [b])


def test_round_trip_and_compare(tmp_path) -> None:
    ranked = RankedTargets(
        ranks=np.array([0, 3, 30]),
        is_buy=np.array([True, False, True]),
        is_new=np.array([False, True, True]),
        session_id=np.array([5, 5, 6]),
        top_items=np.zeros((3, 2), dtype=np.int64),
    )
    path = save_ranked(ranked, tmp_path / "r.npz")
    loaded = EventResults.load(path)
    assert loaded.ranks.tolist() == [0, 3, 30] and loaded.session_id.tolist() == [5, 5, 6]
    assert loaded.mask("new_purchase").tolist() == [False, False, True]
    assert loaded.mask("all").tolist() == [True, True, True]
    out = compare_models({"x": [loaded], "y": [loaded]}, reference="y")
    assert set(out) == {"x"} and out["x"]["purchase"].delta == 0.0
    with pytest.raises(ValueError, match="not a per-event results file"):
        EventResults.load(tmp_path / "missing.npz")
