"""Last.fm HetRec 2011 (hetrec2011-lastfm-2k) -> RawLogs of PSEUDO-sequences.

Files (tab-separated, one header line, no quoting; line ends LF or CRLF):
``user_artists.dat`` (``userID  artistID  weight``; weight = total play count) and ``artists.dat``
(``id  name  url  pictureURL``; UTF-8).

Last.fm HetRec has **no event times**: ``user_artists.dat`` gives one play count per (user, artist) and
says nothing about order. Mapping: to feed sequence models anyway, each user becomes one pseudo-session
(``user_level=False``) holding one ``click`` per artist, ordered by play count descending (ties: file
order, i.e. artist id), with a synthetic ``ts`` = rank position 0, 1, 2, ... This order is made up, not
observed: results on it are pseudo-sequential and must never be reported as sequential recommendation
results. There is no purchase signal, so every row is a click. Item title and text are the artist name
(tags cannot be joined to artists without ``user_taggedartists.dat``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from learec.platform.common.fields import opt
from learec.platform.data import schema
from learec.platform.data.loaders import common
from learec.platform.data.loaders.delimited import Col, TableSpec, read_table
from learec.platform.data.raw import RawLogs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LastfmOptions:
    min_weight: int = opt(1, "drop (user, artist) pairs with a play count below this")

    def __post_init__(self) -> None:
        if self.min_weight < 0:
            raise ValueError(f"min_weight must be >= 0, got {self.min_weight}")


def load_lastfm(path: Path, options: LastfmOptions = LastfmOptions()) -> RawLogs:
    """Last.fm pseudo-sequences (one per user, by play count); see the module docstring."""
    folder = Path(path)
    folder = folder.parent if folder.is_file() else folder
    plays = read_table(
        folder / "user_artists.dat",
        TableSpec(
            (Col("userID", "int"), Col("artistID", "int"), Col("weight", "int", low=0)),
            delimiter="\t",
            quoting=False,
        ),
    )
    artists = read_table(
        folder / "artists.dat",
        TableSpec((Col("id", "int"), Col("name")), delimiter="\t", quoting=False),
    )
    user = plays["userID"].to_numpy()
    weight = plays["weight"].to_numpy()
    keep = weight >= options.min_weight
    user, weight = user[keep], weight[keep]
    artist = plays["artistID"].to_numpy()[keep]
    order = np.lexsort((-weight, user))  # stable: by user, then play count descending, ties in file order
    user, artist = user[order], artist[order]
    starts = np.r_[0, np.flatnonzero(np.diff(user)) + 1]  # first row of each user
    rank = np.arange(len(user)) - np.repeat(starts, np.diff(np.r_[starts, len(user)]))  # 0.. per user
    events = common.raw_events(
        pa.array(user, pa.int64()),
        pa.array(rank, pa.int64()),
        pa.array(artist.astype(str)),
        pa.array(np.full(len(user), schema.CLICK)),
        sort=False,
    )
    ids = artists["id"].cast(pa.string())
    names = artists["name"]
    items = common.unique_items(common.items_table(ids, names, names))
    items = common.complete_items(items, events, lambda i: f"artist {i}", lambda i: f"artist {i}")
    log.info("lastfm %s: %d pseudo-sequential clicks, %d artists", folder, events.num_rows, items.num_rows)
    return RawLogs(events=events, items=items, user_level=False, source=f"lastfm:{folder}")
