"""Tiny transitions for the RLlib algorithm tests and benchmark: the next item is a function of the last one.

Label columns (le_state, le_reward, le_pos_actions, le_pos_rewards) are random fixture data written here;
real labels come from platform/labeling.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from learec.platform.data import schema

N_ITEMS = 24
STATE_LEN = schema.STATE_LEN
LE_DIM = 8
LE_K = 3


def next_item(item: int) -> int:
    return (item * 5 + 3) % N_ITEMS


def transitions_table(n_sessions: int, seed: int, labeled: bool) -> pa.Table:
    rng = np.random.default_rng(seed)
    rows: dict[str, list] = {f.name: [] for f in schema.labeled_transitions_schema(LE_DIM, LE_K)}
    pad = N_ITEMS
    for sid in range(n_sessions):
        items = [int(rng.integers(N_ITEMS))]
        for _ in range(int(rng.integers(3, 8))):
            items.append(next_item(items[-1]))
        for step, item in enumerate(items):
            hist, nxt = items[:step][-STATE_LEN:], items[: step + 1][-STATE_LEN:]
            buy = int(rng.random() < 0.2)
            rows[schema.SESSION_ID].append(sid)
            rows[schema.STEP].append(step)
            rows[schema.STATE].append([pad] * (STATE_LEN - len(hist)) + hist)
            rows[schema.LEN_STATE].append(len(hist))
            rows[schema.ACTION].append(item)
            rows[schema.IS_BUY].append(buy)
            rows[schema.REWARD].append(1.0 if buy else 0.2)
            rows[schema.NEXT_STATE].append([pad] * (STATE_LEN - len(nxt)) + nxt)
            rows[schema.LEN_NEXT_STATE].append(len(nxt))
            rows[schema.DONE].append(step == len(items) - 1)
            rows[schema.LE_STATE].append(rng.normal(size=LE_DIM).astype(np.float32).tolist())
            rows[schema.LE_REWARD].append(float(rng.normal()))
            rows[schema.LE_POS_ACTIONS].append(rng.integers(0, N_ITEMS, LE_K).tolist())
            rows[schema.LE_POS_REWARDS].append(np.sort(rng.normal(1.0, 1.0, LE_K))[::-1].tolist())
            rows[schema.LABEL_VERSION].append("fixture")
    target = schema.labeled_transitions_schema(LE_DIM, LE_K) if labeled else schema.TRANSITIONS
    return pa.table({f.name: rows[f.name] for f in target}, schema=target)
