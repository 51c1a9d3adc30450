"""Values that parse but cannot be right: non-finite numbers, ids beyond int64, out-of-range times and
ratings, deeply nested or oversized JSON, list columns in Parquet, a folder where a file belongs.

Each is an error naming the file, the line (or Parquet row) and the column, never a traceback from
pyarrow or Python, and never a silent change of meaning (a NaN rating is not a click).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from learec.platform.data.errors import SHOWN_CHARS, DataFormatError
from learec.platform.data.loaders.delimited import Col, TableSpec, read_table
from learec.platform.data.loaders.registry import load_dataset

RATINGS_HEADER = "userId,movieId,rating,timestamp\n"
MOVIES = "movieId,title,genres\n1,A,x\n"


def movielens(tmp_path: Path, rows: str) -> Path:
    folder = tmp_path / "ml"
    folder.mkdir()
    (folder / "ratings.csv").write_text(RATINGS_HEADER + "1,1,4.0,5\n" + rows)
    (folder / "movies.csv").write_text(MOVIES)
    return folder


@pytest.mark.parametrize(
    ("row", "column", "says"),
    [
        ("1,1,nan,6\n", "rating", "expected a finite number, got nan"),
        ("1,1,inf,6\n", "rating", "expected a finite number, got inf"),
        ("1,1,-1,6\n", "rating", "expected a value >= 0, got -1.0"),
        ("1,99999999999999999999,4,6\n", "movieId", "does not fit a 64-bit integer"),
        ("-9223372036854775809,1,4,6\n", "userId", "does not fit a 64-bit integer"),
        ("1,1,4,99999999999999\n", "timestamp", "a unix time in s before the year 10000"),
    ],
    ids=["nan-rating", "inf-rating", "negative-rating", "id-over-int64", "id-under-int64", "ts-year-3e6"],
)
def test_movielens_bad_values_name_line_and_column(tmp_path: Path, row: str, column: str, says: str) -> None:
    with pytest.raises(DataFormatError) as info:
        load_dataset("movielens", movielens(tmp_path, row))
    err = info.value
    assert (err.path.name, err.line, err.column) == ("ratings.csv", 3, column)
    assert says in str(err)


def test_int64_edges_still_load(tmp_path: Path) -> None:
    """The largest int64 id is an id: the check is the range, not a smaller limit."""
    raw = load_dataset("movielens", movielens(tmp_path, "1,9223372036854775807,4.5,6\n"))
    assert "9223372036854775807" in raw.events["raw_id"].to_pylist()


def test_both_engines_refuse_the_same_values(tmp_path: Path) -> None:
    """The pyarrow fast path parses 'nan' and huge ints happily; its result is checked like the slow pass."""
    path = tmp_path / "a.csv"
    spec = TableSpec((Col("x", "float", low=0.0, high=1.0), Col("n", "int")))
    for body, column in (("nan,1\n", "x"), ("2.0,1\n", "x"), ("0.5,18446744073709551616\n", "n")):
        path.write_text("x,n\n0.1,1\n" + body)
        for engine in ("auto", "python"):
            with pytest.raises(DataFormatError) as info:
                read_table(path, spec, engine=engine)
            assert (info.value.line, info.value.column) == (3, column), (body, engine)


def test_recbole_nan_rating_and_huge_time(tmp_path: Path) -> None:
    inter = tmp_path / "x.inter"
    header = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
    inter.write_text(header + "1\t2\t5\t4\n1\t3\tnan\t5\n")
    with pytest.raises(DataFormatError, match=r"x\.inter:3 column 'rating:float': expected a finite number"):
        load_dataset("recbole", inter)
    inter.write_text(header + "1\t2\t5\t1e300\n")
    with pytest.raises(DataFormatError, match=r"x\.inter:2 column 'timestamp:float': expected a unix time"):
        load_dataset("recbole", inter)


def test_lastfm_negative_play_count(tmp_path: Path) -> None:
    (tmp_path / "user_artists.dat").write_text("userID\tartistID\tweight\n1\t2\t3\n1\t4\t-5\n")
    (tmp_path / "artists.dat").write_text("id\tname\n2\tx\n4\ty\n")
    with pytest.raises(DataFormatError, match=r"user_artists\.dat:3 column 'weight': expected a value >= 0"):
        load_dataset("lastfm", tmp_path)


def test_long_csv_fields_load_and_long_values_are_cut_in_messages(tmp_path: Path) -> None:
    """A 200 kB quoted field is data (csv's 128 KiB default is no format rule); a bad value quoted in a
    message is cut to a few dozen characters."""
    path = tmp_path / "log.csv"
    long_title = "x" * 200_000
    path.write_text(f'session_id,ts,item_id\n1,1,"{long_title}"\n1,2,b\n1,later,c\n')
    with pytest.raises(DataFormatError) as info:
        load_dataset("generic", path)
    assert (info.value.line, info.value.column) == (4, "ts")  # the slow pass got past the long field
    path.write_text(f"session_id,ts,item_id\n1,{'9' * 5000}x,b\n")
    with pytest.raises(DataFormatError) as info:
        load_dataset("generic", path)
    assert len(str(info.value)) < len(str(path)) + SHOWN_CHARS + 400
    assert "(5003 characters)" in str(info.value)


OTTO_OK = '{"session":0,"events":[{"aid":1,"ts":1659304800025,"type":"clicks"}]}\n'


@pytest.mark.parametrize(
    ("line", "column", "says"),
    [
        ('{"session":1,"events":' + "[" * 100_000 + "]" * 100_000 + "}", None, "nested too deeply"),
        ('{"session":1,"events":[{"aid":' + "9" * 5000 + ',"ts":1,"type":"clicks"}]}', None, "thousands"),
        (
            '{"session":1,"events":[{"aid":99999999999999999999,"ts":1,"type":"clicks"}]}',
            "events[0].aid",
            "does not fit a 64-bit integer",
        ),
        (
            '{"session":1,"events":[{"aid":1,"ts":9223372036854775807,"type":"clicks"}]}',
            "events[0].ts",
            "before the year 10000",
        ),
        (
            '{"session":1,"events":[{"aid":1,"ts":1,"type":"' + "c" * 1_000_000 + '"}]}',
            "events[0].type",
            "(1000002 characters)",
        ),
    ],
    ids=["deeply-nested", "thousand-digit-int", "aid-over-int64", "ts-over-year-9999", "oversized-string"],
)
def test_otto_hostile_json(tmp_path: Path, line: str, column: str | None, says: str) -> None:
    (tmp_path / "train.jsonl").write_text(OTTO_OK + line + "\n")
    with pytest.raises(DataFormatError) as info:
        load_dataset("otto", tmp_path)
    err = info.value
    assert (err.path.name, err.line, err.column) == ("train.jsonl", 2, column)
    assert says in str(err)
    assert len(str(err)) < 600  # an oversized value is never echoed whole


def write_parquet(tmp_path: Path, **columns: pa.Array | list) -> Path:
    path = tmp_path / "log.parquet"
    base = {"session_id": [1, 2], "ts": [1, 2], "item_id": [10, 20]}
    pq.write_table(pa.table({**base, **columns}), path)
    return path


@pytest.mark.parametrize(
    ("columns", "options", "column", "says"),
    [
        ({"item_id": [[1, 2], [3]]}, {}, "item_id", "holds list<element: int64> values"),
        ({"session_id": pa.array([{"a": 1}, {"a": 2}])}, {}, "session_id", "holds struct"),
        (
            {"session_id": pa.array([1, 2**64 - 1], pa.uint64())},
            {},
            "session_id",
            "row 2: the value does not fit",
        ),
        ({"ts": [1.0, float("nan")]}, {}, "ts", "row 2: expected a finite number"),
        ({"ts": [1.0, 1e300]}, {}, "ts", "row 2: expected a unix time in s"),
        ({"ts": [1, 10**15]}, {"ts_unit": "ms"}, "ts", "row 2: expected a unix time in ms"),
        ({"ts": pa.array([1, 10**13], pa.timestamp("s"))}, {"ts_unit": "iso"}, "ts", "years 1677-2262"),
    ],
    ids=[
        "list-items",
        "struct-sessions",
        "uint64-beyond-int64",
        "nan-time",
        "huge-time",
        "huge-ms",
        "far-timestamp",
    ],
)
def test_generic_parquet_bad_columns(
    tmp_path: Path, columns: dict, options: dict, column: str, says: str
) -> None:
    path = write_parquet(tmp_path, **columns)
    with pytest.raises(DataFormatError) as info:
        load_dataset("generic", path, **options)
    assert (info.value.path.name, info.value.column) == ("log.parquet", column)
    assert says in str(info.value)


def test_folder_where_a_file_is_expected(tmp_path: Path) -> None:
    (tmp_path / "log.csv").mkdir()
    with pytest.raises(DataFormatError, match=r"log\.csv: is a folder, expected a file"):
        load_dataset("generic", tmp_path / "log.csv")
    (tmp_path / "log.parquet").mkdir()
    with pytest.raises(DataFormatError, match=r"log\.parquet: is a folder, expected a file"):
        load_dataset("generic", tmp_path / "log.parquet")
    otto = tmp_path / "otto"
    (otto / "train.jsonl").mkdir(parents=True)
    with pytest.raises(DataFormatError, match=r"train\.jsonl: is a folder, expected a file"):
        load_dataset("otto", otto)
