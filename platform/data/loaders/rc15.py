"""RecSys Challenge 2015 (YooChoose) -> RawLogs.

Files in one folder, comma-separated, NO header, no quoting:
``yoochoose-clicks.dat`` (``SessionID,Timestamp,ItemID,Category``) and ``yoochoose-buys.dat``
(``SessionID,Timestamp,ItemID,Price,Quantity``). Timestamps are ISO-8601 UTC with milliseconds, e.g.
``2014-04-07T10:51:09.277Z``. Category is ``0`` (missing), ``S`` (special offer), ``1``-``12`` (a
category) or a longer number (a brand).

Mapping: clicks -> ``click``, buys -> ``purchase``; ``session_id`` = SessionID (real sessions,
``user_level=False``); ``ts`` = the timestamp floored to unix seconds; ``raw_id`` = ItemID. Rows are
sorted by (session, ts) stably with clicks before buys, so ties keep file order and a buy follows the
click at the same second. ``max_sessions`` samples that many click sessions uniformly without
replacement (seeded), as the SQN preprocessing does with 200,000; buys are kept for sampled sessions.

Items: title ``"item <ItemID>"``; text the item's distinct categories from the clicks file in order of
first appearance, e.g. ``"category 3, special offer, brand 2089187744"`` (``"item <ItemID>"`` when all are
``0``).
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
from learec.platform.data.loaders import common
from learec.platform.data.loaders.delimited import Col, TableSpec, read_table
from learec.platform.data.raw import RawLogs

log = logging.getLogger(__name__)

CLICKS_FILE = "yoochoose-clicks.dat"
BUYS_FILE = "yoochoose-buys.dat"
CLICK_FIELDS = ("SessionID", "Timestamp", "ItemID", "Category")
BUY_FIELDS = ("SessionID", "Timestamp", "ItemID", "Price", "Quantity")


@dataclass(frozen=True)
class Rc15Options:
    max_sessions: int | None = opt(None, "sample this many click sessions (SQN uses 200000); None keeps all")
    seed: int = opt(0, "seed of the session sample")

    def __post_init__(self) -> None:
        if self.max_sessions is not None and self.max_sessions <= 0:
            raise ValueError(f"max_sessions must be > 0 or None, got {self.max_sessions}")


def _spec(names: tuple[str, ...], with_category: bool) -> TableSpec:
    cols = [Col("SessionID", "int"), Col("Timestamp", "iso"), Col("ItemID", "int")]
    if with_category:
        cols.append(Col("Category"))
    return TableSpec(tuple(cols), header=False, names=names, quoting=False)


def category_label(value: str) -> str | None:
    """YooChoose category code -> words: ``S`` special offer, 1-12 a category, longer numbers a brand."""
    value = value.strip()
    if value in ("", "0"):
        return None
    if value == "S":
        return "special offer"
    if value.isdigit() and len(value) <= 2:
        return f"category {int(value)}"
    return f"brand {value}"


def load_rc15(path: Path, options: Rc15Options = Rc15Options()) -> RawLogs:
    """YooChoose clicks and buys as session raw logs; see the module docstring for the mapping."""
    folder = Path(path)
    folder = folder.parent if folder.is_file() else folder
    clicks = read_table(folder / CLICKS_FILE, _spec(CLICK_FIELDS, with_category=True))
    buys = read_table(folder / BUYS_FILE, _spec(BUY_FIELDS, with_category=False))
    if options.max_sessions is not None:
        sessions = pc.unique(clicks["SessionID"]).to_numpy()
        if options.max_sessions < len(sessions):
            rng = np.random.default_rng(options.seed)
            chosen = pa.array(rng.choice(sessions, size=options.max_sessions, replace=False))
            clicks = clicks.filter(pc.is_in(clicks["SessionID"], value_set=chosen))
            buys = buys.filter(pc.is_in(buys["SessionID"], value_set=chosen))
    n_c, n_b = clicks.num_rows, buys.num_rows
    events = common.raw_events(
        pa.chunked_array(clicks["SessionID"].chunks + buys["SessionID"].chunks, pa.int64()),
        pa.chunked_array(clicks["Timestamp"].chunks + buys["Timestamp"].chunks, pa.int64()),
        pa.chunked_array(clicks["ItemID"].chunks + buys["ItemID"].chunks, pa.int64()).cast(pa.string()),
        pa.array([schema.CLICK] * n_c + [schema.PURCHASE] * n_b, pa.string()),
    )
    items = _items(clicks)
    items = common.complete_items(items, events, lambda i: f"item {i}", lambda i: f"item {i}")
    log.info("rc15 %s: %d clicks, %d buys, %d items", folder, n_c, n_b, items.num_rows)
    return RawLogs(events=events, items=items, user_level=False, source=f"rc15:{folder}")


def _items(clicks: pa.Table) -> pa.Table:
    """One row per clicked item, text = its distinct category labels in order of first appearance."""
    encoded = pc.dictionary_encode(clicks["Category"].combine_chunks())
    codes = encoded.indices.to_numpy().astype(np.int64)
    labels = [category_label(v) for v in encoded.dictionary.to_pylist()]
    item = clicks["ItemID"].to_numpy()
    pairs = pc.unique(pa.array(item * len(labels) + codes)).to_numpy()  # first-appearance order
    texts: dict[int, list[str]] = {}
    for key in pairs.tolist():
        it, code = divmod(key, len(labels))
        entry = texts.setdefault(it, [])
        if labels[code] is not None and labels[code] not in entry:
            entry.append(labels[code])
    ids = [str(i) for i in texts]
    return common.items_table(
        ids,
        [f"item {i}" for i in ids],
        [", ".join(t) if t else f"item {i}" for i, t in zip(ids, texts.values(), strict=True)],
    )
