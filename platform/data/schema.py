"""The Parquet data contracts, declared once (see DESIGN.md, "Data contracts").

Every component reads column names from here; nothing else spells them out.
"""

from __future__ import annotations

import pyarrow as pa

# events ---------------------------------------------------------------------------------------------
SESSION_ID = "session_id"
TS = "ts"
ITEM_ID = "item_id"
EVENT = "event"
CLICK = "click"
PURCHASE = "purchase"
EVENT_TYPES = (CLICK, PURCHASE)

EVENTS = pa.schema(
    [
        pa.field(SESSION_ID, pa.int64(), nullable=False),
        pa.field(TS, pa.int64(), nullable=False),  # unix seconds
        pa.field(ITEM_ID, pa.int64(), nullable=False),  # dense 0..n_items-1 after preprocessing
        pa.field(EVENT, pa.string(), nullable=False),  # "click" | "purchase"
    ]
)

# raw events: what loaders produce before preprocessing (raw item ids, sessions or users not yet cut) ------
RAW_EVENTS = pa.schema(
    [
        pa.field(SESSION_ID, pa.int64(), nullable=False),  # a session, or a user for user-level logs
        pa.field(TS, pa.int64(), nullable=False),  # unix seconds
        pa.field("raw_id", pa.string(), nullable=False),  # the item's id in the source data
        pa.field(EVENT, pa.string(), nullable=False),  # "click" | "purchase"
    ]
)

# items ----------------------------------------------------------------------------------------------
RAW_ID = "raw_id"
TITLE = "title"
TEXT = "text"

ITEMS = pa.schema(
    [
        pa.field(ITEM_ID, pa.int64(), nullable=False),
        pa.field(RAW_ID, pa.string(), nullable=False),
        pa.field(TITLE, pa.string()),
        pa.field(TEXT, pa.string()),  # whatever describes the item: genres, tags, category path
    ]
)

# transitions (one row per step, SQN convention) ----------------------------------------------------
STATE_LEN = 10  # L: items kept in a state
STEP = "step"
STATE = "state"
LEN_STATE = "len_state"
ACTION = "action"
IS_BUY = "is_buy"
REWARD = "reward"
NEXT_STATE = "next_state"
LEN_NEXT_STATE = "len_next_state"
DONE = "done"


def transitions_schema(state_len: int = STATE_LEN) -> pa.Schema:
    """States are the last ``state_len`` items, left-padded with ``pad_id = n_items``."""
    return pa.schema(
        [
            pa.field(SESSION_ID, pa.int64(), nullable=False),
            pa.field(STEP, pa.int32(), nullable=False),
            pa.field(STATE, pa.list_(pa.int32(), state_len), nullable=False),
            pa.field(LEN_STATE, pa.int32(), nullable=False),
            pa.field(ACTION, pa.int64(), nullable=False),
            pa.field(IS_BUY, pa.int8(), nullable=False),
            pa.field(REWARD, pa.float32(), nullable=False),
            pa.field(NEXT_STATE, pa.list_(pa.int32(), state_len), nullable=False),
            pa.field(LEN_NEXT_STATE, pa.int32(), nullable=False),
            pa.field(DONE, pa.bool_(), nullable=False),
        ]
    )


TRANSITIONS = transitions_schema()

# labeled transitions add -----------------------------------------------------------------------------
LE_STATE = "le_state"
LE_REWARD = "le_reward"
LE_POS_ACTIONS = "le_pos_actions"
LE_POS_REWARDS = "le_pos_rewards"  # the LE's normalised reward of each le_pos_actions item, same order
LABEL_VERSION = "label_version"


def label_fields(le_state_dim: int, k: int) -> list[pa.Field]:
    return [
        pa.field(LE_STATE, pa.list_(pa.float32(), le_state_dim), nullable=False),
        pa.field(LE_REWARD, pa.float32(), nullable=False),
        pa.field(LE_POS_ACTIONS, pa.list_(pa.int64(), k), nullable=False),
        pa.field(LE_POS_REWARDS, pa.list_(pa.float32(), k), nullable=False),
        pa.field(LABEL_VERSION, pa.string(), nullable=False),
    ]


def labeled_transitions_schema(le_state_dim: int, k: int, state_len: int = STATE_LEN) -> pa.Schema:
    base = transitions_schema(state_len)
    for f in label_fields(le_state_dim, k):
        base = base.append(f)
    return base


def check_columns(table: pa.Table | pa.Schema, expected: pa.Schema, where: str) -> None:
    """Raise a ValueError naming ``where`` if a column of ``expected`` is missing or has another type.

    Columns are matched by name (Ray Data may reorder them or turn fixed-size lists into tensors).
    """
    schema = table.schema if isinstance(table, pa.Table) else table
    for f in expected:
        idx = schema.get_field_index(f.name)
        if idx < 0:
            raise ValueError(f"{where}: missing column {f.name!r} (expected {f.type})")
        got = schema.field(idx).type
        if got != f.type and not _compatible(got, f.type):
            raise ValueError(f"{where}: column {f.name!r} has type {got}, expected {f.type}")


def _compatible(got: pa.DataType, want: pa.DataType) -> bool:
    """Lists of the same value type are interchangeable (fixed-size vs variable-size after Ray Data)."""
    list_types = (pa.types.is_list, pa.types.is_large_list, pa.types.is_fixed_size_list)
    if any(t(got) for t in list_types) and any(t(want) for t in list_types):
        return got.value_type == want.value_type
    return pa.types.is_string(want) and pa.types.is_large_string(got)
