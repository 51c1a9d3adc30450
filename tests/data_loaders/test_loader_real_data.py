"""Loaders on the real files under ../shared/data, checked against the counts their READMEs measure and
against an independent plain-Python reading of the same files."""

from __future__ import annotations

import csv
import json
from collections import defaultdict

import pyarrow.compute as pc
import pytest
from support import shared_data

from learec.platform.data import schema
from learec.platform.data.loaders.delimited import Col, TableSpec, read_table
from learec.platform.data.loaders.registry import load_dataset

pytestmark = pytest.mark.shared_data


def _count(events, value: str) -> int:
    return int(pc.sum(pc.equal(events[schema.EVENT], value)).as_py())


def test_movielens_small_matches_readme() -> None:
    folder = shared_data("movielens-small")
    logs = load_dataset("movielens", folder)
    e = logs.events
    assert e.num_rows == 100_836
    assert _count(e, schema.PURCHASE) == 48_580
    assert _count(e, schema.CLICK) == 52_256
    assert len(pc.unique(e[schema.SESSION_ID])) == 610
    assert logs.items.num_rows == 9_742
    assert len(pc.unique(e[schema.RAW_ID])) == 9_724
    assert logs.user_level
    # 1996-03-29 .. 2018-09-24 UTC
    assert 828_057_600 <= pc.min(e[schema.TS]).as_py() < 828_144_000
    assert 1_537_747_200 <= pc.max(e[schema.TS]).as_py() < 1_537_833_600

    # independent reading: per user, the events are the ratings stably sorted by time (file order on ties)
    by_user: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    with (folder / "ratings.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            event = schema.PURCHASE if float(row["rating"]) >= 4 else schema.CLICK
            by_user[int(row["userId"])].append((int(row["timestamp"]), row["movieId"], event))
    expected = [(u, *r) for u in sorted(by_user) for r in sorted(by_user[u], key=lambda r: r[0])]
    got = zip(
        *(e[c].to_pylist() for c in (schema.SESSION_ID, schema.TS, schema.RAW_ID, schema.EVENT)), strict=True
    )
    assert list(got) == expected

    text = dict(zip(logs.items[schema.RAW_ID].to_pylist(), logs.items[schema.TEXT].to_pylist(), strict=True))
    assert text["11"].startswith("American President, The (1995). Genres: Comedy, Drama, Romance")
    assert sum("Tags: " in t for t in text.values()) == 1_572
    assert any(t.startswith("Misérables, Les (1995)") for t in text.values())


def test_movielens_small_fast_and_precise_readers_agree() -> None:
    folder = shared_data("movielens-small")
    spec = TableSpec((Col("movieId", "int"), Col("title"), Col("genres")))
    assert read_table(folder / "movies.csv", spec).equals(
        read_table(folder / "movies.csv", spec, engine="python")
    )


def test_otto_sample_matches_readme() -> None:
    path = shared_data("otto-sample") / "train.jsonl"
    logs = load_dataset("otto", path)
    e = logs.events
    assert (e.num_rows, _count(e, schema.CLICK), _count(e, schema.PURCHASE)) == (862, 800, 62)
    assert len(pc.unique(e[schema.SESSION_ID])) == 20
    assert logs.items.num_rows == 510
    # events are in time order within each session in the file, so the output is the file order
    expected = []
    for line in path.read_text().splitlines():
        s = json.loads(line)
        for ev in s["events"]:
            kind = schema.CLICK if ev["type"] == "clicks" else schema.PURCHASE
            expected.append((s["session"], ev["ts"] // 1000, str(ev["aid"]), kind))
    expected.sort(key=lambda r: r[0])  # stable: sessions ascending, file order inside
    got = zip(
        *(e[c].to_pylist() for c in (schema.SESSION_ID, schema.TS, schema.RAW_ID, schema.EVENT)), strict=True
    )
    assert list(got) == expected


def test_lastfm_pseudo_sequences_follow_play_counts() -> None:
    folder = shared_data("lastfm-hetrec")
    logs = load_dataset("lastfm", folder)
    e = logs.events
    assert e.num_rows == 92_834
    assert _count(e, schema.CLICK) == 92_834
    assert len(pc.unique(e[schema.SESSION_ID])) == 1_892
    assert logs.items.num_rows == 17_632
    weight = {}
    with (folder / "user_artists.dat").open(newline="", encoding="ascii") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            weight[(int(row["userID"]), row["artistID"])] = int(row["weight"])
    users, ts, artists = (e[c].to_pylist() for c in (schema.SESSION_ID, schema.TS, schema.RAW_ID))
    for i in range(1, len(users)):
        if users[i] == users[i - 1]:
            assert ts[i] == ts[i - 1] + 1
            assert weight[(users[i], artists[i])] <= weight[(users[i - 1], artists[i - 1])]
        else:
            assert ts[i] == 0
    names = dict(zip(logs.items[schema.RAW_ID].to_pylist(), logs.items[schema.TEXT].to_pylist(), strict=True))
    assert names["1"] == "MALICE MIZER"
