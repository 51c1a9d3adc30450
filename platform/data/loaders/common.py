"""Small pieces every loader shares: integer units, session ids, the raw events table and the items table."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from learec.platform.data import schema
from learec.platform.data.errors import DataFormatError

log = logging.getLogger(__name__)

ArrayLike = pa.Array | pa.ChunkedArray
UNASSIGNED_ITEM_ID = -1  # loaders keep source ids; preprocessing assigns dense item ids


def floor_div(values: ArrayLike, divisor: int) -> ArrayLike:
    """Floor division of int64 values (pyarrow's ``divide`` truncates toward zero), e.g. ms -> s."""
    quotient = pc.divide(values, divisor)
    inexact_negative = pc.and_(pc.less(values, 0), pc.not_equal(pc.multiply(quotient, divisor), values))
    return pc.if_else(inexact_negative, pc.subtract(quotient, 1), quotient)


def as_session_ids(values: ArrayLike, path: Path, column: str) -> ArrayLike:
    """int64 session ids: integers as they are, integer-like strings parsed, other strings numbered 0.. in
    order of first appearance (RecBole tokens and generic files may use ids such as ``A3F9``)."""
    if pa.types.is_integer(values.type):
        return values.cast(pa.int64())
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        try:
            return values.cast(pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            log.info(
                "%s column %r holds non-integer ids; numbering them in order of appearance", path, column
            )
            flat = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
            return pc.dictionary_encode(flat).indices.cast(pa.int64())
    raise DataFormatError(path, f"session ids must be integers or strings, got {values.type}", column=column)


def raw_events(
    session_id: ArrayLike, ts: ArrayLike, raw_id: ArrayLike, event: ArrayLike, *, sort: bool = True
) -> pa.Table:
    """A ``schema.RAW_EVENTS`` table, stably sorted by (session, ts) so ties keep file order."""
    table = pa.table(
        {
            schema.SESSION_ID: session_id.cast(pa.int64()),
            schema.TS: ts.cast(pa.int64()),
            schema.RAW_ID: raw_id.cast(pa.string()),
            schema.EVENT: event.cast(pa.string()),
        }
    )
    table = table.cast(schema.RAW_EVENTS)
    if sort and table.num_rows:
        order = pc.sort_indices(table, sort_keys=[(schema.SESSION_ID, "ascending"), (schema.TS, "ascending")])
        table = table.take(order)
    return table.combine_chunks()


def map_events(values: ArrayLike, mapping: dict[str, str | None]) -> tuple[pa.Array, pa.Array]:
    """Source event names -> (``click``/``purchase`` per row, keep mask); a value mapped to None is dropped.

    Callers validate the values first, so every value has a mapping.
    """
    keys = list(mapping)
    index = pc.index_in(values, value_set=pa.array(keys))
    targets = pa.array([mapping[k] for k in keys], type=pa.string())
    mapped = pc.take(targets, index)
    keep = pc.is_valid(mapped)
    return mapped, keep


def items_table(
    raw_ids: Sequence[str] | ArrayLike, titles: Sequence[str] | ArrayLike, texts: Sequence[str] | ArrayLike
) -> pa.Table:
    """A ``schema.ITEMS`` table with ``item_id = -1`` (unassigned) for every row."""
    raw = (
        pa.array(raw_ids, type=pa.string())
        if not isinstance(raw_ids, pa.Array | pa.ChunkedArray)
        else raw_ids
    )
    n = len(raw)
    return pa.table(
        {
            schema.ITEM_ID: pa.array([UNASSIGNED_ITEM_ID] * n, type=pa.int64()),
            schema.RAW_ID: raw,
            schema.TITLE: titles,
            schema.TEXT: texts,
        },
        schema=schema.ITEMS,
    )


def complete_items(
    items: pa.Table, events: pa.Table, title: Callable[[str], str], text: Callable[[str], str]
) -> pa.Table:
    """``items`` plus a row for every raw id seen in ``events`` but not described, in first-seen order."""
    seen = pc.unique(events[schema.RAW_ID])
    missing = pc.filter(seen, pc.invert(pc.is_in(seen, value_set=items[schema.RAW_ID].combine_chunks())))
    if len(missing) == 0:
        return items
    ids = missing.to_pylist()
    log.info("%d items appear in events without a description; giving them a default text", len(ids))
    extra = items_table(ids, [title(i) for i in ids], [text(i) for i in ids])
    return pa.concat_tables([items.cast(schema.ITEMS), extra])


def unique_items(items: pa.Table) -> pa.Table:
    """Keep the first row per raw id (source files sometimes list an item twice)."""
    raw = items[schema.RAW_ID].combine_chunks()
    uniq = pc.unique(raw)
    if len(uniq) == len(raw):
        return items
    first = pc.index_in(uniq, value_set=raw)  # first occurrence of each id, ascending
    return items.take(first)
