"""Toy LE data: a catalogue of 4 categories where every session stays inside one category."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from learec.platform.data import schema
from learec.platform.le.config import LEConfig

N_ITEMS = 40
N_CATEGORIES = 4
COLORS = ("red", "blue", "green", "black", "white")
KINDS = ("shirt", "lamp", "book", "mug")


def toy_items(n_items: int = N_ITEMS) -> pa.Table:
    ids = np.arange(n_items)
    titles = [f"{COLORS[i % len(COLORS)]} {KINDS[i % N_CATEGORIES]} {i}" for i in ids]
    texts = [f"home > {KINDS[i % N_CATEGORIES]}s > {COLORS[i % len(COLORS)]}" for i in ids]
    raw = [f"sku{i:04d}" for i in ids]
    return pa.Table.from_arrays(
        [pa.array(ids, pa.int64()), pa.array(raw), pa.array(titles), pa.array(texts)], schema=schema.ITEMS
    )


def toy_transitions(
    n_sessions: int,
    seed: int,
    n_items: int = N_ITEMS,
    first_session: int = 0,
    state_len: int = schema.STATE_LEN,
) -> pa.Table:
    """Each session buys/clicks 3-6 items of one category (item % 4), so history predicts the next item."""
    rng = np.random.default_rng(seed)
    rows: dict[str, list] = {f.name: [] for f in schema.transitions_schema(state_len)}
    pad = n_items
    for s in range(first_session, first_session + n_sessions):
        cat = int(rng.integers(N_CATEGORIES))
        pool = np.arange(cat, n_items, N_CATEGORIES)
        items = rng.choice(pool, size=int(rng.integers(3, 7)), replace=False)
        for t, a in enumerate(items):
            hist = items[max(0, t - state_len) : t].tolist()
            nxt = items[max(0, t + 1 - state_len) : t + 1].tolist()
            rows[schema.SESSION_ID].append(s)
            rows[schema.STEP].append(t)
            rows[schema.STATE].append([pad] * (state_len - len(hist)) + hist)
            rows[schema.LEN_STATE].append(len(hist))
            rows[schema.ACTION].append(int(a))
            rows[schema.IS_BUY].append(0)
            rows[schema.REWARD].append(0.2)
            rows[schema.NEXT_STATE].append([pad] * (state_len - len(nxt)) + nxt)
            rows[schema.LEN_NEXT_STATE].append(len(nxt))
            rows[schema.DONE].append(t == len(items) - 1)
    return pa.Table.from_pydict(rows, schema=schema.transitions_schema(state_len))


def tiny_config(**changes: object) -> LEConfig:
    base = dict(
        tiny_hidden=64,
        tiny_intermediate=128,
        tiny_heads=4,
        tiny_kv_heads=2,
        tiny_vocab=300,
        item_token_epochs=1,
        steps=120,
        batch_size=32,
        user_fraction=1.0,
        heldout_pairs=128,
        lr=5e-3,
        threads=2,
    )
    base.update(changes)
    return LEConfig(**base)  # type: ignore[arg-type]
