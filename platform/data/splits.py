"""Train/validation/test splits as one label per event (0 train, 1 val, 2 test).

Input rows are grouped by session and sorted by time within a session (``preprocess.EventColumns``).

- ``random``: SQN's split, whole sessions drawn at random in ``ratios`` (8:1:1), seeded.
- ``temporal``: whole sessions by START time. ``t_val`` and ``t_test`` are the session start times at the
  cumulative ratio quantiles (0.8, 0.9); train sessions start strictly before ``t_val``, test sessions at
  or after ``t_test``, so no training session starts after a test session (sessions that straddle the cut
  may still overlap in time: split by end time for a strict cut). Ties at a
  threshold go to the later split, so the realised ratios can differ slightly from ``ratios``.
- ``leave_one_out``: per sequence (session, or user for user-level logs), the last event is the test
  target, the one before the validation target, the rest train (RecBole/SASRec). Sequences with fewer
  than 3 events stay entirely in train. ``ratios`` is ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from learec.platform.data.preprocess import position_from_end, session_lengths, session_starts

SPLITS = ("train", "val", "test")
TRAIN, VAL, TEST = 0, 1, 2

SplitFn = Callable[[np.ndarray, np.ndarray, Sequence[float], np.random.Generator], np.ndarray]


def _per_session(session: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of each session's first row [S], session index of each row [N])."""
    starts = session_starts(session)
    return np.flatnonzero(starts), np.cumsum(starts) - 1


def random_split(
    session: np.ndarray, ts: np.ndarray, ratios: Sequence[float], rng: np.random.Generator
) -> np.ndarray:
    first, row_session = _per_session(session)
    n = len(first)
    n_train = int(n * ratios[0])
    n_val = int(n * (ratios[0] + ratios[1])) - n_train
    order = rng.permutation(n)  # [S]
    label = np.full(n, TEST, dtype=np.int8)
    label[order[:n_train]] = TRAIN
    label[order[n_train : n_train + n_val]] = VAL
    return label[row_session]


def temporal_split(
    session: np.ndarray, ts: np.ndarray, ratios: Sequence[float], rng: np.random.Generator
) -> np.ndarray:
    first, row_session = _per_session(session)
    start = ts[first]  # [S]
    ordered = np.sort(start)
    n = len(ordered)

    def threshold(fraction: float) -> int | float:
        k = int(n * fraction)
        return ordered[k] if k < n else np.inf

    t_val, t_test = threshold(ratios[0]), threshold(ratios[0] + ratios[1])
    label = np.where(start < t_val, TRAIN, np.where(start < t_test, VAL, TEST)).astype(np.int8)
    return label[row_session]


def leave_one_out_split(
    session: np.ndarray, ts: np.ndarray, ratios: Sequence[float], rng: np.random.Generator
) -> np.ndarray:
    from_end = position_from_end(session)
    long_enough = session_lengths(session) >= 3
    label = np.full(len(session), TRAIN, dtype=np.int8)
    label[long_enough & (from_end == 0)] = TEST
    label[long_enough & (from_end == 1)] = VAL
    return label


SPLIT_METHODS: dict[str, SplitFn] = {
    "random": random_split,
    "temporal": temporal_split,
    "leave_one_out": leave_one_out_split,
}


def assign_splits(
    method: str, session: np.ndarray, ts: np.ndarray, ratios: Sequence[float], rng: np.random.Generator
) -> np.ndarray:
    """[N] int8 split label per event (``TRAIN``, ``VAL``, ``TEST``)."""
    if method not in SPLIT_METHODS:
        raise ValueError(f"split must be one of {sorted(SPLIT_METHODS)}, got {method!r}")
    return SPLIT_METHODS[method](session, ts, ratios, rng)
