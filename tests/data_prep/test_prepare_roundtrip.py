"""prepare + load_prepared: files, counts, train-only vocabulary, unseen items, atomic output, errors."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from learec.platform.common.fields import from_dict
from learec.platform.data import schema
from learec.platform.data.prepare import PrepConfig, load_prepared, prepare
from learec.platform.data.splits import SPLITS

C, P = schema.CLICK, schema.PURCHASE


def test_round_trip_counts_and_schemas(tmp_path, random_raw) -> None:
    raw = random_raw(seed=1)
    messages: list[str] = []
    data = prepare(raw, PrepConfig(min_item_count=2), tmp_path / "data", progress=messages.append)
    assert messages and (tmp_path / "data" / "stats.json").is_file()
    loaded = load_prepared(tmp_path / "data")
    assert (loaded.n_items, loaded.state_len, loaded.stats) == (data.n_items, data.state_len, data.stats)
    total = 0
    for split in SPLITS:
        events, transitions = loaded.events(split), loaded.transitions(split)
        assert transitions.schema == schema.transitions_schema(10)
        assert transitions.num_rows == events.num_rows == loaded.stats["splits"][split]["events"]
        assert transitions.column(schema.ACTION).equals(events.column(schema.ITEM_ID))
        s = loaded.stats["splits"][split]
        assert s["clicks"] + s["purchases"] == s["events"]
        assert s["sessions"] == len(pc.unique(events.column(schema.SESSION_ID)))
        total += events.num_rows
    p = loaded.stats["preprocess"]
    unseen = sum(loaded.stats["splits"][s]["unseen_events"] for s in SPLITS)
    assert (
        total
        + unseen
        + p["truncated_events"]
        + p["dropped_short_session_events"]
        + p["dropped_rare_item_events"]
        == raw.events.num_rows
    )
    pop = loaded.popularity()
    assert pop.shape == (loaded.n_items,) and pop.sum() == loaded.stats["splits"]["train"]["events"]
    raw_ids = loaded.raw_ids()
    assert raw_ids == sorted(raw_ids) and len(raw_ids) == loaded.n_items
    assert loaded.items().column(schema.ITEM_ID).to_pylist() == list(range(loaded.n_items))


def test_vocabulary_is_fitted_on_train_and_unseen_items_are_counted(tmp_path, make_raw) -> None:
    # leave-one-out on 4 sessions; "new" and "late" occur only as val/test targets
    rows = []
    for s in range(4):
        rows += [(s, 0, "a", C), (s, 1, "b", C), (s, 2, "c", C), (s, 3, "a", C)]
        rows += [(s, 4, "new" if s < 2 else "b", C), (s, 5, "late" if s == 0 else "c", P)]
    cfg = PrepConfig(split="leave_one_out", min_item_count=1, max_session_len=None, state_len=3)
    data = prepare(make_raw(rows), cfg, tmp_path / "d")
    assert data.raw_ids() == ["a", "b", "c"]
    st = data.stats["splits"]
    assert (st["val"]["unseen_events"], st["val"]["unseen_items"]) == (2, 1)
    assert (st["test"]["unseen_events"], st["test"]["unseen_items"]) == (1, 1)
    assert st["train"]["unseen_events"] == 0
    test = data.transitions("test")
    assert test.num_rows == 3  # session 0 lost its test target
    # the test target's state uses the full history, skipping the removed unseen val item ("new")
    row = test.filter(pc.equal(test.column(schema.SESSION_ID), 1)).to_pylist()[0]
    assert row["state"] == [1, 2, 0] and row["action"] == 2 and row["step"] == 4 and row["done"]


def test_temporal_split_is_leak_free_and_determinism(tmp_path, random_raw) -> None:
    raw = random_raw(seed=2)
    cfg = PrepConfig(split="temporal", min_item_count=1)
    data = prepare(raw, cfg, tmp_path / "t")
    start = {
        s: data.events(s)
        .group_by(schema.SESSION_ID)
        .aggregate([(schema.TS, "min")])
        .column(f"{schema.TS}_min")
        .to_numpy()
        for s in SPLITS
    }
    assert start["train"].max() < start["test"].min()
    again = prepare(raw, cfg, tmp_path / "t2")
    for s in SPLITS:
        assert again.transitions(s).equals(data.transitions(s))
    r0 = prepare(raw, PrepConfig(seed=0, min_item_count=1), tmp_path / "r0").events("test")
    r1 = prepare(raw, PrepConfig(seed=1, min_item_count=1), tmp_path / "r1").events("test")
    assert not r0.column(schema.SESSION_ID).equals(r1.column(schema.SESSION_ID))


def test_user_level_logs_are_cut_into_sessions(tmp_path, make_raw) -> None:
    day = 86400
    rows = [(7, t, f"i{t % 3}", C) for t in range(3)] + [(7, 2 * day + t, f"i{t % 3}", P) for t in range(3)]
    cfg = PrepConfig(split_ratios=(1.0, 0.0, 0.0), min_item_count=1, session_gap_s=day)
    data = prepare(make_raw(rows, user_level=True), cfg, tmp_path / "u")
    train = data.transitions("train")
    assert data.stats["splits"]["train"]["sessions"] == 2
    assert train.column(schema.STEP).to_pylist() == [0, 1, 2, 0, 1, 2]
    assert train.column(schema.DONE).to_pylist() == [False, False, True] * 2


def test_error_leaves_no_partial_output(tmp_path, make_raw) -> None:
    raw = make_raw([(1, 0, "a", C), (1, 1, "b", C), (2, 0, "a", C)])
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="no events left after filtering"):
        prepare(raw, PrepConfig(), out)
    assert not out.exists() and list(tmp_path.iterdir()) == []
    # an existing prepared folder survives a failing re-run untouched
    good = prepare(raw, PrepConfig(min_session_len=1, min_item_count=1, split_ratios=(1.0, 0.0, 0.0)), out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    with pytest.raises(ValueError):
        prepare(raw, PrepConfig(), out)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert load_prepared(out).stats == good.stats
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_refuses_to_replace_a_foreign_folder(tmp_path, random_raw) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not a prepared data folder"):
        prepare(random_raw(), PrepConfig(min_item_count=1), tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_load_prepared_names_missing_or_broken_files(tmp_path, random_raw) -> None:
    with pytest.raises(ValueError, match="not found: run `learec data prepare` first"):
        load_prepared(tmp_path / "nothing")
    root = tmp_path / "d"
    prepare(random_raw(), PrepConfig(min_item_count=1), root)
    (root / "transitions" / "val.parquet").unlink()
    with pytest.raises(ValueError, match=r"val\.parquet not found"):
        load_prepared(root)
    prepare(random_raw(), PrepConfig(min_item_count=1), root)
    stats = json.loads((root / "stats.json").read_text())
    stats["state_len"] = 4
    (root / "stats.json").write_text(json.dumps(stats))
    with pytest.raises(ValueError, match="state_len"):
        load_prepared(root)
    prepare(random_raw(), PrepConfig(min_item_count=1), root)
    table = pq.read_table(root / "events" / "test.parquet").drop_columns([schema.EVENT])
    pq.write_table(table, root / "events" / "test.parquet")
    with pytest.raises(ValueError, match="missing column 'event'"):
        load_prepared(root)
    with pytest.raises(ValueError, match="split must be one of"):
        prepare(random_raw(), PrepConfig(min_item_count=1), root).transitions("dev")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"split_ratios": [0.5, 0.2]}, "split_ratios"),
        ({"split_ratios": [0.8, 0.3, -0.1]}, "split_ratios"),
        ({"state_len": 0}, "state_len"),
        ({"max_session_len": 0}, "max_session_len"),
        ({"split": "by_day"}, "split"),
    ],
)
def test_config_validation_names_the_field(values, message) -> None:
    with pytest.raises(ValueError, match=message):
        from_dict(PrepConfig, values, where="prep")


def test_config_round_trips_through_a_dict() -> None:
    cfg = from_dict(
        PrepConfig, {"split": "temporal", "max_session_len": None, "split_ratios": "0.7,0.15,0.15"}
    )
    assert cfg.split == "temporal" and cfg.max_session_len is None
    assert np.isclose(sum(cfg.split_ratios), 1.0)


def test_failure_while_writing_leaves_no_partial_folder(tmp_path, random_raw, monkeypatch) -> None:
    import learec.platform.data.prepare as prepare_module

    def disk_full(*args, **kwargs):
        raise OSError("disk full")

    # fail after the Parquet files are written, before the last files: nothing may appear at out_dir
    monkeypatch.setattr(prepare_module.np, "save", disk_full)
    with pytest.raises(OSError, match="disk full"):
        prepare(random_raw(), PrepConfig(min_item_count=1), tmp_path / "out")
    assert list(tmp_path.iterdir()) == []
