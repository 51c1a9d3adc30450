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
    lengths = rng.integers(0, state_len + 1, size=n_rows).astype(np.int32)
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


N_ITEMS = 30


def tiny_items(n_items: int = N_ITEMS) -> pa.Table:
    """A catalogue whose text the tiny LE learns item tokens from."""
    return pa.table(
        {
            schema.ITEM_ID: np.arange(n_items),
            schema.RAW_ID: [f"sku-{i}" for i in range(n_items)],
            schema.TITLE: [f"item {i}" for i in range(n_items)],
            schema.TEXT: [f"colour {i % 5} shape {i % 3} size {i % 4}" for i in range(n_items)],
        },
        schema=schema.ITEMS,
    )


@pytest.fixture(scope="session")
def tiny_le(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny LE checkpoint (smallest sizes and step counts), trained once per test session."""
    from learec.platform.le.config import LEConfig
    from learec.platform.le.trainer import train_le

    config = LEConfig(
        tiny_hidden=32, tiny_layers=1, tiny_heads=2, tiny_kv_heads=1, tiny_intermediate=64, tiny_vocab=300,
        item_token_epochs=1, steps=2, batch_size=16, heldout_pairs=16, user_fraction=0.5, max_text_tokens=8,
    )  # fmt: skip
    train = make_transitions(200, N_ITEMS, np.random.default_rng(0))
    return train_le(config, train, tiny_items(), tmp_path_factory.mktemp("le") / "ckpt")


@pytest.fixture(scope="session")
def input_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 transitions in two files (180 + 120 rows) with row groups of 50, so parts straddle row groups."""
    root = tmp_path_factory.mktemp("transitions")
    for name, rows, seed in [("a.parquet", 180, 1), ("b.parquet", 120, 2)]:
        table = make_transitions(rows, N_ITEMS, np.random.default_rng(seed))
        pq.write_table(table, root / name, row_group_size=50)
    return root
