"""RecBole export: the files RecBole expects, and a lossless round trip through the ``recbole`` loader."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from learec.platform.data import schema
from learec.platform.data.loaders.recbole import RecboleOptions, load_recbole
from learec.platform.data.loaders.registry import load_dataset
from learec.platform.data.raw import RawLogs
from learec.platform.data.recbole_export import export_recbole


def dense(logs: RawLogs) -> tuple[pa.Table, pa.Table]:
    """Events/items in the preprocessed schemas, dense ids in reversed items order (so ids != raw ids)."""
    raw_ids = logs.items[schema.RAW_ID].to_pylist()[::-1]
    index = {r: i for i, r in enumerate(raw_ids)}
    items = logs.items.take(pa.array(range(logs.items.num_rows - 1, -1, -1)))
    items = items.set_column(0, schema.ITEM_ID, pa.array(range(len(raw_ids)), pa.int64()))
    events = pa.table(
        {
            schema.SESSION_ID: logs.events[schema.SESSION_ID],
            schema.TS: logs.events[schema.TS],
            schema.ITEM_ID: pa.array([index[r] for r in logs.events[schema.RAW_ID].to_pylist()], pa.int64()),
            schema.EVENT: logs.events[schema.EVENT],
        },
        schema=schema.EVENTS,
    )
    return events, items


@pytest.mark.parametrize("dataset", ["movielens", "otto", "retailrocket", "rc15"])
def test_export_then_load_round_trips(write_dataset, tmp_path: Path, dataset: str) -> None:
    logs = load_dataset(dataset, write_dataset(dataset))
    events, items = dense(logs)
    inter, item = export_recbole(events, items, tmp_path / "out", "shop")
    assert (inter.name, item.name) == ("shop.inter", "shop.item")
    back = load_recbole(tmp_path / "out", RecboleOptions(name="shop"))
    assert back.events.equals(logs.events)  # same sessions, seconds, raw ids, events and order
    assert not back.user_level  # the session_id field is used
    want = dict(zip(items[schema.RAW_ID].to_pylist(), items[schema.TEXT].to_pylist(), strict=True))
    got = dict(zip(back.items[schema.RAW_ID].to_pylist(), back.items[schema.TEXT].to_pylist(), strict=True))
    assert got == want


def test_export_writes_recbole_headers_and_raw_tokens(write_dataset, tmp_path: Path) -> None:
    events, items = dense(load_dataset("movielens", write_dataset("movielens")))
    inter, item = export_recbole(events, items, tmp_path, "ml")
    inter_lines = inter.read_text(encoding="utf-8").splitlines()
    assert inter_lines[0] == "session_id:token\titem_id:token\ttimestamp:float\tevent:token"
    assert inter_lines[1] == "1\t3\t964981247\tclick"  # raw movie id, not the dense id
    item_lines = item.read_text(encoding="utf-8").splitlines()
    assert item_lines[0] == "item_id:token\ttitle:token_seq\ttext:token_seq"
    assert len(item_lines) == items.num_rows + 1
    assert not list(tmp_path.glob(".*tmp"))  # atomic writes leave no temporaries


def test_export_replaces_tabs_and_line_breaks(tmp_path: Path) -> None:
    items = pa.table(
        {
            schema.ITEM_ID: [0],
            schema.RAW_ID: ["a"],
            schema.TITLE: ["two\tcells"],
            schema.TEXT: ["line\nbreak"],
        },
        schema=schema.ITEMS,
    )
    events = pa.table(
        {schema.SESSION_ID: [1], schema.TS: [5], schema.ITEM_ID: [0], schema.EVENT: [schema.CLICK]},
        schema=schema.EVENTS,
    )
    export_recbole(events, items, tmp_path, "x")
    back = load_recbole(tmp_path / "x.inter")
    assert back.items[schema.TITLE].to_pylist() == ["two cells"]
    assert back.items[schema.TEXT].to_pylist() == ["line break"]


def test_export_rejects_events_without_items(tmp_path: Path) -> None:
    items = pa.table({schema.ITEM_ID: [0], schema.RAW_ID: ["a"], schema.TITLE: ["t"], schema.TEXT: ["t"]},
                     schema=schema.ITEMS)  # fmt: skip
    events = pa.table(
        {
            schema.SESSION_ID: [1, 1],
            schema.TS: [5, 6],
            schema.ITEM_ID: [0, 3],
            schema.EVENT: ["click", "click"],
        },
        schema=schema.EVENTS,
    )
    with pytest.raises(ValueError, match="item_id 3 has no row in items"):
        export_recbole(events, items, tmp_path, "x")
    assert not (tmp_path / "x.inter").exists()
