"""Split properties: disjoint sessions, ratios, temporal order, leave-one-out, seeding."""

from __future__ import annotations

import numpy as np

from learec.platform.data import splits


def sessions_and_ts(n_sessions: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 6, size=n_sessions)
    session = np.repeat(np.arange(n_sessions) * 2 + 1, lengths)
    start = rng.integers(0, 5000, size=n_sessions)  # ties in start time on purpose
    ts = np.repeat(start, lengths) + np.concatenate([np.arange(k) for k in lengths])
    return session, ts


def test_random_split_disjoint_ratios_and_seeded() -> None:
    session, ts = sessions_and_ts(2000, 0)
    label = splits.random_split(session, ts, (0.8, 0.1, 0.1), np.random.default_rng(3))
    per_split = [set(session[label == k]) for k in range(3)]
    assert (
        not (per_split[0] & per_split[1])
        and not (per_split[0] & per_split[2])
        and not (per_split[1] & per_split[2])
    )
    assert [len(s) for s in per_split] == [1600, 200, 200]
    again = splits.random_split(session, ts, (0.8, 0.1, 0.1), np.random.default_rng(3))
    other = splits.random_split(session, ts, (0.8, 0.1, 0.1), np.random.default_rng(4))
    assert np.array_equal(label, again) and not np.array_equal(label, other)


def test_temporal_split_train_starts_before_test() -> None:
    session, ts = sessions_and_ts(3000, 1)
    label = splits.temporal_split(session, ts, (0.8, 0.1, 0.1), np.random.default_rng(0))
    first = np.r_[True, session[1:] != session[:-1]]
    start, start_label = ts[first], label[first]
    assert start[start_label == 0].max() < start[start_label == 1].min()
    assert start[start_label == 1].max() < start[start_label == 2].min()
    # whole sessions per split
    assert all(len(set(label[session == s])) == 1 for s in np.unique(session)[:200])
    shares = np.bincount(start_label, minlength=3) / len(start)
    np.testing.assert_allclose(shares, [0.8, 0.1, 0.1], atol=0.02)


def test_leave_one_out_last_is_test_second_last_is_val() -> None:
    session = np.array([1, 1, 1, 1, 2, 2, 3, 3, 3])
    ts = np.arange(len(session))
    label = splits.leave_one_out_split(session, ts, (0.8, 0.1, 0.1), np.random.default_rng(0))
    assert label.tolist() == [0, 0, 1, 2, 0, 0, 0, 1, 2]  # session 2 is too short to hold targets


def test_assign_splits_rejects_unknown_method() -> None:
    import pytest

    with pytest.raises(ValueError, match="split must be one of"):
        splits.assign_splits("by_moon", np.array([1]), np.array([0]), (1.0, 0, 0), np.random.default_rng(0))
