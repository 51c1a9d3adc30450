"""Export preprocessed events and items as RecBole atomic files, so RecBole baselines see the same data.

``<name>.inter``: ``session_id:token  item_id:token  timestamp:float  event:token`` (tab-separated).
``<name>.item``: ``item_id:token  title:token_seq  text:token_seq``.
The item token is the item's ``raw_id`` (the source id), not the dense ``item_id``, so RecBole results
can be matched to the source data. Atomic files have no quoting, so tabs and line breaks inside titles,
texts and ids are replaced by spaces (logged). Reading the files back with the ``recbole`` loader gives
the same events by raw id and the same item text (a test checks the round trip).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pyarrow as pa

from learec.platform.common.atomic import atomic_path
from learec.platform.data import schema

log = logging.getLogger(__name__)

INTER_HEADER = ("session_id:token", "item_id:token", "timestamp:float", "event:token")
ITEM_HEADER = ("item_id:token", "title:token_seq", "text:token_seq")
_BREAKS = re.compile(r"[\t\r\n]+")
_ROWS_PER_WRITE = 100_000


def _clean(values: list[str | None], what: str) -> list[str]:
    """Values safe for an unquoted tab-separated line; None becomes an empty field."""
    out = []
    changed = 0
    for v in values:
        v = "" if v is None else v
        c = _BREAKS.sub(" ", v)
        changed += c != v
        out.append(c)
    if changed:
        log.warning("%d %s values held tabs or line breaks; replaced by spaces for RecBole", changed, what)
    return out


def _write_lines(path: Path, header: tuple[str, ...], columns: list[list[str]]) -> None:
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("\t".join(header) + "\n")
        n = len(columns[0]) if columns else 0
        for start in range(0, n, _ROWS_PER_WRITE):
            rows = zip(*(c[start : start + _ROWS_PER_WRITE] for c in columns), strict=True)
            fh.write("".join("\t".join(r) + "\n" for r in rows))


def export_recbole(events: pa.Table, items: pa.Table, out_dir: Path, name: str) -> tuple[Path, Path]:
    """Write ``out_dir/<name>.inter`` and ``out_dir/<name>.item`` atomically; returns both paths.

    ``events`` follows ``schema.EVENTS`` (dense ``item_id``), ``items`` follows ``schema.ITEMS`` and must
    describe every ``item_id`` used in ``events``. Rows are written in the order given.
    """
    schema.check_columns(events, schema.EVENTS, "export_recbole events")
    schema.check_columns(items, schema.ITEMS, "export_recbole items")
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"export_recbole name must be a plain file stem, got {name!r}")
    out_dir = Path(out_dir)

    item_ids = items[schema.ITEM_ID].to_numpy()
    raw_ids = np.asarray(_clean(items[schema.RAW_ID].to_pylist(), "raw_id"), dtype=object)
    if len(np.unique(item_ids)) != len(item_ids):
        raise ValueError("export_recbole items: item_id values must be unique")
    order = np.argsort(item_ids, kind="stable")
    sorted_ids = item_ids[order]
    ev_items = events[schema.ITEM_ID].to_numpy()
    pos = np.searchsorted(sorted_ids, ev_items)
    pos_clipped = np.minimum(pos, max(len(sorted_ids) - 1, 0))
    known = (pos < len(sorted_ids)) & (sorted_ids[pos_clipped] == ev_items) if len(sorted_ids) else pos < 0
    if not known.all():
        bad = int(ev_items[~known][0])
        raise ValueError(
            f"export_recbole events: item_id {bad} has no row in items; export items for every event"
        )
    ev_raw = raw_ids[order][pos_clipped]

    inter_path = out_dir / f"{name}.inter"
    item_path = out_dir / f"{name}.item"
    _write_lines(
        inter_path,
        INTER_HEADER,
        [
            [str(s) for s in events[schema.SESSION_ID].to_pylist()],
            list(ev_raw),
            [str(t) for t in events[schema.TS].to_pylist()],
            events[schema.EVENT].to_pylist(),
        ],
    )
    _write_lines(
        item_path,
        ITEM_HEADER,
        [
            list(raw_ids),
            _clean(items[schema.TITLE].to_pylist(), "title"),
            _clean(items[schema.TEXT].to_pylist(), "text"),
        ],
    )
    log.info("wrote %s (%d events) and %s (%d items)", inter_path, events.num_rows, item_path, items.num_rows)
    return inter_path, item_path
