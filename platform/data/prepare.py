"""Raw logs -> a prepared data folder: sessions, filters, split, train-only vocabulary, transitions.

``prepare(raw, config, out_dir)`` writes, all at once (the folder appears complete or not at all)::

    out_dir/items.parquet                     schema.ITEMS, dense item_id order (the vocabulary)
    out_dir/events/{train,val,test}.parquet   schema.EVENTS, sorted by session, ts
    out_dir/transitions/{train,val,test}.parquet   schema.transitions_schema(state_len)
    out_dir/item_popularity.npy               [n_items] int64 training events per dense item
    out_dir/stats.json                        sizes, counts per split, unseen items, config, source

Steps: stable sort by (session, ts); cut user-level logs into sessions at ``session_gap_s``; keep each
session's last ``max_session_len`` events; drop short sessions, then rare items; split; fit the vocabulary
on train; remove (and count) val/test events whose item is unseen in train; build transitions.

Leave-one-out: the unit is the sequence (session, or user for user-level logs, which are then not cut);
``events/val`` and ``events/test`` hold only the target events, and their transitions' states use the
sequence's full preceding history (train and val events included). Every transitions file has exactly one
row per event of the same split, in the same order.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from learec.platform.common import atomic, outputs
from learec.platform.common.fields import Checked, opt, to_dict
from learec.platform.data import preprocess, schema, splits
from learec.platform.data.raw import RawLogs
from learec.platform.data.transitions import build_transitions
from learec.platform.data.vocab import Vocabulary

log = logging.getLogger(__name__)

STATS_FILE = "stats.json"
ITEMS_FILE = "items.parquet"
POPULARITY_FILE = "item_popularity.npy"
PREPARE_HINT = "run `learec data prepare` first"


@dataclass(frozen=True)
class PrepConfig(Checked):
    """Preprocessing, split and transitions; defaults follow the SQN protocol (LEA.md §6-7)."""

    min_session_len: int = opt(
        3, "drop sessions with fewer events (SQN keeps sessions with > 2 events)", ge=1
    )
    min_item_count: int = opt(3, "drop items with fewer events (SQN: > 2), counted before the split", ge=1)
    filter_until_stable: bool = opt(
        False, "repeat the session and item filters until nothing changes (SQN applies each once)"
    )
    session_gap_s: int = opt(
        86400,
        "user-level logs only (MovieLens): a gap longer than this many seconds starts a new session; "
        "1 day suits rating logs (30 min is the web-click convention); not applied for leave_one_out",
        ge=1,
    )
    max_session_len: int | None = opt(
        50,
        "keep only each session's last N events (long bot-like sessions dominate otherwise); null keeps all",
        ge=1,
        le=1_000_000,
    )
    split: Literal["random", "temporal", "leave_one_out"] = opt(
        "random",
        "random: sessions at random (SQN); temporal: by session start time (no train session starts "
        "after a test one; sessions may still overlap in time); "
        "leave_one_out: last event test, second-to-last val, per session or user",
    )
    split_ratios: tuple[float, ...] = opt((0.8, 0.1, 0.1), "train, val, test shares (random and temporal)")
    seed: int = opt(0, "seed of the random split")
    state_len: int = opt(10, "L: items kept in a state (SQN state_size)", ge=1, le=1000)
    reward_click: float = opt(0.2, "reward of a click")
    reward_purchase: float = opt(
        1.0, "reward of a purchase (evaluation tells purchases by is_buy, not reward)"
    )

    def __post_init__(self) -> None:
        super().__post_init__()  # declared bounds (opt ge/le)
        if self.split not in splits.SPLIT_METHODS:
            raise ValueError(f"split must be one of {sorted(splits.SPLIT_METHODS)}, got {self.split!r}")
        r = self.split_ratios
        if (
            len(r) != 3
            or any(not math.isfinite(x) or x < 0 for x in r)
            or abs(sum(r) - 1.0) > 1e-6
            or r[0] <= 0
        ):
            raise ValueError(
                f"split_ratios must be 3 non-negative shares (train > 0) summing to 1, got {list(r)}"
            )
        for name in ("reward_click", "reward_purchase"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number, got {getattr(self, name)}")


@dataclass(frozen=True)
class PreparedData:
    """A prepared data folder (see the module docstring); tables are read on demand."""

    root: Path
    n_items: int
    state_len: int
    stats: dict[str, Any]

    @property
    def pad_id(self) -> int:
        return self.n_items

    @property
    def items_path(self) -> Path:
        return self.root / ITEMS_FILE

    @property
    def popularity_path(self) -> Path:
        return self.root / POPULARITY_FILE

    def events_path(self, split: str) -> Path:
        return self.root / "events" / f"{_check_split(split)}.parquet"

    def transitions_path(self, split: str) -> Path:
        return self.root / "transitions" / f"{_check_split(split)}.parquet"

    def transitions(self, split: str) -> pa.Table:
        return pq.read_table(self.transitions_path(split)).cast(schema.transitions_schema(self.state_len))

    def events(self, split: str) -> pa.Table:
        return pq.read_table(self.events_path(split)).cast(schema.EVENTS)

    def items(self) -> pa.Table:
        return pq.read_table(self.items_path).cast(schema.ITEMS)

    def popularity(self) -> np.ndarray:
        """[n_items] int64: training events per dense item (popularity baseline, SA2C's IPS)."""
        return np.load(self.popularity_path, allow_pickle=False)

    def raw_ids(self) -> list[str]:
        """Raw item id of each dense id, in dense order (the vocabulary export and serving use)."""
        return pq.read_table(self.items_path, columns=[schema.RAW_ID]).column(schema.RAW_ID).to_pylist()


def _check_split(split: str) -> str:
    if split not in splits.SPLITS:
        raise ValueError(f"split must be one of {list(splits.SPLITS)}, got {split!r}")
    return split


def prepare(
    raw: RawLogs, config: PrepConfig, out_dir: Path, progress: Callable[[str], None] | None = None
) -> PreparedData:
    """Turn ``raw`` into a prepared folder at ``out_dir`` (replaced as a whole, atomically)."""
    out_dir = Path(out_dir)
    outputs.check_replaceable(out_dir, "prepared-data")  # before the work; atomic_path checks again

    def say(message: str) -> None:
        log.info("%s", message)
        if progress is not None:
            progress(message)

    where = raw.source or "raw logs"
    say(f"sorting {raw.events.num_rows:,} events from {where}")
    ev = preprocess.from_raw(raw.events, f"{where} events")
    n_raw = len(ev)
    loo = config.split == "leave_one_out"
    if raw.user_level and not loo:
        ev = preprocess.cut_sessions(ev, config.session_gap_s)
        say(f"cut user histories into sessions at {config.session_gap_s} s gaps")
    n_cut_sessions = int(preprocess.session_starts(ev.session).sum())
    before = len(ev)
    ev = preprocess.truncate_sessions(ev, config.max_session_len)
    n_truncated = before - len(ev)
    ev, filtered = preprocess.filter_min_counts(
        ev, config.min_session_len, config.min_item_count, config.filter_until_stable
    )
    if not len(ev):
        raise ValueError(
            f"{where}: no events left after filtering (min_session_len={config.min_session_len}, "
            f"min_item_count={config.min_item_count}); lower the minimums or supply more data"
        )
    say(f"{len(ev):,} events kept; splitting ({config.split})")
    label = splits.assign_splits(
        config.split, ev.session, ev.ts, config.split_ratios, np.random.default_rng(config.seed)
    )
    train_codes = np.flatnonzero(np.bincount(ev.item[label == splits.TRAIN], minlength=len(ev.names)))
    if not len(train_codes):
        raise ValueError(f"{where}: the {config.split} split left no training events; use more data")
    vocab = Vocabulary.fit(ev.names.take(pa.array(train_codes)))
    dense = vocab.encode(ev.names)[ev.item]  # [N] -1 where unseen in train
    unseen = dense < 0
    split_stats: dict[str, dict[str, int]] = {}
    for k, name in enumerate(splits.SPLITS):
        mask = unseen & (label == k)
        split_stats[name] = {"unseen_events": int(mask.sum()), "unseen_items": len(np.unique(ev.item[mask]))}
    seen = ~unseen
    say(f"vocabulary: {vocab.n_items:,} items; {int(unseen.sum()):,} unseen val/test events dropped")
    ev, dense, label = ev.take(seen), dense[seen], label[seen]

    events = preprocess.to_events_table(ev.session, ev.ts, dense, ev.is_buy)
    say(f"building transitions (state_len={config.state_len})")
    transitions = build_transitions(
        events, vocab.n_items, config.state_len, config.reward_click, config.reward_purchase
    )
    popularity = np.bincount(dense[label == splits.TRAIN], minlength=vocab.n_items).astype(np.int64)

    by_split = {}
    for k, name in enumerate(splits.SPLITS):
        mask = pa.array(label == k)
        by_split[name] = (events.filter(mask), transitions.filter(mask))
        split_events = by_split[name][0]
        buys = int(ev.is_buy[label == k].sum())
        split_stats[name].update(
            sessions=_n_runs(ev.session[label == k]),
            events=split_events.num_rows,
            clicks=split_events.num_rows - buys,
            purchases=buys,
            transitions=by_split[name][1].num_rows,
        )
    stats = {
        "n_items": vocab.n_items,
        "pad_id": vocab.pad_id,
        "state_len": config.state_len,
        "reward_click": config.reward_click,
        "reward_purchase": config.reward_purchase,
        "splits": split_stats,
        "preprocess": {
            "raw_events": n_raw,
            "sessions_after_cut": n_cut_sessions,
            "truncated_events": n_truncated,
            "filter_passes": filtered.passes,
            "dropped_short_session_events": filtered.dropped_short_session_events,
            "dropped_rare_item_events": filtered.dropped_rare_item_events,
        },
        "config": to_dict(config),
        "source": raw.source,
        "user_level": raw.user_level,
    }

    say(f"writing {out_dir}")
    with atomic.atomic_path(out_dir, kind="prepared-data") as tmp:
        (tmp / "events").mkdir(parents=True)
        (tmp / "transitions").mkdir()
        pq.write_table(vocab.items_table(raw.items), tmp / ITEMS_FILE)
        for name, (split_events, split_transitions) in by_split.items():
            pq.write_table(split_events, tmp / "events" / f"{name}.parquet")
            # state lists have too many distinct values for dictionary pages: plain + zstd is ~2x
            # smaller and ~1.5x faster to write than the defaults
            pq.write_table(
                split_transitions,
                tmp / "transitions" / f"{name}.parquet",
                use_dictionary=False,
                compression="zstd",
            )
        np.save(tmp / POPULARITY_FILE, popularity, allow_pickle=False)
        (tmp / STATS_FILE).write_text(json.dumps(stats, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return PreparedData(out_dir, vocab.n_items, config.state_len, stats)


def _n_runs(sorted_values: np.ndarray) -> int:
    """Distinct values of a sorted array in O(n) (sessions of one split: rows stay sorted by session)."""
    return int(len(sorted_values) > 0) + int(np.count_nonzero(sorted_values[1:] != sorted_values[:-1]))


def load_prepared(root: Path) -> PreparedData:
    """Open a folder written by :func:`prepare`, checking that every file exists and has the right schema."""
    root = Path(root)
    stats_path = root / STATS_FILE
    if not stats_path.is_file():
        raise ValueError(f"{stats_path} not found: {PREPARE_HINT}")
    try:
        stats = json.loads(stats_path.read_text(encoding="utf-8"))
        n_items, state_len = int(stats["n_items"]), int(stats["state_len"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{stats_path} is unreadable ({exc}); {PREPARE_HINT}") from None
    data = PreparedData(root, n_items, state_len, stats)

    def require(path: Path, expected: pa.Schema | None = None) -> None:
        if not path.is_file():
            raise ValueError(f"{path} not found: {PREPARE_HINT}")
        if expected is not None:
            schema.check_columns(pq.read_schema(path), expected, str(path))

    require(data.items_path, schema.ITEMS)
    if pq.read_metadata(data.items_path).num_rows != n_items:
        raise ValueError(
            f"{data.items_path} does not hold n_items={n_items} rows from {stats_path}; {PREPARE_HINT}"
        )
    transitions_schema = schema.transitions_schema(state_len)
    for split in splits.SPLITS:
        require(data.events_path(split), schema.EVENTS)
        require(data.transitions_path(split), transitions_schema)
        got = pq.read_schema(data.transitions_path(split)).field(schema.STATE).type
        if getattr(got, "list_size", state_len) != state_len:
            raise ValueError(
                f"{data.transitions_path(split)}: states of length {got.list_size}, "
                f"stats.json says state_len={state_len}; {PREPARE_HINT}"
            )
    require(data.popularity_path)
    shape = np.load(data.popularity_path, mmap_mode="r", allow_pickle=False).shape
    if shape != (n_items,):
        raise ValueError(f"{data.popularity_path} has shape {shape}, expected ({n_items},); {PREPARE_HINT}")
    return data
