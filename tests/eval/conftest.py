"""Tiny transitions tables built in code for the eval tests (a fixture, so no helper module is needed)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pytest

from learec.platform.data import schema

MakeTransitions = Callable[..., pa.Table]


def _make_transitions(
    states: list[list[int]], actions: list[int], is_buy: list[int], n_items: int
) -> pa.Table:
    """A transitions table (schema.transitions_schema); states are left-padded with ``n_items``."""
    width = len(states[0])
    rows = len(actions)
    return pa.table(
        {
            schema.SESSION_ID: pa.array(np.arange(rows), pa.int64()),
            schema.STEP: pa.array(np.zeros(rows), pa.int32()),
            schema.STATE: pa.array(states, pa.list_(pa.int32(), width)),
            schema.LEN_STATE: pa.array([max(1, sum(i != n_items for i in s)) for s in states], pa.int32()),
            schema.ACTION: pa.array(actions, pa.int64()),
            schema.IS_BUY: pa.array(is_buy, pa.int8()),
            schema.REWARD: pa.array(np.where(np.asarray(is_buy) == 1, 1.0, 0.2), pa.float32()),
            schema.NEXT_STATE: pa.array([[n_items] * width] * rows, pa.list_(pa.int32(), width)),
            schema.LEN_NEXT_STATE: pa.array(np.ones(rows), pa.int32()),
            schema.DONE: pa.array(np.zeros(rows, dtype=bool)),
        },
        schema=schema.transitions_schema(width),
    )


@pytest.fixture
def make_transitions() -> MakeTransitions:
    return _make_transitions
