"""Each loader on tiny files in the exact source format: counts, event mapping, time units, order, text."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from learec.platform.data import schema
from learec.platform.data.loaders.delimited import Col, TableSpec, read_table
from learec.platform.data.loaders.generic import GenericOptions, load_generic
from learec.platform.data.loaders.lastfm import LastfmOptions, load_lastfm
from learec.platform.data.loaders.movielens import MovieLensOptions, load_movielens
from learec.platform.data.loaders.otto import load_otto
from learec.platform.data.loaders.rc15 import Rc15Options, load_rc15
from learec.platform.data.loaders.recbole import RecboleOptions, load_recbole
from learec.platform.data.loaders.retailrocket import RetailRocketOptions, load_retailrocket
from learec.platform.data.raw import RawLogs

C, P = schema.CLICK, schema.PURCHASE


def rows(logs: RawLogs) -> list[tuple[int, int, str, str]]:
    e = logs.events
    cols = [e[c].to_pylist() for c in (schema.SESSION_ID, schema.TS, schema.RAW_ID, schema.EVENT)]
    return list(zip(*cols, strict=True))


def texts(logs: RawLogs) -> dict[str, str]:
    return dict(zip(logs.items[schema.RAW_ID].to_pylist(), logs.items[schema.TEXT].to_pylist(), strict=True))


def check_contract(logs: RawLogs) -> None:
    """Schema, unassigned item ids, every event item described, (session, ts) order."""
    assert logs.events.schema.equals(schema.RAW_EVENTS)
    assert logs.items.schema.equals(schema.ITEMS)
    assert set(logs.items[schema.ITEM_ID].to_pylist()) <= {-1}
    assert set(logs.events[schema.RAW_ID].to_pylist()) <= set(logs.items[schema.RAW_ID].to_pylist())
    assert len(set(logs.items[schema.RAW_ID].to_pylist())) == logs.items.num_rows
    keys = list(
        zip(logs.events[schema.SESSION_ID].to_pylist(), logs.events[schema.TS].to_pylist(), strict=True)
    )
    assert keys == sorted(keys)


def test_movielens_csv_layout(write_dataset) -> None:
    logs = load_movielens(write_dataset("movielens"), MovieLensOptions())
    check_contract(logs)
    # user 1: movie 3 first in time, then movies 1 and 11 tie at 964982703 and keep file order
    assert rows(logs) == [
        (1, 964981247, "3", C),
        (1, 964982703, "1", P),
        (1, 964982703, "11", P),
        (2, 1445714994, "1", C),
    ]
    assert logs.user_level
    t = texts(logs)
    assert t["1"] == 'Toy Story (1995). Genres: Adventure, Animation. Tags: pixar, fun, "artsy"'
    assert t["3"] == "American President, The (1995). Genres: Comedy, Drama, Romance"
    assert t["11"] == "11'09\"01 - September 11 (2002). Genres: Drama"
    assert t["20"] == "Misérables, Les (1995)"  # unrated movie kept; no-genre placeholder dropped


def test_movielens_options_change_threshold_and_tags(write_dataset) -> None:
    folder = write_dataset("movielens")
    logs = load_movielens(
        folder, MovieLensOptions(purchase_min_rating=4.5, max_tags=1, tags_before=1445714996)
    )
    assert [r[3] for r in rows(logs)] == [C, C, P, C]
    assert texts(logs)["1"].endswith("Tags: pixar")
    no_tags = load_movielens(folder, MovieLensOptions(use_tags=False))
    assert "Tags" not in texts(no_tags)["1"]


def test_movielens_1m_layout_is_latin1(write_dataset) -> None:
    logs = load_movielens(write_dataset("movielens_1m"), MovieLensOptions())
    check_contract(logs)
    assert rows(logs) == [(1, 978300760, "1193", P), (1, 978302109, "661", C), (2, 978298413, "1193", P)]
    t = texts(logs)
    assert t["2000"] == "Misérables, Les (1995). Genres: Drama"
    assert t["661"] == "James and the Giant Peach (1996). Genres: Animation, Children's, Musical"


def test_movielens_100k_layout_reads_genre_flags(write_dataset) -> None:
    logs = load_movielens(write_dataset("movielens_100k"), MovieLensOptions())
    check_contract(logs)
    assert rows(logs) == [(186, 891717742, "302", C), (196, 881250940, "302", P), (196, 881250949, "242", C)]
    t = texts(logs)
    assert t["242"] == "Kolya (1996). Genres: Comedy"
    assert t["302"] == "L.A. Confidential (1997). Genres: Crime, Drama"
    assert t["303"] == "Café au lait (1993)"  # only the 'unknown' flag


def test_movielens_100k_uses_u_genre_when_present(write_dataset) -> None:
    folder = write_dataset("movielens_100k")
    names = ["g0", "g1", "g2", "g3", "g4", "Funny", *[f"g{i}" for i in range(6, 19)]]
    lines = [f"{n}|{i}" for i, n in reversed(list(enumerate(names)))]  # out of order on purpose
    (folder / "u.genre").write_text("\n".join(lines) + "\n\n", encoding="latin-1")
    assert texts(load_movielens(folder, MovieLensOptions()))["242"] == "Kolya (1996). Genres: Funny"


def test_otto_maps_types_and_milliseconds(write_dataset) -> None:
    logs = load_otto(write_dataset("otto"))
    check_contract(logs)
    assert rows(logs) == [
        (0, 1659304800, "1517085", C),
        (0, 1659304904, "1563459", P),
        (0, 1659370027, "305831", P),
        (0, 1659370027, "461689", P),
        (12899779, 1661724000, "59625", C),
    ]
    assert texts(logs)["59625"] == "item 59625"
    assert not logs.user_level


def test_lastfm_pseudo_sequences_by_play_count(write_dataset) -> None:
    logs = load_lastfm(write_dataset("lastfm"), LastfmOptions())
    check_contract(logs)
    # weights 13883, 11690, 11690, 20000: descending, tie 52/53 in file order; ts is the rank
    assert rows(logs) == [(2, 0, "54", C), (2, 1, "51", C), (2, 2, "52", C), (2, 3, "53", C), (3, 0, "51", C)]
    t = texts(logs)
    assert t["52"] == 'Morcheeba "live"' and t["54"] == "Björk" and t["99"] == "Never Played"
    assert not logs.user_level
    assert load_lastfm(write_dataset("lastfm"), LastfmOptions(min_weight=12000)).events.num_rows == 2


def test_retailrocket_sqn_protocol_drops_transactions(write_dataset) -> None:
    folder = write_dataset("retailrocket")
    logs = load_retailrocket(folder, RetailRocketOptions())
    check_contract(logs)
    assert rows(logs) == [
        (257597, 1433221332, "355908", C),
        (257597, 1433221332, "111", C),  # same ms as the row above, later in the file
        (257597, 1433221999, "355908", P),
        (992329, 1433224214, "248676", C),
    ]
    assert logs.user_level
    t = texts(logs)
    assert t["355908"] == "category 1016 > 213 > 1338"  # the latest categoryid (1338, not 9)
    assert t["248676"] == "category 1016 > 213"
    assert t["500"] == "category 1016"  # described but never in events: still listed
    assert t["111"] == "category unknown"
    kept = load_retailrocket(folder, RetailRocketOptions(keep_transactions=True))
    assert [r[3] for r in rows(kept)].count(P) == 2


def test_rc15_clicks_and_buys(write_dataset) -> None:
    logs = load_rc15(write_dataset("rc15"), Rc15Options())
    check_contract(logs)
    assert rows(logs) == [
        (1, 1396867869, "214536502", C),
        (1, 1396868049, "214536500", C),
        (2, 1396878997, "214662742", C),
        (2, 1396879039, "214662742", C),
        (2, 1396879039, "214662742", P),  # the buy follows the click in the same second
        (2, 1396879080, "214825110", C),
        (3, 1396444666, "214757390", C),
    ]
    t = texts(logs)
    assert t["214662742"] == "special offer, brand 2089187744"
    assert t["214825110"] == "category 3"
    assert t["214536502"] == "item 214536502"


def test_rc15_session_sample_is_seeded_and_keeps_whole_sessions(write_dataset) -> None:
    folder = write_dataset("rc15")
    a = load_rc15(folder, Rc15Options(max_sessions=2, seed=7))
    b = load_rc15(folder, Rc15Options(max_sessions=2, seed=7))
    assert rows(a) == rows(b)
    full = rows(load_rc15(folder, Rc15Options()))
    kept = {r[0] for r in rows(a)}
    assert len(kept) == 2
    assert rows(a) == [r for r in full if r[0] in kept]


def test_recbole_rating_threshold_and_item_fields(write_dataset) -> None:
    logs = load_recbole(write_dataset("recbole"), RecboleOptions())
    check_contract(logs)
    assert rows(logs) == [
        (186, 891717742, "302", C),
        (196, 881250940, "302", P),
        (196, 881250949, "242", C),
        (196, 881250949, "377", C),
    ]
    assert logs.user_level
    t = texts(logs)
    assert t["242"] == "Kolya. release_year: 1996. class: Comedy"
    assert t["377"] == "item 377"
    all_clicks = load_recbole(write_dataset("recbole"), RecboleOptions(purchase_field=None))
    assert {r[3] for r in rows(all_clicks)} == {C}


def test_recbole_session_field_and_string_tokens(tmp_path: Path) -> None:
    (tmp_path / "shop.inter").write_text(
        "session_id:token\titem_id:token\ttimestamp:float\tevent:token\n"
        "s-x\tA\t10.9\tclick\ns-y\tB\t5\tpurchase\ns-x\tB\t11\tpurchase\n",
        encoding="utf-8",
    )
    logs = load_recbole(tmp_path, RecboleOptions())
    assert rows(logs) == [(0, 10, "A", C), (0, 11, "B", P), (1, 5, "B", P)]
    assert not logs.user_level


def test_generic_csv_with_mapping(write_dataset) -> None:
    folder = write_dataset("generic")
    opts = GenericOptions(
        session_col="visitor",
        ts_col="when_ms",
        item_col="sku",
        event_col="action",
        purchase_values=("buy",),
        ts_unit="ms",
        items_path=str(folder / "catalog.csv"),
        items_item_col="sku",
        title_col="name",
        text_cols=("name", "brand", "colour"),
    )
    logs = load_generic(folder / "log.csv", opts)
    check_contract(logs)
    # string sessions are numbered by first appearance: u-b -> 0, u-a -> 1
    assert rows(logs) == [(0, 1699999999, "B2", C), (0, 1700000000, "A1", C), (1, 1700000001, "B2", P)]
    assert texts(logs) == {"A1": "Shoe, red. Acme. red", "B2": "Hat. Hatco"}


def test_generic_parquet_matches_csv(tmp_path: Path) -> None:
    table = pa.table(
        {
            "sid": pa.array([5, 5, 3], pa.int64()),
            "t": pa.array(["2024-01-01T00:00:01Z", "2024-01-01T00:00:00.5Z", "2024-01-02T00:00:00"]),
            "item": pa.array([10, 11, 10], pa.int64()),
        }
    )
    pq.write_table(table, tmp_path / "log.parquet")
    (tmp_path / "log.csv").write_text(
        "sid,t,item\n5,2024-01-01T00:00:01Z,10\n5,2024-01-01T00:00:00.5Z,11\n3,2024-01-02T00:00:00,10\n"
    )
    opts = GenericOptions(session_col="sid", ts_col="t", item_col="item", ts_unit="iso")
    from_parquet = load_generic(tmp_path / "log.parquet", opts)
    from_csv = load_generic(tmp_path / "log.csv", opts)
    # the precise reader gives the same seconds (UTC when no offset is written)
    spec = TableSpec((Col("sid", "int"), Col("t", "iso")))
    assert read_table(tmp_path / "log.csv", spec).equals(
        read_table(tmp_path / "log.csv", spec, engine="python")
    )
    check_contract(from_parquet)
    assert (
        rows(from_parquet)
        == rows(from_csv)
        == [
            (3, 1704153600, "10", C),
            (5, 1704067200, "11", C),
            (5, 1704067201, "10", C),
        ]
    )


@pytest.mark.parametrize("name", ["movielens", "otto", "lastfm", "retailrocket", "rc15", "recbole"])
def test_loaders_accept_file_or_folder(write_dataset, name: str) -> None:
    """Passing one of the dataset's files instead of its folder gives the same logs."""
    from learec.platform.data.loaders.registry import load_dataset

    path = write_dataset(name)
    folder = path.parent if path.is_file() else path
    first = path if path.is_file() else sorted(p for p in folder.iterdir() if p.is_file())[0]
    assert rows(load_dataset(name, first)) == rows(load_dataset(name, folder))
