"""MovieLens ratings -> RawLogs, for the three GroupLens layouts (detected by the files present).

Layouts:

- ``csv`` (latest, latest-small, 20M, 25M): ``ratings.csv`` (``userId,movieId,rating,timestamp``),
  ``movies.csv`` (``movieId,title,genres``; titles with commas are double-quoted), optional ``tags.csv``
  (``userId,movieId,tag,timestamp``). Header row, UTF-8, comma-separated, CSV quoting.
- ``1m`` (1M, 10M): ``ratings.dat`` (``UserID::MovieID::Rating::Timestamp``), ``movies.dat``
  (``MovieID::Title::Genres``), optional ``tags.dat`` (``UserID::MovieID::Tag::Timestamp``, 10M). No
  header, ``::``-separated, no quoting. The 1M files are Latin-1 (ISO-8859-1), not UTF-8, so they are
  decoded as Latin-1 unless the ``encoding`` option says otherwise.
- ``100k``: ``u.data`` (``user item rating timestamp``, tab-separated, no header) and ``u.item``
  (pipe-separated, Latin-1: ``id|title|release date|video release date|IMDb URL`` then 19 0/1 genre
  flags in the order of ``u.genre``).

Mapping: one event per rating; ``session_id`` = user id (``user_level=True``, preprocessing cuts
sessions by time gap); ``ts`` = timestamp (already unix seconds); ``raw_id`` = movie id;
``event`` = ``purchase`` if rating >= ``purchase_min_rating`` (default 4) else ``click``. Ties in time keep
file order. Item text is ``"<title>. Genres: A, B. Tags: t1, t2"``: genres without the
``(no genres listed)``/``unknown`` placeholder; tags deduplicated case-insensitively, most frequent first,
at most ``max_tags``, optionally only those made before ``tags_before`` so the text does not leak a test
period. Items are every movie in the movies file plus any rated movie missing from it.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from learec.platform.common.fields import opt
from learec.platform.data import schema
from learec.platform.data.errors import DataFormatError
from learec.platform.data.loaders import common
from learec.platform.data.loaders.delimited import Col, Kind, TableSpec, read_table, time_col
from learec.platform.data.raw import RawLogs

log = logging.getLogger(__name__)

Layout = Literal["auto", "csv", "1m", "100k"]
GENRES_100K = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip
_NO_GENRE = {"(no genres listed)", "unknown", ""}
_LAYOUT_FILES = {"csv": "ratings.csv", "1m": "ratings.dat", "100k": "u.data"}


@dataclass(frozen=True)
class MovieLensOptions:
    layout: Layout = opt(
        "auto", "file layout: auto (by files present), csv (latest/25m), 1m (::), 100k (u.data)"
    )
    purchase_min_rating: float = opt(
        4.0, "a rating >= this is a purchase-like event; lower ratings are clicks"
    )
    use_tags: bool = opt(True, "add user tags (tags.csv / tags.dat) to the item text")
    max_tags: int = opt(10, "most frequent distinct tags kept per movie")
    tags_before: int | None = opt(
        None, "keep only tags made before this unix time (no leak into a test period)"
    )
    encoding: str | None = opt(None, "text encoding; default utf-8 for csv, latin-1 for 1m and 100k")

    def __post_init__(self) -> None:
        if self.max_tags < 0:
            raise ValueError(f"max_tags must be >= 0, got {self.max_tags}")


def detect_layout(folder: Path) -> str:
    """The layout whose ratings file is in ``folder``."""
    for layout, name in _LAYOUT_FILES.items():
        if (folder / name).is_file():
            return layout
    raise DataFormatError(
        folder,
        "no MovieLens ratings file found (expected ratings.csv, ratings.dat or u.data)",
        hint="Pass the folder that holds the unpacked MovieLens files.",
    )


def load_movielens(path: Path, options: MovieLensOptions = MovieLensOptions()) -> RawLogs:
    """MovieLens ratings as user-level raw logs; see the module docstring for the mapping."""
    folder = Path(path)
    folder = folder.parent if folder.is_file() else folder
    layout = detect_layout(folder) if options.layout == "auto" else options.layout
    encoding = options.encoding or ("utf-8" if layout == "csv" else "latin-1")
    if layout == "csv":
        ratings, movies, tags = _read_csv_layout(folder, encoding, options.use_tags)
    elif layout == "1m":
        ratings, movies, tags = _read_dat_layout(folder, encoding, options.use_tags)
    else:
        ratings, movies, tags = _read_100k_layout(folder, encoding)

    purchase = pc.greater_equal(ratings["rating"], options.purchase_min_rating)
    event = pc.if_else(purchase, schema.PURCHASE, schema.CLICK)
    events = common.raw_events(ratings["user"], ratings["ts"], ratings["movie"].cast(pa.string()), event)

    movie_tags = _top_tags(tags, options) if tags is not None else {}
    ids = movies["movie"].cast(pa.string()).to_pylist()
    titles = movies["title"].to_pylist()
    texts = [
        item_text(title, genres, movie_tags.get(mid, []))
        for mid, title, genres in zip(ids, titles, movies["genres"].to_pylist(), strict=True)
    ]
    items = common.unique_items(common.items_table(ids, titles, texts))
    items = common.complete_items(items, events, lambda i: f"movie {i}", lambda i: f"movie {i}")
    log.info(
        "movielens %s layout from %s: %d ratings, %d items", layout, folder, events.num_rows, items.num_rows
    )
    return RawLogs(events=events, items=items, user_level=True, source=f"movielens:{folder}")


def item_text(title: str, genres: list[str], tags: list[str]) -> str:
    """``"<title>. Genres: A, B. Tags: t1, t2"``, leaving out empty parts."""
    parts = [title.strip()]
    genres = [g for g in genres if g not in _NO_GENRE]
    if genres:
        parts.append("Genres: " + ", ".join(genres))
    if tags:
        parts.append("Tags: " + ", ".join(tags))
    return ". ".join(parts)


def _top_tags(tags: pa.Table, options: MovieLensOptions) -> dict[str, list[str]]:
    """Per movie: distinct tags (case-insensitive, first spelling kept), most frequent first."""
    if options.tags_before is not None:
        tags = tags.filter(pc.less(tags["ts"], options.tags_before))
    counts: dict[str, Counter[str]] = {}
    spelling: dict[tuple[str, str], str] = {}
    for movie, tag in zip(tags["movie"].cast(pa.string()).to_pylist(), tags["tag"].to_pylist(), strict=True):
        clean = " ".join(tag.split())
        if not clean:
            continue
        key = clean.lower()
        spelling.setdefault((movie, key), clean)
        counts.setdefault(movie, Counter())[key] += 1  # Counter keeps first-seen order among equal counts
    return {
        movie: [spelling[(movie, key)] for key, _ in c.most_common(options.max_tags)]
        for movie, c in counts.items()
    }


def _ratings_table(table: pa.Table, user: str, movie: str, rating: str, ts: str) -> pa.Table:
    return pa.table({"user": table[user], "movie": table[movie], "rating": table[rating], "ts": table[ts]})


def _read_csv_layout(
    folder: Path, encoding: str, use_tags: bool
) -> tuple[pa.Table, pa.Table, pa.Table | None]:
    ratings = read_table(
        folder / "ratings.csv",
        TableSpec(
            (Col("userId", "int"), Col("movieId", "int"), rating_col("rating"), time_col("timestamp")),
            encoding=encoding,
        ),
    )
    movies = read_table(
        folder / "movies.csv",
        TableSpec((Col("movieId", "int"), Col("title"), Col("genres")), encoding=encoding),
    )
    tags = None
    if use_tags and (folder / "tags.csv").is_file():
        t = read_table(
            folder / "tags.csv",
            TableSpec((Col("movieId", "int"), Col("tag"), time_col("timestamp")), encoding=encoding),
        )
        tags = pa.table({"movie": t["movieId"], "tag": t["tag"], "ts": t["timestamp"]})
    genres = [g.split("|") for g in movies["genres"].to_pylist()]
    movies = pa.table({"movie": movies["movieId"], "title": movies["title"], "genres": pa.array(genres)})
    return _ratings_table(ratings, "userId", "movieId", "rating", "timestamp"), movies, tags


def rating_col(name: str, kind: Kind = "float") -> Col:
    """A rating: a finite number >= 0 (a NaN or negative rating would silently become a click)."""
    return Col(name, kind, low=0)


_RANGED = {"Rating": rating_col, "Timestamp": time_col, "rating": rating_col, "timestamp": time_col}


def _dat(names: tuple[str, ...], kinds: dict[str, Kind], encoding: str) -> TableSpec:
    return TableSpec(
        tuple(_RANGED.get(n, Col)(n, kinds[n]) for n in names if n in kinds),
        delimiter="::",
        header=False,
        names=names,
        quoting=False,
        encoding=encoding,
    )


def _read_dat_layout(
    folder: Path, encoding: str, use_tags: bool
) -> tuple[pa.Table, pa.Table, pa.Table | None]:
    r_names = ("UserID", "MovieID", "Rating", "Timestamp")
    ratings = read_table(
        folder / "ratings.dat",
        _dat(r_names, {"UserID": "int", "MovieID": "int", "Rating": "float", "Timestamp": "int"}, encoding),
    )
    movies = read_table(
        folder / "movies.dat",
        _dat(("MovieID", "Title", "Genres"), {"MovieID": "int", "Title": "str", "Genres": "str"}, encoding),
    )
    tags = None
    if use_tags and (folder / "tags.dat").is_file():
        t_names = ("UserID", "MovieID", "Tag", "Timestamp")
        t = read_table(
            folder / "tags.dat", _dat(t_names, {"MovieID": "int", "Tag": "str", "Timestamp": "int"}, encoding)
        )
        tags = pa.table({"movie": t["MovieID"], "tag": t["Tag"], "ts": t["Timestamp"]})
    genres = [g.split("|") for g in movies["Genres"].to_pylist()]
    movies = pa.table({"movie": movies["MovieID"], "title": movies["Title"], "genres": pa.array(genres)})
    return _ratings_table(ratings, "UserID", "MovieID", "Rating", "Timestamp"), movies, tags


def _read_100k_layout(folder: Path, encoding: str) -> tuple[pa.Table, pa.Table, None]:
    r_names = ("user_id", "item_id", "rating", "timestamp")
    ratings = read_table(
        folder / "u.data",
        TableSpec(
            tuple(_RANGED.get(n, Col)(n, "int") for n in r_names),
            delimiter="\t",
            header=False,
            names=r_names,
            quoting=False,
            encoding=encoding,
        ),
    )
    genre_names = _genre_names_100k(folder, encoding)
    i_names = ("movie_id", "title", "release_date", "video_release_date", "imdb_url", *genre_names)
    items = read_table(
        folder / "u.item",
        TableSpec(
            (Col("movie_id", "int"), Col("title"), *(Col(g, "int") for g in genre_names)),
            delimiter="|",
            header=False,
            names=i_names,
            quoting=False,
            encoding=encoding,
        ),
    )
    flags = [items[g].to_pylist() for g in genre_names]
    genres = [[g for g, f in zip(genre_names, row, strict=True) if f] for row in zip(*flags, strict=True)]
    movies = pa.table({"movie": items["movie_id"], "title": items["title"], "genres": pa.array(genres)})
    table = _ratings_table(ratings, "user_id", "item_id", "rating", "timestamp")
    return table.set_column(2, "rating", table["rating"].cast(pa.float64())), movies, None


def _genre_names_100k(folder: Path, encoding: str) -> tuple[str, ...]:
    """Genre names in flag order: from ``u.genre`` (``name|index``) when present, else the documented list."""
    path = folder / "u.genre"
    if not path.is_file():
        return GENRES_100K
    t = read_table(
        path,
        TableSpec(
            (Col("name"), Col("index", "int")),
            delimiter="|",
            header=False,
            names=("name", "index"),
            quoting=False,
            encoding=encoding,
        ),
    )
    order = pc.sort_indices(t["index"])
    return tuple(t.take(order)["name"].to_pylist())
