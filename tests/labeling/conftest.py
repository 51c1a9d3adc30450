"""Tiny transitions tables for the labeling tests, built from the schema's column names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from learec.platform.data import schema


def make_transitions(n_rows: int, n_items: int, rng: np.random.Generator, state_len: int = 10) -> pa.Table:
    """``n_rows`` transitions with left-padded states (pad id = n_items) in the transitions schema."""
    lengths = rng.integers(1, state_len + 1, size=n_rows).astype(np.int32)
    states = np.full((n_rows, state_len), n_items, dtype=np.int32)
    for i, n in enumerate(lengths):
        states[i, state_len - n :] = rng.integers(0, n_items, size=n)
    actions = rng.integers(0, n_items, size=n_rows)
    next_states = np.concatenate([states[:, 1:], actions[:, None].astype(np.int32)], axis=1)

    def fixed(x: np.ndarray) -> pa.Array:
        return pa.FixedSizeListArray.from_arrays(pa.array(x.reshape(-1), pa.int32()), state_len)

    columns = {
        schema.SESSION_ID: pa.array(np.arange(n_rows) // 5, pa.int64()),
        schema.STEP: pa.array(np.arange(n_rows) % 5, pa.int32()),
        schema.STATE: fixed(states),
        schema.LEN_STATE: pa.array(lengths),
        schema.ACTION: pa.array(actions, pa.int64()),
        schema.IS_BUY: pa.array(rng.integers(0, 2, size=n_rows), pa.int8()),
        schema.REWARD: pa.array(rng.random(n_rows), pa.float32()),
        schema.NEXT_STATE: fixed(next_states),
        schema.LEN_NEXT_STATE: pa.array(np.minimum(lengths + 1, state_len).astype(np.int32)),
        schema.DONE: pa.array(np.arange(n_rows) % 5 == 4),
    }
    return pa.Table.from_pydict(columns, schema=schema.transitions_schema(state_len))


@pytest.fixture
def write_transitions(tmp_path: Path) -> Callable[..., Path]:
    """Write a tiny transitions file (small row groups) and return its path."""

    def write(name: str, n_rows: int, seed: int, row_group_size: int = 64, n_items: int = 30) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        table = make_transitions(n_rows, n_items, np.random.default_rng(seed))
        pq.write_table(table, path, row_group_size=row_group_size)
        return path

    return write
