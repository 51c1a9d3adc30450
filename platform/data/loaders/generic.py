"""Any event log in CSV or Parquet, by column mapping -> RawLogs.

Events file (CSV with a header row, or Parquet): ``session_col`` (integer ids, or strings numbered in
order of first appearance), ``ts_col`` (``ts_unit``: ``s`` or ``ms`` unix time, integer or float, floored
to seconds; or ``iso`` ISO-8601 text / Parquet timestamps), ``item_col`` (any id, kept as a string) and,
optionally, ``event_col``: a value in ``purchase_values`` gives ``purchase``, anything else ``click``
(without ``event_col`` every row is a click). ``user_level`` says whether sessions are users.

Optional items file (same formats): ``items_item_col``, ``title_col`` (else ``"item <id>"``) and
``text_cols``, joined with ``". "`` into the text (the title when there are none). Items seen only in
events get ``"item <id>"``. Parquet has no lines, so its errors name the row (1-based) in the message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from learec.platform.common.fields import opt
from learec.platform.data import schema
from learec.platform.data.errors import DataFormatError
from learec.platform.data.loaders import common
from learec.platform.data.loaders.delimited import (
    INT64_MAX,
    Col,
    TableSpec,
    iso_seconds,
    read_table,
    require_file,
    time_col,
)
from learec.platform.data.raw import RawLogs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GenericOptions:
    session_col: str = opt("session_id", "column holding the session (or user) id")
    ts_col: str = opt("ts", "column holding the event time")
    item_col: str = opt("item_id", "column holding the item id")
    event_col: str | None = opt(None, "column holding the event type; None: every row is a click")
    purchase_values: tuple[str, ...] = opt(
        ("purchase",), "event_col values that mean purchase; others are clicks"
    )
    ts_unit: Literal["s", "ms", "iso"] = opt("s", "time unit of ts_col: s or ms unix time, or iso (ISO-8601)")
    user_level: bool = opt(False, "True when session_col identifies users whose history spans many visits")
    file_format: Literal["auto", "csv", "parquet"] = opt("auto", "events/items file format; auto by suffix")
    delimiter: str = opt(",", "CSV field separator")
    items_path: str | None = opt(None, "optional items file (CSV or Parquet)")
    items_item_col: str = opt("item_id", "item id column in the items file")
    title_col: str | None = opt("title", "title column in the items file; None: 'item <id>'")
    text_cols: tuple[str, ...] = opt((), "items-file columns joined into the item text")

    def __post_init__(self) -> None:
        if len(self.delimiter) != 1:
            raise ValueError(f"delimiter must be one character, got {self.delimiter!r}")


def _is_parquet(path: Path, fmt: str) -> bool:
    return fmt == "parquet" or (fmt == "auto" and path.suffix.lower() in (".parquet", ".pq"))


def _read_parquet(path: Path, columns: list[str]) -> pa.Table:
    require_file(path, hint="Check the path option.")
    try:
        file_schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataFormatError(path, f"not a readable Parquet file ({exc})") from None
    for c in columns:
        if file_schema.get_field_index(c) < 0:
            raise DataFormatError(
                path, f"missing column {c!r}; the file has {', '.join(file_schema.names)}", column=c
            )
    table = pq.read_table(path, columns=columns)
    if table.num_rows == 0:
        raise DataFormatError(path, "the file has no rows")
    for c in columns:
        values = table[c]
        if not _is_flat(values.type):
            raise DataFormatError(
                path,
                f"the column holds {values.type} values; expected one number or string per row",
                column=c,
                hint="Flatten the column (one event per row) or map another column.",
            )
        _first_bad_row(path, c, pc.is_null(values), "empty (null) value")
        if pa.types.is_unsigned_integer(values.type):
            _first_bad_row(
                path,
                c,
                pc.greater(values, pa.scalar(INT64_MAX, pa.uint64())),
                "the value does not fit a 64-bit signed integer",
            )
        if pa.types.is_floating(values.type):
            _first_bad_row(path, c, pc.invert(pc.is_finite(values)), "expected a finite number")
    return table


def _is_flat(tp: pa.DataType) -> bool:
    nested = (pa.types.is_list, pa.types.is_large_list, pa.types.is_struct, pa.types.is_map)
    return not any(test(tp) for test in nested) and not pa.types.is_fixed_size_list(tp)


def _first_bad_row(path: Path, column: str, bad: pa.ChunkedArray, what: str) -> None:
    """Raise naming the first row (1-based) where ``bad`` is true."""
    if pc.any(bad).as_py():
        row = int(pc.index(bad, True).as_py()) + 1
        raise DataFormatError(path, f"row {row}: {what}", column=column)


def _parquet_ts(path: Path, values: pa.ChunkedArray, options: GenericOptions) -> pa.ChunkedArray:
    col = options.ts_col
    if options.ts_unit == "iso":
        if pa.types.is_timestamp(values.type):
            try:
                ns = values.cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64())
            except pa.ArrowInvalid:
                raise DataFormatError(
                    path, "a timestamp lies outside the years 1677-2262 that learec can represent", column=col
                ) from None
            return common.floor_div(ns, 1_000_000_000)
        if pa.types.is_string(values.type):
            try:
                ns = values.cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64())
                return common.floor_div(ns, 1_000_000_000)
            except pa.ArrowInvalid:
                pass  # e.g. strings without an offset; parse them one by one, naming the first bad row
            seconds = []
            for row, text in enumerate(values.to_pylist(), 1):
                try:
                    seconds.append(iso_seconds(text))
                except ValueError:
                    raise DataFormatError(
                        path, f"row {row}: expected an ISO-8601 timestamp, got {text!r}", column=col
                    ) from None
            return pa.chunked_array([pa.array(seconds, pa.int64())])
        raise DataFormatError(
            path, f"expected timestamps or ISO-8601 strings, the column has type {values.type}", column=col
        )
    if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)):
        raise DataFormatError(
            path,
            f"expected integer or float unix time ({options.ts_unit}), the column has type {values.type}",
            column=col,
        )
    bound = time_col(col, unit=options.ts_unit)
    outside = pc.or_(pc.less(values, bound.low), pc.greater(values, bound.high))
    _first_bad_row(path, col, outside, f"expected {bound.range_text} (ts_unit {options.ts_unit!r})")
    return _to_seconds(values, options.ts_unit)


def _to_seconds(values: pa.ChunkedArray, unit: str) -> pa.ChunkedArray:
    if pa.types.is_floating(values.type):
        values = pc.floor(pc.divide(values, 1000.0) if unit == "ms" else values).cast(pa.int64())
        return values
    values = values.cast(pa.int64())
    return common.floor_div(values, 1000) if unit == "ms" else values


def load_generic(path: Path, options: GenericOptions = GenericOptions()) -> RawLogs:
    """Events (and optional items) from a mapped CSV or Parquet file; see the module docstring."""
    path = Path(path)
    wanted = [options.session_col, options.ts_col, options.item_col]
    if options.event_col is not None:
        wanted.append(options.event_col)
    if len(set(wanted)) != len(wanted):
        raise ValueError(f"session_col, ts_col, item_col and event_col must differ, got {wanted}")
    if _is_parquet(path, options.file_format):
        table = _read_parquet(path, wanted)
        ts = _parquet_ts(path, table[options.ts_col], options)
    else:
        ts_kind = "iso" if options.ts_unit == "iso" else "float"
        ts_column = (
            Col(options.ts_col, ts_kind)
            if ts_kind == "iso"
            else time_col(options.ts_col, ts_kind, options.ts_unit)
        )
        cols = [Col(options.session_col), ts_column, Col(options.item_col)]
        if options.event_col is not None:
            cols.append(Col(options.event_col))
        table = read_table(path, TableSpec(tuple(cols), delimiter=options.delimiter))
        ts = (
            table[options.ts_col]
            if options.ts_unit == "iso"
            else _to_seconds(table[options.ts_col], options.ts_unit)
        )
    session = common.as_session_ids(table[options.session_col], path, options.session_col)
    if options.event_col is None:
        is_buy = pa.array([False] * table.num_rows)
    else:
        values = table[options.event_col].cast(pa.string())
        is_buy = pc.is_in(values, value_set=pa.array(list(options.purchase_values), pa.string()))
    event = pc.if_else(is_buy, schema.PURCHASE, schema.CLICK)
    events = common.raw_events(session, ts, table[options.item_col].cast(pa.string()), event)

    items = (
        _items(Path(options.items_path), options) if options.items_path else common.items_table([], [], [])
    )
    items = common.complete_items(items, events, lambda i: f"item {i}", lambda i: f"item {i}")
    log.info("generic %s: %d events, %d items", path, events.num_rows, items.num_rows)
    return RawLogs(events=events, items=items, user_level=options.user_level, source=f"generic:{path}")


def _items(path: Path, options: GenericOptions) -> pa.Table:
    wanted = list(
        dict.fromkeys(
            [options.items_item_col, *([options.title_col] if options.title_col else []), *options.text_cols]
        )
    )
    if _is_parquet(path, options.file_format):
        table = _read_parquet(path, wanted)
        table = pa.table({c: table[c].cast(pa.string()) for c in wanted})
    else:
        table = read_table(path, TableSpec(tuple(Col(c) for c in wanted), delimiter=options.delimiter))
    ids = table[options.items_item_col].to_pylist()
    titles = table[options.title_col].to_pylist() if options.title_col else [f"item {i}" for i in ids]
    if options.text_cols:
        parts = [table[c].to_pylist() for c in options.text_cols]
        texts = [". ".join(p.strip() for p in row if p and p.strip()) for row in zip(*parts, strict=True)]
    else:
        texts = list(titles)
    return common.unique_items(common.items_table(ids, titles, texts))
