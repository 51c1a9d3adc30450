"""RecBole atomic files (``<name>.inter``, ``<name>.item``) -> RawLogs.

Format (RecBole "atomic files"): tab-separated, UTF-8, no quoting, one header line whose fields are
``name:type`` with type ``token``, ``token_seq`` (space-separated tokens), ``float`` or ``float_seq``, e.g.
``user_id:token  item_id:token  rating:float  timestamp:float`` (optionally ``session_id:token``).
``<name>.item`` holds ``item_id:token`` plus any fields (``movie_title:token_seq``, ``genre:token_seq``...).

Mapping: ``session_id`` = the ``session_field`` when the file has it (``user_level=False``), else the
``user_field`` (``user_level=True``); non-integer tokens are numbered in order of first appearance.
``ts`` = ``time_field`` floored to int64 (RecBole stores unix seconds as floats); with ``time_field=None``
the row position in the file is used and the order is synthetic. ``raw_id`` = the item token.
``event``: with ``purchase_field="auto"``, an ``event`` field (as written by
:func:`learec.platform.data.recbole_export.export_recbole`) gives ``purchase`` for values in
``purchase_values``; otherwise a ``rating`` field gives ``purchase`` for rating >= ``purchase_min``
(4 by default); otherwise every row is a click. A named ``purchase_field`` is used the same way (float
fields by threshold, token fields by value); ``None`` makes every row a click.

Items: title = the first of ``title_fields`` present (else ``"item <token>"``); text = the ``text`` field
when present, else the title followed by every other non-empty field as ``"name: value"``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from learec.platform.common.fields import opt
from learec.platform.data import schema
from learec.platform.data.errors import DataFormatError
from learec.platform.data.loaders import common
from learec.platform.data.loaders.delimited import Col, TableSpec, check_bytes, read_table, time_col
from learec.platform.data.raw import RawLogs

log = logging.getLogger(__name__)

FIELD_TYPES = ("token", "token_seq", "float", "float_seq")
_KIND = {"token": "str", "token_seq": "str", "float": "float", "float_seq": "str"}


@dataclass(frozen=True)
class RecboleOptions:
    name: str | None = opt(None, "dataset name (<name>.inter); None: the only .inter file in the folder")
    user_field: str = opt("user_id", "user token field (RecBole USER_ID_FIELD)")
    item_field: str = opt("item_id", "item token field (RecBole ITEM_ID_FIELD)")
    session_field: str = opt("session_id", "session token field; used instead of the user when present")
    time_field: str | None = opt(
        "timestamp", "time field in unix seconds (RecBole TIME_FIELD); None: file order"
    )
    purchase_field: str | None = opt(
        "auto", "field marking purchases: auto (event, then rating), a name, or None"
    )
    purchase_min: float = opt(4.0, "a float purchase field >= this marks a purchase (ratings)")
    purchase_values: tuple[str, ...] = opt(
        ("purchase",), "token values of the purchase field that mark a purchase"
    )
    title_fields: tuple[str, ...] = opt(
        ("title", "movie_title", "item_name", "name", "artist_name"),
        "item fields tried, in order, for the title",
    )


@dataclass(frozen=True)
class AtomicHeader:
    """The ``name:type`` header of an atomic file: raw header cells and, per field name, its type."""

    cells: tuple[str, ...]
    types: dict[str, str]

    def cell(self, name: str) -> str:
        return self.cells[list(self.types).index(name)]


def read_header(path: Path) -> AtomicHeader:
    """Parse and check the ``name:type`` header line of an atomic file."""
    check_bytes(path, "utf-8")
    with path.open("r", encoding="utf-8", newline="") as fh:
        cells = tuple(fh.readline().rstrip("\r\n").lstrip("\ufeff").split("\t"))
    types: dict[str, str] = {}
    for i, cell in enumerate(cells, 1):
        name, sep, kind = cell.partition(":")
        if not sep or not name or kind not in FIELD_TYPES:
            raise DataFormatError(
                path,
                f"header field {cell!r} is not name:type with type one of {', '.join(FIELD_TYPES)} "
                "(fields are tab-separated)",
                line=1,
                column=i,
            )
        types[name] = kind
    return AtomicHeader(cells, types)


def _require(path: Path, header: AtomicHeader, name: str) -> None:
    if name not in header.types:
        raise DataFormatError(
            path, f"missing field {name!r}; the header has {', '.join(header.cells)}", line=1, column=name
        )


def _inter_path(path: Path, name: str | None) -> Path:
    if path.is_file():
        return path
    if name is not None:
        return path / f"{name}.inter"
    found = sorted(path.glob("*.inter"))
    if len(found) != 1:
        raise DataFormatError(
            path,
            f"expected exactly one .inter file, found {len(found)}",
            hint="Pass the .inter file itself or the name option.",
        )
    return found[0]


def load_recbole(path: Path, options: RecboleOptions = RecboleOptions()) -> RawLogs:
    """RecBole atomic files as raw logs; see the module docstring for the mapping."""
    inter = _inter_path(Path(path), options.name)
    header = read_header(inter)
    _require(inter, header, options.item_field)
    has_session = options.session_field in header.types
    group_field = options.session_field if has_session else options.user_field
    _require(inter, header, group_field)
    if options.time_field is not None:
        _require(inter, header, options.time_field)
    purchase_field = _purchase_field(inter, header, options)

    wanted = [group_field, options.item_field]
    kinds = {group_field: "str", options.item_field: "str"}
    if options.time_field is not None:
        wanted.append(options.time_field)
        kinds[options.time_field] = "float"
    if purchase_field is not None and purchase_field not in kinds:
        wanted.append(purchase_field)
        kinds[purchase_field] = _KIND[header.types[purchase_field]]
    spec = TableSpec(
        tuple(
            time_col(header.cell(f), "float") if f == options.time_field else Col(header.cell(f), kinds[f])
            for f in wanted
        ),
        delimiter="\t",
        quoting=False,
    )
    table = read_table(inter, spec)
    col = {f: table[header.cell(f)] for f in wanted}

    session = common.as_session_ids(col[group_field], inter, header.cell(group_field))
    if options.time_field is not None:
        ts = pc.floor(col[options.time_field]).cast(pa.int64())
    else:
        ts = pa.array(np.arange(table.num_rows), pa.int64())
    if purchase_field is None:
        is_buy = pa.array(np.zeros(table.num_rows, bool))
    elif header.types[purchase_field] == "float":
        is_buy = pc.greater_equal(col[purchase_field], options.purchase_min)
    else:
        is_buy = pc.is_in(col[purchase_field], value_set=pa.array(list(options.purchase_values), pa.string()))
    event = pc.if_else(is_buy, schema.PURCHASE, schema.CLICK)
    events = common.raw_events(session, ts, col[options.item_field], event)

    item_file = inter.with_suffix(".item")
    items = _items(item_file, options) if item_file.is_file() else common.items_table([], [], [])
    items = common.complete_items(items, events, lambda i: f"item {i}", lambda i: f"item {i}")
    log.info("recbole %s: %d interactions, %d items", inter, events.num_rows, items.num_rows)
    return RawLogs(events=events, items=items, user_level=not has_session, source=f"recbole:{inter}")


def _purchase_field(path: Path, header: AtomicHeader, options: RecboleOptions) -> str | None:
    if options.purchase_field is None:
        return None
    if options.purchase_field == "auto":
        for name in ("event", "rating"):
            if name in header.types:
                return name
        return None
    _require(path, header, options.purchase_field)
    return options.purchase_field


def _items(path: Path, options: RecboleOptions) -> pa.Table:
    header = read_header(path)
    _require(path, header, options.item_field)
    names = list(header.types)
    table = read_table(path, TableSpec(tuple(Col(c) for c in header.cells), delimiter="\t", quoting=False))
    values = {n: table[header.cell(n)].to_pylist() for n in names}
    ids = values[options.item_field]
    title_field = next((f for f in options.title_fields if f in header.types), None)
    titles = values[title_field] if title_field else [f"item {i}" for i in ids]
    if "text" in header.types:
        texts = values["text"]
    else:
        extra = [n for n in names if n not in (options.item_field, title_field)]
        texts = [
            ". ".join([titles[r], *(f"{n}: {values[n][r]}" for n in extra if values[n][r].strip())])
            for r in range(len(ids))
        ]
    return common.unique_items(common.items_table(ids, titles, texts))
