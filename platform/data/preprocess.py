"""Raw events -> clean sessions: stable sort, session cutting, truncation and minimum-count filters.

Everything works on :class:`EventColumns`, aligned numpy columns in which raw item ids are replaced by
integer codes into one string dictionary, so each step is a handful of vectorised array operations
(no Python loop per event). Rows stay sorted by (session, ts, file order) throughout.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from learec.platform.data import schema

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventColumns:
    """Events as aligned numpy columns, sorted by (session, ts), ties in file order.

    ``item`` holds codes into ``names`` (raw item ids); codes are not dense item ids: those come from the
    vocabulary fitted on the training split.
    """

    session: np.ndarray  # [N] int64
    ts: np.ndarray  # [N] int64, unix seconds
    item: np.ndarray  # [N] int64, index into names
    is_buy: np.ndarray  # [N] bool
    names: pa.Array  # [V] string, code -> raw id

    def __len__(self) -> int:
        return len(self.session)

    def take(self, index: np.ndarray) -> EventColumns:
        """Rows ``index`` (a bool mask or sorted positions, so the order is kept)."""
        return EventColumns(
            self.session[index], self.ts[index], self.item[index], self.is_buy[index], self.names
        )


def from_raw(events: pa.Table, where: str = "raw events") -> EventColumns:
    """Validate ``schema.RAW_EVENTS`` rows and sort them stably by (session, ts)."""
    schema.check_columns(events, schema.RAW_EVENTS, where)
    for name in (schema.SESSION_ID, schema.TS, schema.RAW_ID, schema.EVENT):
        nulls = events.column(name).null_count
        if nulls:
            raise ValueError(f"{where}: column {name!r} has {nulls} null values; fix the loader or the file")
    kind = events.column(schema.EVENT).combine_chunks().dictionary_encode()
    known = set(schema.EVENT_TYPES)
    bad = [v for v in kind.dictionary.to_pylist() if v not in known]  # the few distinct values, not rows
    if bad:
        raise ValueError(
            f"{where}: column {schema.EVENT!r} holds {bad[:3]!r}; expected one of {list(schema.EVENT_TYPES)} "
            "(the loader maps source behaviours to click/purchase)"
        )
    present = kind.dictionary.to_pylist()
    buy_code = present.index(schema.PURCHASE) if schema.PURCHASE in present else -1
    is_buy = kind.indices.to_numpy(zero_copy_only=False) == buy_code
    raw = events.column(schema.RAW_ID).combine_chunks().cast(pa.string()).dictionary_encode()
    session = events.column(schema.SESSION_ID).to_numpy().astype(np.int64, copy=False)
    ts = events.column(schema.TS).to_numpy().astype(np.int64, copy=False)
    item = raw.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    order = stable_order(session, ts)
    if order is None:
        return EventColumns(session, ts, item, is_buy, raw.dictionary)
    return EventColumns(session[order], ts[order], item[order], is_buy[order], raw.dictionary)


def stable_order(session: np.ndarray, ts: np.ndarray) -> np.ndarray | None:
    """Row order sorting by (session, ts) with ties in file order; None when already sorted (loaders sort)."""
    if not len(session):
        return None
    step = np.diff(session)
    if np.all(step >= 0) and np.all((step > 0) | (np.diff(ts) >= 0)):
        return None
    s_span = int(session.max()) - int(session.min())
    t_span = int(ts.max()) - int(ts.min())
    if (s_span + 1) * (t_span + 1) < 2**62:  # one int64 key: a stable argsort is ~3x faster than lexsort
        key = (session - session.min()) * np.int64(t_span + 1) + (ts - ts.min())
        return np.argsort(key, kind="stable")
    return np.lexsort((ts, session))  # lexsort is stable too


def session_starts(session: np.ndarray) -> np.ndarray:
    """[N] bool: True where a new session begins (``session`` grouped contiguously)."""
    starts = np.ones(len(session), dtype=bool)
    starts[1:] = session[1:] != session[:-1]
    return starts


def session_lengths(session: np.ndarray) -> np.ndarray:
    """[N] int64: the length of each row's session."""
    first = np.flatnonzero(session_starts(session))
    lengths = np.diff(np.append(first, len(session)))
    return np.repeat(lengths, lengths)


def position_from_end(session: np.ndarray) -> np.ndarray:
    """[N] int64: 0 for a session's last row, 1 for the one before, ..."""
    n = len(session)
    last = np.ones(n, dtype=bool)
    last[:-1] = session[1:] != session[:-1]
    # index of the session's last row, propagated backwards by a reversed running minimum
    end = np.where(last, np.arange(n), n)
    end = np.minimum.accumulate(end[::-1])[::-1]
    return end - np.arange(n)


def cut_sessions(ev: EventColumns, gap_s: int) -> EventColumns:
    """Split each user's history where consecutive events are more than ``gap_s`` seconds apart.

    New session ids are dense 0.. in (user, time) order, so the table stays sorted by session.
    """
    if not len(ev):
        return ev
    new = session_starts(ev.session)
    new[1:] |= np.diff(ev.ts) > gap_s
    session = np.cumsum(new, dtype=np.int64) - 1
    return EventColumns(session, ev.ts, ev.item, ev.is_buy, ev.names)


def truncate_sessions(ev: EventColumns, max_len: int | None) -> EventColumns:
    """Keep the last ``max_len`` events of each session (None keeps everything)."""
    if max_len is None or not len(ev):
        return ev
    return ev.take(position_from_end(ev.session) < max_len)


@dataclass(frozen=True)
class FilterStats:
    passes: int
    dropped_short_session_events: int
    dropped_rare_item_events: int


def filter_min_counts(
    ev: EventColumns, min_session_len: int, min_item_count: int, until_stable: bool = False
) -> tuple[EventColumns, FilterStats]:
    """Drop sessions shorter than ``min_session_len``, then items seen fewer than ``min_item_count`` times.

    The SQN preprocessing applies each filter once, in this order, so a session may end up shorter than
    ``min_session_len`` after rare items leave it. ``until_stable`` repeats both filters until nothing
    changes (every kept session and item then meets its minimum).
    """
    passes = dropped_sessions = dropped_items = 0
    while True:
        passes += 1
        before = len(ev)
        ev = ev.take(session_lengths(ev.session) >= min_session_len)
        dropped_sessions += before - len(ev)
        mid = len(ev)
        counts = np.bincount(ev.item, minlength=len(ev.names))  # [V]
        ev = ev.take(counts[ev.item] >= min_item_count)
        dropped_items += mid - len(ev)
        if not until_stable or len(ev) == before:
            break
    log.info(
        "filters: %d pass(es), -%d events (short sessions), -%d (rare items)",
        passes,
        dropped_sessions,
        dropped_items,
    )
    return ev, FilterStats(passes, dropped_sessions, dropped_items)


def to_events_table(session: np.ndarray, ts: np.ndarray, item_id: np.ndarray, is_buy: np.ndarray) -> pa.Table:
    """A ``schema.EVENTS`` table from aligned columns (dense item ids)."""
    kinds = pa.DictionaryArray.from_arrays(
        pa.array(is_buy.astype(np.int8)), pa.array([schema.CLICK, schema.PURCHASE], type=pa.string())
    )
    return pa.Table.from_arrays(
        [
            pa.array(session, pa.int64()),
            pa.array(ts, pa.int64()),
            pa.array(item_id, pa.int64()),
            pc.cast(kinds, pa.string()),
        ],
        schema=schema.EVENTS,
    )
