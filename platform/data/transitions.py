"""Events -> SQN transitions, one row per event, vectorised with shifted slices (no loop per event).

Row ``t`` of a session with items ``a_0 .. a_T`` (0-based ``step`` = t):

- ``state``: the previous ``min(t, L)`` items ``a_{t-L} .. a_{t-1}``, LEFT-padded with ``pad_id = n_items``;
  ``len_state`` is the true history length, so the first event has an all-pad state and ``len_state = 0``
  (the SQN code uses 1 for an empty history because its GRU cannot run over 0 steps; our encoders mask
  padding and read the true length).
- ``action = a_t``; ``is_buy`` = 1 for a purchase; ``reward`` = ``reward_purchase`` or ``reward_click``.
- ``next_state``: ``state`` with ``a_t`` appended (last ``L`` kept), ``len_next_state = min(t + 1, L)``.
- ``done``: True on the session's last event.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from learec.platform.data import schema
from learec.platform.data.preprocess import position_from_end, session_starts


def build_transitions(
    events: pa.Table,
    n_items: int,
    state_len: int = schema.STATE_LEN,
    reward_click: float = 0.2,
    reward_purchase: float = 1.0,
    keep: np.ndarray | None = None,
) -> pa.Table:
    """``schema.transitions_schema(state_len)`` rows for ``events`` (``schema.EVENTS``).

    ``events`` must be grouped by session and sorted by time within a session (the order of
    ``events/<split>.parquet``). ``keep`` ([N] bool) emits only the rows of those events while states
    still use the full preceding history: leave-one-out targets, for example.
    """
    if state_len < 1:
        raise ValueError(f"state_len must be >= 1, got {state_len}")
    schema.check_columns(events, schema.EVENTS, "events")
    session = events.column(schema.SESSION_ID).to_numpy()  # [N]
    ts = events.column(schema.TS).to_numpy()  # [N]
    item = events.column(schema.ITEM_ID).to_numpy()  # [N]
    n = len(item)
    if keep is not None and (keep.dtype != np.bool_ or keep.shape != (n,)):
        raise ValueError(f"keep must be a bool array of shape ({n},), got {keep.dtype} {keep.shape}")
    if n and (item.min() < 0 or item.max() >= n_items):
        raise ValueError(f"events: item_id must be in [0, {n_items}), got range [{item.min()}, {item.max()}]")
    same = session[1:] == session[:-1]
    if np.any(session[1:] < session[:-1]) or np.any(same & (ts[1:] < ts[:-1])):
        raise ValueError("events must be sorted by session_id, then ts (as in events/<split>.parquet)")
    kind = events.column(schema.EVENT)
    is_buy = pc.equal(kind, schema.PURCHASE).to_numpy(zero_copy_only=False)  # [N] bool
    bad = n - int(is_buy.sum()) - int(pc.sum(pc.equal(kind, schema.CLICK)).as_py() or 0)
    if bad:
        raise ValueError(f"events: {bad} rows have an event other than {list(schema.EVENT_TYPES)}")

    rows = np.arange(n)
    first = np.maximum.accumulate(np.where(session_starts(session), rows, 0))  # [N] first row of session
    step = rows - first  # [N]
    done = position_from_end(session) == 0  # [N]
    if keep is not None:
        rows, step, done = rows[keep], step[keep], done[keep]

    # Slot j (0 = oldest) of row i's state is item i - L + j, valid when j >= L - step. Stacking the L
    # slots and the action as L + 1 contiguous columns makes state = columns 0..L-1 and
    # next_state = columns 1..L; one vectorised pass per slot, never one per event.
    pad = np.int32(n_items)
    padded = np.concatenate([np.full(state_len, pad, dtype=np.int32), item.astype(np.int32)])  # [L + N]
    slots = np.empty((state_len + 1, len(rows)), dtype=np.int32)  # [L + 1, R]
    for j in range(state_len + 1):
        np.copyto(slots[j], padded[j : j + n] if keep is None else padded[rows + j])
        np.copyto(slots[j], pad, where=step < state_len - j)
    state = slots[:-1].T  # [R, L] views; _fixed_lists copies them row-major
    next_state = slots[1:].T  # [R, L]
    len_state = np.minimum(step, state_len).astype(np.int32)  # [R]
    len_next = np.minimum(step + 1, state_len).astype(np.int32)  # [R]

    buy = is_buy[rows]
    reward = np.where(buy, np.float32(reward_purchase), np.float32(reward_click)).astype(np.float32)
    return pa.Table.from_arrays(
        [
            pa.array(session[rows], pa.int64()),
            pa.array(step.astype(np.int32)),
            _fixed_lists(state, state_len),
            pa.array(len_state),
            pa.array(item[rows], pa.int64()),
            pa.array(buy.astype(np.int8)),
            pa.array(reward),
            _fixed_lists(next_state, state_len),
            pa.array(len_next),
            pa.array(done),
        ],
        schema=schema.transitions_schema(state_len),
    )


def _fixed_lists(values: np.ndarray, width: int) -> pa.FixedSizeListArray:
    return pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(values, np.int32).ravel()), width)
