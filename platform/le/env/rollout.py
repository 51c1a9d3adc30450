"""Generated trajectories: sessions played in the LE environment, written as events and transitions.

A rollout folder (output kind ``le-rollout``; :class:`GeneratedData` is its one reader)::

    events.parquet        schema.EVENTS: the generated events only (session ids 0..N-1; ts = position in
                          the session, counting the logged start history)
    transitions.parquet   schema.transitions_schema(L): one row per generated event, built by the same
                          ``build_transitions`` as the logs, so states include the logged start history and
                          rewards are prep's click/purchase rewards
    rollout.json          behaviour, LE checkpoint hash, data folder, env config, calibration, counts and the
                          behaviour's metrics in the LE

Each session starts from a logged training state (its items become click events that only feed the
states: no row is emitted for them). Every step is a click event on the clicked item; a bought item is,
as in the logs (``Calibration.purchase_event``), either a second, purchase event on the same item
(``extra``) or the click event itself marked as a purchase (``replace``). Any offline algorithm trains on
the transitions unchanged.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from learec.platform.common import atomic, outputs
from learec.platform.common.fields import to_dict
from learec.platform.data import schema
from learec.platform.data.preprocess import to_events_table
from learec.platform.data.transitions import build_transitions
from learec.platform.le.env.play import Played, play, play_metrics
from learec.platform.le.env.world import LEWorld

log = logging.getLogger(__name__)

KIND = "le-rollout"
EVENTS_FILE, TRANSITIONS_FILE, INFO_FILE = "events.parquet", "transitions.parquet", "rollout.json"
ROLLOUT_HINT = "write one with `learec le rollout`"


def played_events(played: Played, world: LEWorld) -> tuple[pa.Table, np.ndarray]:
    """All events of the played sessions, logged start history included, and ``[E]`` bool: generated."""
    pad = world.pad_id
    extra = world.calibration.purchase_event == "extra"
    rows, cols = np.nonzero(played.start_states != pad)  # history items, oldest first (left padding)
    n_prefix, n_steps = len(rows), played.n_steps
    second = np.flatnonzero(played.bought) if extra else np.zeros(0, dtype=np.int64)
    session = np.concatenate([rows, played.session, played.session[second]])
    phase = np.concatenate([np.zeros(n_prefix), np.ones(n_steps + len(second))])
    order_in_phase = np.concatenate([cols, played.step, played.step[second]])
    sub = np.concatenate([np.zeros(n_prefix + n_steps), np.ones(len(second))])  # the purchase after its click
    item = np.concatenate([played.start_states[rows, cols], played.clicked, played.clicked[second]])
    buy = np.concatenate([np.zeros(n_prefix, bool), played.bought & (not extra), np.ones(len(second), bool)])
    generated = np.concatenate([np.zeros(n_prefix, bool), np.ones(n_steps + len(second), bool)])
    order = np.lexsort((sub, order_in_phase, phase, session))
    session, item, buy, generated = session[order], item[order], buy[order], generated[order]
    starts = np.ones(len(session), dtype=bool)
    starts[1:] = session[1:] != session[:-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(len(session)), 0))
    ts = np.arange(len(session)) - first  # position in the session
    return to_events_table(
        session.astype(np.int64), ts.astype(np.int64), item.astype(np.int64), buy
    ), generated


def generated_tables(
    played: Played, world: LEWorld, reward_click: float, reward_purchase: float
) -> tuple[pa.Table, pa.Table]:
    """``(events, transitions)`` of the generated steps (see the module docstring)."""
    events, generated = played_events(played, world)
    transitions = build_transitions(
        events, world.n_items, world.state_len, reward_click, reward_purchase, keep=generated
    )
    return events.filter(pa.array(generated)), transitions


@dataclass(frozen=True)
class RolloutResult:
    out_dir: Path
    sessions: int
    events: int
    transitions: int
    metrics: dict[str, float]


def write_rollout(
    world: LEWorld,
    slate_fn: Any,
    behaviour: str,
    out_dir: Path,
    n_sessions: int,
    seed: int,
    data_stats: dict[str, Any],
    batch: int = 256,
) -> RolloutResult:
    """Play ``n_sessions`` with ``slate_fn`` and write the rollout folder at ``out_dir`` (atomically)."""
    played = play(world, slate_fn, n_sessions, seed=seed, batch=batch)
    events, transitions = generated_tables(
        played, world, float(data_stats["reward_click"]), float(data_stats["reward_purchase"])
    )
    metrics = play_metrics(played, world.config.slate_size)
    info = {
        "behaviour": behaviour,
        "sessions": n_sessions,
        "events": events.num_rows,
        "transitions": transitions.num_rows,
        "purchases": int(
            np.asarray(events.column(schema.EVENT).to_numpy(zero_copy_only=False) == schema.PURCHASE).sum()
        ),
        "seed": seed,
        "n_items": world.n_items,
        "state_len": world.state_len,
        "le_checkpoint": str(world.le.ckpt_dir),
        "le_checkpoint_hash": world.le.checkpoint_hash,
        "env": to_dict(world.config),
        "calibration": world.calibration.to_dict(),
        "metrics": metrics,
    }
    with atomic.atomic_path(out_dir, kind=KIND) as tmp:
        tmp.mkdir(parents=True)
        pq.write_table(events, tmp / EVENTS_FILE)
        pq.write_table(transitions, tmp / TRANSITIONS_FILE, use_dictionary=False, compression="zstd")
        (tmp / INFO_FILE).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log.info(
        "rollout of %d %s sessions: %d transitions -> %s",
        n_sessions,
        behaviour,
        transitions.num_rows,
        out_dir,
    )
    return RolloutResult(Path(out_dir), n_sessions, events.num_rows, transitions.num_rows, metrics)


@dataclass(frozen=True)
class GeneratedData:
    """A rollout folder, checked: its events and transitions fit the data it was generated for."""

    root: Path
    info: dict[str, Any]

    @property
    def events_path(self) -> Path:
        return self.root / EVENTS_FILE

    @property
    def transitions_path(self) -> Path:
        return self.root / TRANSITIONS_FILE

    def events(self) -> pa.Table:
        return pq.read_table(self.events_path).cast(schema.EVENTS)

    def transitions(self) -> pa.Table:
        return pq.read_table(self.transitions_path).cast(
            schema.transitions_schema(int(self.info["state_len"]))
        )

    @classmethod
    def open(cls, root: Path, n_items: int | None = None, state_len: int | None = None) -> GeneratedData:
        """Open ``root``; with ``n_items``/``state_len``, refuse a rollout made for other data."""
        root = Path(root)
        if outputs.kind_of(root) != KIND:
            raise ValueError(f"{root} is not a learec rollout folder; {ROLLOUT_HINT}")
        info_path = root / INFO_FILE
        try:
            info = json.loads(info_path.read_text(encoding="utf-8"))
            rollout_items, rollout_len = int(info["n_items"]), int(info["state_len"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{info_path} is missing or unreadable ({exc}); {ROLLOUT_HINT}") from None
        data = cls(root, info)
        for path, expected in (
            (data.events_path, schema.EVENTS),
            (data.transitions_path, schema.transitions_schema(rollout_len)),
        ):
            if not path.is_file():
                raise ValueError(f"{path} not found; {ROLLOUT_HINT}")
            schema.check_columns(pq.read_schema(path), expected, str(path))
        if n_items is not None and rollout_items != n_items:
            raise ValueError(f"{root} was generated for {rollout_items} items, the data has {n_items}")
        if state_len is not None and rollout_len != state_len:
            raise ValueError(
                f"{root} holds states of {rollout_len} items, the data has state_len={state_len}"
            )
        return data
