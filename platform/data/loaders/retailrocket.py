"""RetailRocket e-commerce dataset (Kaggle "retailrocket/ecommerce-dataset") -> RawLogs.

Files in one folder, all comma-separated with a header row:
``events.csv`` (``timestamp,visitorid,event,itemid,transactionid``; timestamp in unix ms; event one of
``view``, ``addtocart``, ``transaction``; transactionid empty except for transactions),
``item_properties_part1.csv`` and ``item_properties_part2.csv`` (``timestamp,itemid,property,value``;
the ``categoryid`` property holds the item's category, changing over time), ``category_tree.csv``
(``categoryid,parentid``; parentid empty at a root).

Mapping (the SQN-protocol preprocessing of Xin et al., SIGIR 2020): ``view`` -> ``click``,
``addtocart`` -> ``purchase``, and ``transaction`` rows are DROPPED (published SQN/SNQN/SA2C numbers
depend on that); ``keep_transactions=True`` maps them to ``purchase`` instead. ``ts`` = timestamp // 1000
(unix seconds). RetailRocket records visitors, not sessions: ``session_id`` = visitorid and
``user_level=True``, so preprocessing cuts sessions by time gap. Ties keep file order.

Items: title ``"item <itemid>"``; text ``"category <root> > ... > <leaf>"``, the item's latest
``categoryid`` walked up ``category_tree.csv`` (``"category unknown"`` without one). Every item with a
category is listed, plus any item seen in events.
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
from learec.platform.data.loaders.delimited import Col, TableSpec, first_line_where, read_table, time_col
from learec.platform.data.raw import RawLogs

log = logging.getLogger(__name__)

EVENTS_FILE = "events.csv"
PROPERTY_FILES = ("item_properties_part1.csv", "item_properties_part2.csv")
TREE_FILE = "category_tree.csv"
SOURCE_EVENTS = ("view", "addtocart", "transaction")
CATEGORY_PROPERTY = "categoryid"
UNKNOWN_TEXT = "category unknown"


@dataclass(frozen=True)
class RetailRocketOptions:
    keep_transactions: bool = opt(
        False, "map transaction rows to purchase instead of dropping them (SQN drops)"
    )
    use_item_properties: bool = opt(True, "build category-path item text from item_properties_*.csv")


def load_retailrocket(path: Path, options: RetailRocketOptions = RetailRocketOptions()) -> RawLogs:
    """RetailRocket visitors' events as user-level raw logs; see the module docstring for the mapping."""
    folder = Path(path)
    folder = folder.parent if folder.is_file() else folder
    raw = read_table(
        folder / EVENTS_FILE,
        TableSpec(
            (
                time_col("timestamp", unit="ms"),
                Col("visitorid", "int"),
                Col("event", choices=SOURCE_EVENTS),
                Col("itemid", "int"),
            )
        ),
    )
    mapping = {
        "view": schema.CLICK,
        "addtocart": schema.PURCHASE,
        "transaction": schema.PURCHASE if options.keep_transactions else None,
    }
    event, keep = common.map_events(raw["event"], mapping)
    raw = raw.filter(keep)
    events = common.raw_events(
        raw["visitorid"],
        common.floor_div(raw["timestamp"], 1000),
        raw["itemid"].cast(pa.string()),
        event.filter(keep),
    )
    items = _category_items(folder) if options.use_item_properties else common.items_table([], [], [])
    items = common.complete_items(items, events, lambda i: f"item {i}", lambda i: UNKNOWN_TEXT)
    log.info("retailrocket %s: %d events kept, %d items", folder, events.num_rows, items.num_rows)
    return RawLogs(events=events, items=items, user_level=True, source=f"retailrocket:{folder}")


def _latest_categories(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """(itemid, categoryid) for each item's latest ``categoryid`` property, items ascending."""
    spec = TableSpec((time_col("timestamp", unit="ms"), Col("itemid", "int"), Col("property"), Col("value")))
    parts = []
    for name in PROPERTY_FILES:
        t = read_table(folder / name, spec)
        t = t.filter(pc.equal(t["property"], CATEGORY_PROPERTY))
        try:
            category = t["value"].cast(pa.int64())
        except pa.ArrowInvalid:
            line = first_line_where(
                folder / name,
                spec,
                lambda r: r["property"] == CATEGORY_PROPERTY and not r["value"].strip().isdigit(),
            )
            raise DataFormatError(
                folder / name, "a categoryid property must have an integer value", line=line, column="value"
            ) from None
        parts.append(pa.table({"ts": t["timestamp"], "item": t["itemid"], "category": category}))
    table = pa.concat_tables(parts)
    item, ts, cat = (table[c].to_numpy() for c in ("item", "ts", "category"))
    order = np.lexsort((ts, item))  # stable: by item, then time; the last row per item is the latest
    item, cat = item[order], cat[order]
    last = np.r_[item[1:] != item[:-1], True] if len(item) else np.zeros(0, bool)
    return item[last], cat[last]


def _category_tree(folder: Path) -> dict[int, int | None]:
    path = folder / TREE_FILE
    t = read_table(path, TableSpec((Col("categoryid", "int"), Col("parentid", "int", nullable=True))))
    return dict(zip(t["categoryid"].to_pylist(), t["parentid"].to_pylist(), strict=True))


def category_path(category: int, parents: dict[int, int | None], tree_path: Path) -> str:
    """``"category <root> > ... > <category>"`` by walking ``parents`` up from ``category``."""
    chain = [category]
    while (parent := parents.get(chain[-1])) is not None:
        if parent in chain:
            raise DataFormatError(
                tree_path, f"the category tree has a cycle through category {parent}", column="parentid"
            )
        chain.append(parent)
    return "category " + " > ".join(str(c) for c in reversed(chain))


def _category_items(folder: Path) -> pa.Table:
    items, cats = _latest_categories(folder)
    parents = _category_tree(folder)
    paths: dict[int, str] = {}
    texts = []
    for c in cats.tolist():
        if c not in paths:
            paths[c] = category_path(c, parents, folder / TREE_FILE)
        texts.append(paths[c])
    ids = items.astype(str).tolist()
    return common.items_table(ids, [f"item {i}" for i in ids], texts)
