"""Sorting, session cutting, truncation and the minimum-count filters."""

from __future__ import annotations

import numpy as np
import pytest

from learec.platform.data import preprocess, schema

C, P = schema.CLICK, schema.PURCHASE


def codes_to_raw(ev: preprocess.EventColumns) -> list[str]:
    return [ev.names[int(c)].as_py() for c in ev.item]


def test_stable_sort_keeps_file_order_for_ties(make_raw) -> None:
    raw = make_raw([(2, 5, "b", C), (1, 9, "x", C), (2, 5, "a", P), (2, 1, "c", C), (1, 9, "y", C)])
    ev = preprocess.from_raw(raw.events)
    assert ev.session.tolist() == [1, 1, 2, 2, 2]
    assert codes_to_raw(ev) == ["x", "y", "c", "b", "a"]
    assert ev.is_buy.tolist() == [False, False, False, False, True]


def test_unknown_event_names_are_rejected(make_raw) -> None:
    with pytest.raises(ValueError, match="'event'.*view"):
        preprocess.from_raw(make_raw([(1, 0, "a", "view")]).events)


def test_session_gap_cutting(make_raw) -> None:
    gap = 100
    rows = [
        (1, 0, "a", C),
        (1, 100, "b", C),
        (1, 201, "c", C),
        (1, 202, "d", C),  # cut between b and c
        (2, 150, "e", C),
        (2, 900, "f", C),
    ]
    ev = preprocess.cut_sessions(preprocess.from_raw(make_raw(rows).events), gap)
    assert ev.session.tolist() == [0, 0, 1, 1, 2, 3]
    assert codes_to_raw(ev) == ["a", "b", "c", "d", "e", "f"]


def test_truncation_keeps_last_events(make_raw) -> None:
    rows = [(1, t, f"i{t}", C) for t in range(5)] + [(2, 0, "z", C)]
    ev = preprocess.truncate_sessions(preprocess.from_raw(make_raw(rows).events), 3)
    assert codes_to_raw(ev) == ["i2", "i3", "i4", "z"]


def test_position_from_end_and_lengths() -> None:
    session = np.array([4, 4, 4, 7, 9, 9])
    assert preprocess.position_from_end(session).tolist() == [2, 1, 0, 0, 1, 0]
    assert preprocess.session_lengths(session).tolist() == [3, 3, 3, 1, 2, 2]


def test_min_count_filters_one_pass_and_until_stable(make_raw) -> None:
    # session 1: a a b (b appears twice overall); session 2: a c (too short); session 3: b a a
    rows = [
        (1, 0, "a", C),
        (1, 1, "a", C),
        (1, 2, "r", C),
        (2, 0, "a", C),
        (2, 1, "c", C),
        (3, 0, "a", C),
        (3, 1, "a", C),
        (3, 2, "q", C),
        (3, 3, "a", C),
    ]
    ev = preprocess.from_raw(make_raw(rows).events)
    once, stats = preprocess.filter_min_counts(ev, min_session_len=3, min_item_count=2)
    # session 2 goes (short); then r and q (1 occurrence each) go; sessions 1 keeps 2 events < 3
    assert codes_to_raw(once) == ["a", "a", "a", "a", "a"]
    assert (stats.passes, stats.dropped_short_session_events, stats.dropped_rare_item_events) == (1, 2, 2)
    stable, stats = preprocess.filter_min_counts(ev, min_session_len=3, min_item_count=2, until_stable=True)
    assert once.session.tolist() == [1, 1, 3, 3, 3]
    assert stable.session.tolist() == [3, 3, 3]
    assert stats.passes >= 2
    lengths = preprocess.session_lengths(stable.session)
    counts = np.bincount(stable.item)[stable.item]
    assert lengths.min() >= 3 and counts.min() >= 2


@pytest.mark.parametrize("scale", [1, 2**40])  # 2**40: keys too wide for one int64, the lexsort path
def test_stable_order_matches_lexsort(scale: int) -> None:
    rng = np.random.default_rng(scale % 97)
    session = rng.integers(0, 50, size=500) * scale
    ts = rng.integers(0, 20, size=500) * scale
    order = preprocess.stable_order(session, ts)
    assert np.array_equal(order, np.lexsort((ts, session)))
    assert preprocess.stable_order(session[order], ts[order]) is None  # already sorted: no work
