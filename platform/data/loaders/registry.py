"""Every dataset format by name: its load function, its options dataclass and a one-line description.

``load_dataset("movielens", "data/ml-latest-small", purchase_min_rating=4.5)`` builds the options with
:func:`learec.platform.common.fields.from_dict` (unknown or mistyped options are errors naming the key)
and returns :class:`~learec.platform.data.raw.RawLogs`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from learec.platform.common.fields import from_dict
from learec.platform.data.loaders.generic import GenericOptions, load_generic
from learec.platform.data.loaders.lastfm import LastfmOptions, load_lastfm
from learec.platform.data.loaders.movielens import MovieLensOptions, load_movielens
from learec.platform.data.loaders.otto import OttoOptions, load_otto
from learec.platform.data.loaders.rc15 import Rc15Options, load_rc15
from learec.platform.data.loaders.recbole import RecboleOptions, load_recbole
from learec.platform.data.loaders.retailrocket import RetailRocketOptions, load_retailrocket
from learec.platform.data.raw import RawLogs


class LoaderSpec(NamedTuple):
    name: str
    load: Callable[[Path, Any], RawLogs]
    options: type
    description: str


LOADERS: dict[str, LoaderSpec] = {
    spec.name: spec
    for spec in (
        LoaderSpec(
            "retailrocket", load_retailrocket, RetailRocketOptions,
            "RetailRocket events.csv + item properties: view->click, addtocart->purchase, drops transactions",
        ),
        LoaderSpec(
            "rc15", load_rc15, Rc15Options,
            "RecSys 2015 YooChoose clicks/buys .dat files: clicks->click, buys->purchase",
        ),
        LoaderSpec(
            "movielens", load_movielens, MovieLensOptions,
            "MovieLens latest/25m csv, 1M ::, 100K u.data: rating >= 4 -> purchase, else click; per user",
        ),
        LoaderSpec(
            "otto", load_otto, OttoOptions,
            "OTTO sessions JSON Lines: clicks->click, carts/orders->purchase, ms -> s",
        ),
        LoaderSpec(
            "recbole", load_recbole, RecboleOptions,
            "RecBole atomic .inter/.item files: session or user token, event or rating >= 4 -> purchase",
        ),
        LoaderSpec(
            "lastfm", load_lastfm, LastfmOptions,
            "Last.fm HetRec user_artists.dat: PSEUDO-sequences by play count, all clicks, artist names",
        ),
        LoaderSpec(
            "generic", load_generic, GenericOptions,
            "any CSV/Parquet event log by column mapping, optional items file",
        ),
    )
}  # fmt: skip


def loader_spec(fmt: str) -> LoaderSpec:
    spec = LOADERS.get(fmt)
    if spec is None:
        raise ValueError(f"unknown dataset format {fmt!r}; known formats: {', '.join(sorted(LOADERS))}")
    return spec


def loader_options(fmt: str, options: Mapping[str, Any], where: str = "") -> Any:
    """``options`` as format ``fmt``'s options dataclass; unknown or mistyped options name the key."""
    return from_dict(loader_spec(fmt).options, options, where=where or f"{fmt} options")


def load_dataset(fmt: str, path: str | Path, **options: Any) -> RawLogs:
    """Load ``path`` in format ``fmt`` with ``options`` (fields of that format's options dataclass)."""
    return loader_spec(fmt).load(Path(path), loader_options(fmt, options))
