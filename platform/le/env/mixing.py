"""Training on generated trajectories: a prepared-data copy whose training split is generated, or logged +
generated.

``mix(data, rollouts, config, out)`` writes a complete prepared data folder (``load_prepared`` reads it,
so ``learec train``, ``learec label`` and ``learec le train`` take it unchanged): the items and the val and
test splits are copied from ``data``, so every model is evaluated on the same logged held-out sessions;
the training events and transitions are the generated ones (``train_from = generated``) or the logged
ones followed by the generated ones (``both``); generated sessions get ids after every logged id; the
popularity counts are recomputed on the new training events; ``stats.json`` records where the split came
from under ``mix``.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from learec.platform.common import atomic
from learec.platform.common.fields import to_dict
from learec.platform.data import schema
from learec.platform.data.prepare import STATS_FILE, PreparedData, load_prepared
from learec.platform.le.env.config import MixConfig
from learec.platform.le.env.rollout import GeneratedData

log = logging.getLogger(__name__)


def _take_sessions(events: pa.Table, transitions: pa.Table, keep: np.ndarray) -> tuple[pa.Table, pa.Table]:
    ids = pa.array(keep)
    return (
        events.filter(pc.is_in(events.column(schema.SESSION_ID), ids)),
        transitions.filter(pc.is_in(transitions.column(schema.SESSION_ID), ids)),
    )


def _shift_sessions(table: pa.Table, offset: int) -> pa.Table:
    col = table.schema.get_field_index(schema.SESSION_ID)
    shifted = pc.add(table.column(schema.SESSION_ID), pa.scalar(offset, pa.int64()))
    return table.set_column(col, table.schema.field(col), shifted)


def _max_session(data: PreparedData) -> int:
    top = -1
    for split in ("train", "val", "test"):
        col = pq.read_table(data.events_path(split), columns=[schema.SESSION_ID]).column(0)
        if len(col):
            top = max(top, int(pc.max(col).as_py()))
    return top


def mix(
    data: PreparedData, rollouts: Sequence[GeneratedData], config: MixConfig, out_dir: Path
) -> PreparedData:
    """Write the prepared-data copy at ``out_dir`` (replaced as a whole, atomically); see the module doc."""
    if not rollouts:
        raise ValueError("mixing needs at least one rollout folder (`learec le rollout`)")
    rng = np.random.default_rng([config.seed, 0x313])
    events = [data.events("train")] if config.train_from == "both" else []
    transitions = [data.transitions("train")] if config.train_from == "both" else []
    offset = _max_session(data) + 1
    used = []
    for rollout in rollouts:
        ev, tr = rollout.events(), rollout.transitions().cast(schema.transitions_schema(data.state_len))
        sessions = np.unique(ev.column(schema.SESSION_ID).to_numpy())
        n_keep = max(1, int(round(config.generated_fraction * len(sessions))))
        keep = np.sort(rng.choice(sessions, size=n_keep, replace=False))
        ev, tr = _take_sessions(ev, tr, keep)
        events.append(_shift_sessions(ev, offset))
        transitions.append(_shift_sessions(tr, offset))
        used.append(
            {"rollout": str(rollout.root), "behaviour": rollout.info.get("behaviour"), "sessions": n_keep}
        )
        offset += int(sessions.max()) + 1
    train_events = pa.concat_tables(events)
    train_transitions = pa.concat_tables(transitions)
    items = train_events.column(schema.ITEM_ID).to_numpy()
    popularity = np.bincount(items, minlength=data.n_items).astype(np.int64)
    buys = int(pc.sum(pc.equal(train_events.column(schema.EVENT), schema.PURCHASE)).as_py() or 0)

    stats = json.loads(json.dumps(data.stats))
    stats["splits"]["train"].update(
        sessions=int(len(np.unique(train_events.column(schema.SESSION_ID).to_numpy()))),
        events=train_events.num_rows,
        clicks=train_events.num_rows - buys,
        purchases=buys,
        transitions=train_transitions.num_rows,
    )
    stats["mix"] = {"from": str(data.root), **to_dict(config), "rollouts": used}
    with atomic.atomic_path(out_dir, kind="prepared-data") as tmp:
        target = PreparedData(tmp, data.n_items, data.state_len, stats)
        (tmp / "events").mkdir(parents=True)
        (tmp / "transitions").mkdir()
        shutil.copy2(data.items_path, target.items_path)
        for split in ("val", "test"):
            shutil.copy2(data.events_path(split), target.events_path(split))
            shutil.copy2(data.transitions_path(split), target.transitions_path(split))
        pq.write_table(train_events, target.events_path("train"))
        pq.write_table(
            train_transitions, target.transitions_path("train"), use_dictionary=False, compression="zstd"
        )
        np.save(target.popularity_path, popularity, allow_pickle=False)
        (tmp / STATS_FILE).write_text(json.dumps(stats, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log.info(
        "mixed training split (%s): %d transitions -> %s",
        config.train_from,
        train_transitions.num_rows,
        out_dir,
    )
    return load_prepared(Path(out_dir))
