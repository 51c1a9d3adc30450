"""Transitions as arrays, user subsets, and (a⁺, a⁻) pairs with a⁻ from items a session never touched."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from learec.platform.data import schema


@dataclass(frozen=True)
class TransitionArrays:
    session_ids: np.ndarray  # [R] int64
    states: np.ndarray  # [R, L] int64, left-padded with n_items
    lengths: np.ndarray  # [R] int64
    actions: np.ndarray  # [R] int64
    steps: np.ndarray | None = None  # [R] int64 position of the action in its session, when known

    def __len__(self) -> int:
        return len(self.actions)

    def take(self, rows: np.ndarray) -> TransitionArrays:
        return TransitionArrays(
            self.session_ids[rows],
            self.states[rows],
            self.lengths[rows],
            self.actions[rows],
            None if self.steps is None else self.steps[rows],
        )


def transition_arrays(table: pa.Table, where: str = "transitions") -> TransitionArrays:
    """Numpy views of the columns the LE reads; raises a ValueError naming ``where`` on a bad table."""
    for name in (schema.SESSION_ID, schema.STATE, schema.LEN_STATE, schema.ACTION):
        if table.schema.get_field_index(name) < 0:
            raise ValueError(f"{where}: missing column {name!r}")
    if table.num_rows == 0:
        raise ValueError(f"{where}: no rows")
    state_col = table.column(schema.STATE).combine_chunks()
    flat = np.asarray(state_col.flatten().to_numpy(zero_copy_only=False), dtype=np.int64)
    states = flat.reshape(table.num_rows, -1)
    return TransitionArrays(
        session_ids=np.asarray(table.column(schema.SESSION_ID).to_numpy(), dtype=np.int64),
        states=states,
        lengths=np.asarray(table.column(schema.LEN_STATE).to_numpy(), dtype=np.int64),
        actions=np.asarray(table.column(schema.ACTION).to_numpy(), dtype=np.int64),
        steps=(
            np.asarray(table.column(schema.STEP).to_numpy(), dtype=np.int64)
            if table.schema.get_field_index(schema.STEP) >= 0
            else None
        ),
    )


def future_actions(data: TransitionArrays, horizon: int) -> np.ndarray:
    """``[R, horizon]``: the actions of each row's session at the ``horizon`` steps after its own (``-1``
    where the session ends first). Needs the rows' steps; sessions must be whole (a user subset is)."""
    if data.steps is None:
        raise ValueError("transitions need the 'step' column to read each session's later actions")
    out = np.full((len(data), horizon), -1, dtype=np.int64)
    order = np.lexsort((data.steps, data.session_ids))
    sess, steps, acts = data.session_ids[order], data.steps[order], data.actions[order]
    for k in range(1, horizon + 1):
        later = np.arange(len(order)) + k
        ok = later < len(order)
        same = np.zeros(len(order), dtype=bool)
        same[ok] = (sess[later[ok]] == sess[ok]) & (steps[later[ok]] == steps[ok] + k)
        out[order[same], k - 1] = acts[later[same]]
    return out


def user_subset(session_ids: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """A seeded ``fraction`` of the distinct sessions (at least one), sorted."""
    unique = np.unique(session_ids)
    n = max(1, int(round(fraction * len(unique))))
    return np.sort(rng.choice(unique, size=n, replace=False))


class InteractionIndex:
    """Which items each session interacted with (its actions and every item in its states)."""

    def __init__(self, data: TransitionArrays, n_items: int) -> None:
        self.n_items = int(n_items)
        sessions, sess_idx = np.unique(data.session_ids, return_inverse=True)
        self.sessions = sessions
        keys = [sess_idx * self.n_items + data.actions]
        real = data.states < self.n_items  # pads are n_items
        rows, _ = np.nonzero(real)
        keys.append(sess_idx[rows] * self.n_items + data.states[real])
        self.keys = np.unique(np.concatenate(keys))  # sorted
        self.row_session = sess_idx  # [R] session index of each row

    def interacted(self, sess_idx: np.ndarray, items: np.ndarray) -> np.ndarray:
        keys = sess_idx * self.n_items + items
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return self.keys[pos] == keys

    def negatives(
        self, rows: np.ndarray, n: int, rng: np.random.Generator, max_rounds: int = 50
    ) -> np.ndarray:
        """``[len(rows), n]`` items drawn uniformly from those the row's session never interacted with."""
        sess = np.repeat(self.row_session[rows], n).reshape(len(rows), n)
        neg = rng.integers(0, self.n_items, size=sess.shape)
        for _ in range(max_rounds):
            bad = self.interacted(sess, neg)
            if not bad.any():
                break
            neg[bad] = rng.integers(0, self.n_items, size=int(bad.sum()))
        return neg
