"""Bad input: every loader names the file, the physical line and the column of the first problem."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from learec.platform.data.errors import DataFormatError
from learec.platform.data.loaders import delimited
from learec.platform.data.loaders.delimited import Col, TableSpec, check_bytes, read_table
from learec.platform.data.loaders.registry import load_dataset

FORMAT = {
    "movielens": "movielens",
    "movielens_1m": "movielens",
    "movielens_100k": "movielens",
    "otto": "otto",
    "lastfm": "lastfm",
    "retailrocket": "retailrocket",
    "rc15": "rc15",
    "recbole": "recbole",
    "generic": "generic",
}
GENERIC_OPTIONS = {"session_col": "visitor", "ts_col": "when_ms", "item_col": "sku", "ts_unit": "ms"}
OTTO_OK = '{"session":0,"events":[{"aid":1,"ts":1659304800025,"type":"clicks"}]}\n'
OTTO_CUT = '{"session":1,"events":[{"aid":5,"ts":16'


class Case(NamedTuple):
    dataset: str
    file: str  # file name inside the dataset folder
    content: bytes  # replaces the file
    line: int | None
    column: str | int | None


CASES = {
    # missing column / header field
    "movielens-missing-column": Case(
        "movielens", "ratings.csv", b"userId,movieId,timestamp\r\n1,1,964982703\r\n", 1, "rating"
    ),
    "lastfm-missing-column": Case(
        "lastfm", "user_artists.dat", b"userID\tartistID\r\n2\t51\r\n", 1, "weight"
    ),
    "retailrocket-missing-column": Case(
        "retailrocket", "events.csv", b"timestamp,visitorid,itemid,transactionid\n1,2,3,\n", 1, "event"
    ),
    "recbole-missing-field": Case(
        "recbole", "ml-100k.inter", b"user_id:token\trating:float\ttimestamp:float\n1\t4\t5\n", 1, "item_id"
    ),
    "recbole-bad-header-type": Case(
        "recbole", "ml-100k.inter", b"user_id:token\titem_id:token\trating:number\n1\t2\t3\n", 1, 3
    ),
    "otto-missing-key": Case(
        "otto",
        "train.jsonl",
        (OTTO_OK + '{"session":1,"events":[{"aid":5,"type":"clicks"}]}\n').encode(),
        2,
        "events[0].ts",
    ),
    "generic-missing-column": Case("generic", "log.csv", b"visitor,when_ms,action\nu,1,view\n", 1, "sku"),
    # wrong type (blank lines still count as physical lines)
    "movielens-wrong-type": Case(
        "movielens",
        "ratings.csv",
        b"userId,movieId,rating,timestamp\r\n1,1,4.0,964982703\r\n\r\n1,3,x,964981247\r\n",
        4,
        "rating",
    ),
    "movielens-1m-wrong-type": Case(
        "movielens_1m", "ratings.dat", b"1::1193::5::978300760\n1::661::five::978302109\n", 2, "Rating"
    ),
    "movielens-100k-wrong-type": Case(
        "movielens_100k",
        "u.data",
        b"196\t242\t3\t881250949\n186\t302\t3\t891717742\n1\t2\t3\tlate\n",
        3,
        "timestamp",
    ),
    "lastfm-wrong-type": Case(
        "lastfm",
        "user_artists.dat",
        b"userID\tartistID\tweight\r\n2\t51\t13883\r\n2\t52\tmany\r\n",
        3,
        "weight",
    ),
    "retailrocket-wrong-type": Case(
        "retailrocket",
        "events.csv",
        b"timestamp,visitorid,event,itemid,transactionid\n1433221332117,1,view,5,\n2015-06-01,1,view,5,\n",
        3,
        "timestamp",
    ),
    "retailrocket-unknown-event": Case(
        "retailrocket",
        "events.csv",
        b"timestamp,visitorid,event,itemid,transactionid\n1,1,view,5,\n2,1,view,5,\n3,1,purchase,5,\n",
        4,
        "event",
    ),
    "retailrocket-category-not-integer": Case(
        "retailrocket",
        "item_properties_part1.csv",
        b"timestamp,itemid,property,value\n1,5,available,1\n2,5,categoryid,abc\n",
        3,
        "value",
    ),
    "rc15-wrong-type": Case(
        "rc15",
        "yoochoose-clicks.dat",
        b"1,2014-04-07T10:51:09.277Z,214536502,0\n1,yesterday,214536500,0\n",
        2,
        "Timestamp",
    ),
    "recbole-wrong-type": Case(
        "recbole",
        "ml-100k.inter",
        b"user_id:token\titem_id:token\trating:float\ttimestamp:float\n1\t2\t3\t4\n1\t2\tx\t4\n",
        3,
        "rating:float",
    ),
    "otto-wrong-type": Case(
        "otto",
        "train.jsonl",
        b'{"session":0,"events":[{"aid":1,"ts":"1659304800025","type":"clicks"}]}\n',
        1,
        "events[0].ts",
    ),
    "otto-unknown-type": Case(
        "otto",
        "train.jsonl",
        (OTTO_OK + '{"session":1,"events":[{"aid":5,"ts":1,"type":"views"}]}\n').encode(),
        2,
        "events[0].type",
    ),
    "generic-wrong-type": Case(
        "generic", "log.csv", b"visitor,when_ms,sku,action\nu,1,A,view\nu,soon,B,view\n", 3, "when_ms"
    ),
    # empty file
    "movielens-empty": Case("movielens", "movies.csv", b"", 1, None),
    "movielens-header-only": Case(
        "movielens", "ratings.csv", b"userId,movieId,rating,timestamp\r\n", 2, None
    ),
    "movielens-1m-empty": Case("movielens_1m", "ratings.dat", b"", 1, None),
    "otto-empty": Case("otto", "train.jsonl", b"", 1, None),
    "lastfm-empty": Case("lastfm", "user_artists.dat", b"", 1, None),
    "retailrocket-empty": Case("retailrocket", "category_tree.csv", b"", 1, None),
    "rc15-empty": Case("rc15", "yoochoose-buys.dat", b"", 1, None),
    "recbole-empty": Case("recbole", "ml-100k.inter", b"", 1, None),
    "generic-empty": Case("generic", "log.csv", b"", 1, None),
    # non-UTF-8 byte in a UTF-8 format: line and byte column
    "movielens-not-utf8": Case(
        "movielens",
        "movies.csv",
        b"movieId,title,genres\r\n1,Toy Story (1995),Comedy\r\n2,Mis\xe9rables,Drama\r\n",
        3,
        6,
    ),
    "otto-not-utf8": Case("otto", "train.jsonl", (OTTO_OK + '{"session":1,"ev\xff').encode("latin-1"), 2, 17),
    "lastfm-not-utf8": Case(
        "lastfm", "artists.dat", b"id\tname\turl\tpictureURL\n51\tDuran\tu\tp\n52\tBj\xf6rk\tu\tp\n", 3, 6
    ),
    "retailrocket-not-utf8": Case(
        "retailrocket",
        "item_properties_part2.csv",
        b"timestamp,itemid,property,value\n1,5,888,caf\xe9\n",
        2,
        12,
    ),
    "rc15-not-utf8": Case(
        "rc15", "yoochoose-clicks.dat", b"1,2014-04-07T10:51:09.277Z,214536502,\x80\n", 1, 38
    ),
    "recbole-not-utf8": Case(
        "recbole",
        "ml-100k.item",
        b"item_id:token\tmovie_title:token_seq\n242\tKolya\n302\tL.A. Confidentia\xe9\n",
        3,
        21,
    ),
    # truncated line (too few fields)
    "movielens-truncated": Case(
        "movielens",
        "ratings.csv",
        b"userId,movieId,rating,timestamp\r\n1,1,4.0,964982703\r\n1,3,4.0",
        3,
        "timestamp",
    ),
    "movielens-1m-truncated": Case(
        "movielens_1m", "movies.dat", b"661::James (1996)::Animation\n1193::One Flew", 2, "Genres"
    ),
    # JSON columns are 1-based characters: the cut line ends at 39, the parser stops right after it
    "otto-truncated": Case("otto", "train.jsonl", (OTTO_OK + OTTO_CUT).encode(), 2, len(OTTO_CUT) + 1),
    "lastfm-truncated": Case(
        "lastfm", "user_artists.dat", b"userID\tartistID\tweight\r\n2\t51\t13883\r\n2\t52\r\n", 3, "weight"
    ),
    "retailrocket-truncated": Case(
        "retailrocket",
        "events.csv",
        b"timestamp,visitorid,event,itemid,transactionid\n1,1,view,5,\n2,1,view\n",
        3,
        "itemid",
    ),
    "rc15-truncated": Case(
        "rc15", "yoochoose-buys.dat", b"2,2014-04-07T13:57:19.373Z,214662742,1046\n", 1, "Quantity"
    ),
    "recbole-truncated": Case(
        "recbole",
        "ml-100k.inter",
        b"user_id:token\titem_id:token\trating:float\ttimestamp:float\n1\t2\t3\t4\n1\t2\t3\n",
        3,
        "timestamp:float",
    ),
    "generic-truncated": Case(
        "generic", "log.csv", b"visitor,when_ms,sku,action\nu,1,A,view\nu,2\n", 3, "sku"
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_error_names_file_line_and_column(write_dataset, case: Case) -> None:
    path = write_dataset(case.dataset)
    folder = path.parent if path.is_file() else path
    (folder / case.file).write_bytes(case.content)
    options = GENERIC_OPTIONS if case.dataset == "generic" else {}
    target = folder / "log.csv" if case.dataset == "generic" else folder
    with pytest.raises(DataFormatError) as info:
        load_dataset(FORMAT[case.dataset], target, **options)
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.path.name, err.line, err.column) == (case.file, case.line, case.column)
    message = str(err)
    assert f"{case.file}:{case.line}" in message
    if case.column is not None:
        assert (
            f"column {case.column!r}" if isinstance(case.column, str) else f"column {case.column}"
        ) in message


def test_generic_parquet_missing_column_and_null(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    pq.write_table(pa.table({"session_id": [1, 2], "ts": [1, None], "other": ["a", "b"]}), path)
    with pytest.raises(DataFormatError, match=r"log\.parquet column 'item_id': missing column") as info:
        load_dataset("generic", path)
    assert info.value.column == "item_id"
    pq.write_table(pa.table({"session_id": [1, 2], "ts": [1, None], "item_id": ["a", "b"]}), path)
    with pytest.raises(DataFormatError, match=r"log\.parquet column 'ts': row 2: empty"):
        load_dataset("generic", path)
    pq.write_table(
        pa.table({"session_id": [1, 2], "ts": ["2024-01-01T00:00:00", "nope"], "item_id": [1, 2]}), path
    )
    with pytest.raises(
        DataFormatError, match=r"log\.parquet column 'ts': row 2: expected an ISO-8601 timestamp"
    ):
        load_dataset("generic", path, ts_unit="iso")


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="ratings.csv: file not found"):
        load_dataset("movielens", tmp_path, layout="csv")
    with pytest.raises(DataFormatError, match="no MovieLens ratings file"):
        load_dataset("movielens", tmp_path)
    with pytest.raises(ValueError, match="unknown dataset format 'imdb'; known formats: generic, lastfm"):
        load_dataset("imdb", tmp_path)
    with pytest.raises(ValueError, match="unknown key movielens options.rating_min"):
        load_dataset("movielens", tmp_path, rating_min=3)


def test_error_message_layout_and_pickling(tmp_path: Path) -> None:
    import pickle

    err = DataFormatError(tmp_path / "ratings.csv", "expected a number, got 'x'", line=17, column="rating")
    text = str(err)
    assert text.startswith(
        f"{tmp_path / 'ratings.csv'}:17 column 'rating': expected a number, got 'x'. Fix the file"
    )
    again = pickle.loads(pickle.dumps(err))
    assert (again.path, again.line, again.column, str(again)) == (err.path, err.line, err.column, text)


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64])
def test_utf8_check_is_exact_across_read_boundaries(tmp_path: Path, monkeypatch, chunk: int) -> None:
    """Multi-byte characters split between reads pass; a bad byte is found at the same line/column."""
    monkeypatch.setattr(delimited, "_CHUNK", chunk)
    good = "id,name\n1,Björk\n2,日本語\n3,Ω\n".encode()
    path = tmp_path / "a.csv"
    path.write_bytes(good)
    check_bytes(path, "utf-8")
    path.write_bytes(good + b"4,ok\n5,ab\xc3(\n")
    with pytest.raises(DataFormatError) as info:
        check_bytes(path, "utf-8")
    assert (info.value.line, info.value.column) == (6, 5)


def test_arrow_and_python_engines_agree(write_dataset) -> None:
    """The pyarrow fast path and the line-by-line pass read the same values (quotes, CRLF, BOM, blanks)."""
    folder = write_dataset("movielens")
    movies = folder / "movies.csv"
    movies.write_bytes(b"\xef\xbb\xbf" + movies.read_bytes() + b"\r\n")  # BOM and a trailing blank line
    specs = {
        movies: TableSpec((Col("movieId", "int"), Col("title"), Col("genres"))),
        folder / "ratings.csv": TableSpec(
            (Col("userId", "int"), Col("rating", "float"), Col("timestamp", "int"))
        ),
    }
    for path, spec in specs.items():
        fast = read_table(path, spec)
        slow = read_table(path, spec, engine="python")
        assert fast.equals(slow), path
    rc = write_dataset("rc15") / "yoochoose-clicks.dat"
    spec = TableSpec((Col("SessionID", "int"), Col("Timestamp", "iso"), Col("Category")), header=False,
                     names=("SessionID", "Timestamp", "ItemID", "Category"), quoting=False)  # fmt: skip
    assert read_table(rc, spec).equals(read_table(rc, spec, engine="python"))
