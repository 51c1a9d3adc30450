"""Tiny RawLogs built in code for the data-preparation tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import pytest

from learec.platform.data import schema
from learec.platform.data.raw import RawLogs

Row = tuple[int, int, str, str]  # (session_id, ts, raw_id, event)


def raw_logs(rows: Sequence[Row], *, user_level: bool = False, items: pa.Table | None = None) -> RawLogs:
    session, ts, raw_id, event = zip(*rows, strict=True) if rows else ((), (), (), ())
    events = pa.table(
        {
            schema.SESSION_ID: list(session),
            schema.TS: list(ts),
            schema.RAW_ID: list(raw_id),
            schema.EVENT: list(event),
        },
        schema=schema.RAW_EVENTS,
    )
    if items is None:
        ids = sorted(set(raw_id))
        items = pa.table(
            {
                schema.ITEM_ID: [-1] * len(ids),
                schema.RAW_ID: ids,
                schema.TITLE: [f"title {i}" for i in ids],
                schema.TEXT: [f"text {i}" for i in ids],
            },
            schema=schema.ITEMS,
        )
    return RawLogs(events, items, user_level=user_level, source="test")


def random_rows(rng: np.random.Generator, n_sessions: int, n_items: int, max_len: int = 8) -> list[Row]:
    """Sessions of 1..max_len events over ``n_items`` items, session start times spread out."""
    rows: list[Row] = []
    for s in range(n_sessions):
        start = int(rng.integers(0, 10**6))
        for t in range(int(rng.integers(1, max_len + 1))):
            kind = schema.PURCHASE if rng.random() < 0.2 else schema.CLICK
            rows.append((s, start + t, f"i{int(rng.integers(n_items))}", kind))
    return rows


@pytest.fixture
def make_raw() -> Callable[..., RawLogs]:
    return raw_logs


@pytest.fixture
def random_raw() -> Callable[..., RawLogs]:
    def build(seed: int = 0, n_sessions: int = 400, n_items: int = 40, **kwargs) -> RawLogs:
        return raw_logs(random_rows(np.random.default_rng(seed), n_sessions, n_items), **kwargs)

    return build
