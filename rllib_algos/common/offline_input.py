"""How transitions Parquet reaches the learners: read schema, columns, spaces and CPU budgets.

Each Parquet row is a one-step episode (``notes/RAY_NOTES.md`` §4.1). Columns outside RLlib's schema
(the LE labels) ride in ``extra_model_outputs`` and arrive in the train batch under their own names
(§4.4 item 10), so only the columns a run needs are read: a string column such as ``label_version``
would not batch into tensors. History lengths are derived from the pad id, not read (see ``heads.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pyarrow.parquet as pq
from ray.rllib.core.columns import Columns

from learec.platform.common.parquet_parts import parquet_parts
from learec.platform.data import schema
from learec.rllib_algos.common.params import AlgoParams, RecRLParams
from learec.rllib_algos.common.train_config import OfflineInput

READ_SCHEMA = {
    Columns.OBS: schema.STATE,
    Columns.ACTIONS: schema.ACTION,
    Columns.REWARDS: schema.REWARD,
    Columns.NEXT_OBS: schema.NEXT_STATE,
    Columns.TERMINATEDS: schema.DONE,
}


def label_columns(params: RecRLParams, own: AlgoParams | None = None) -> list[str]:
    """LE label columns the shared switches and the algorithm's own section (``own``) read."""
    cols = []
    if params.le_state != "none":
        cols.append(schema.LE_STATE)
    if params.le_reward != "none":
        cols.append(schema.LE_REWARD)
    if params.lea_augment_k > 0 or (own is not None and own.reads_le_positives):
        cols.append(schema.LE_POS_ACTIONS)
    if params.lea_augment_k > 0 and params.lea_reward_source != "constant":
        cols.append(schema.LE_POS_REWARDS)
    return cols


def parquet_files(paths: Path | Sequence[Path]) -> list[str]:
    """Parquet files under the given files/folders, sorted; a ValueError names a path that has none."""
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    if not items:
        raise ValueError("train_path is empty; pass a transitions Parquet file or folder")
    files: list[str] = []
    for p in map(Path, items):
        found = parquet_parts(p)
        if not found:
            raise ValueError(f"{p}: no transitions Parquet found; run `learec data` first")
        files += [str(f) for f in found]
    return files


def check_input(files: Sequence[str], params: RecRLParams, own: AlgoParams | None = None) -> int:
    """Check columns against the transitions contract; return the LE state width (0 when unused)."""
    first = pq.read_schema(files[0])
    for name in (
        schema.STATE,
        schema.ACTION,
        schema.REWARD,
        schema.NEXT_STATE,
        schema.DONE,
        *label_columns(params, own),
    ):
        if first.get_field_index(name) >= 0:
            continue
        if name == schema.LE_POS_REWARDS:  # labels made before positives carried their rewards
            raise ValueError(
                f"{Path(files[0]).parent}: these labels have no {name!r} column (they predate per-positive "
                "LE rewards); label the transitions again with `learec label`, or set "
                "train.params.lea_reward_source to constant"
            )
        hint = " (label the transitions or switch the LE hooks off)" if name.startswith("le_") else ""
        raise ValueError(f"{files[0]}: missing column {name!r}{hint}")
    if params.le_state == "none":
        return 0
    t = first.field(schema.LE_STATE).type
    if hasattr(t, "list_size") and t.list_size > 0:
        return int(t.list_size)
    row = pq.ParquetFile(files[0]).read_row_group(0, columns=[schema.LE_STATE]).slice(0, 1)
    return len(row.column(0)[0].as_py())


def spaces(n_items: int, state_len: int) -> tuple[gym.Space, gym.Space]:
    """Observation: ``state_len`` item ids in ``[0, n_items]`` (``n_items`` = pad); action: an item."""
    return gym.spaces.Box(0, n_items, (state_len,), np.int64), gym.spaces.Discrete(n_items)


def offline_data_kwargs(
    files: Sequence[str],
    params: RecRLParams,
    num_learners: int,
    resources: OfflineInput,
    own: AlgoParams | None = None,
) -> dict[str, Any]:
    """Keyword arguments for ``AlgorithmConfig.offline_data``."""
    columns = [schema.STATE, schema.ACTION, schema.REWARD, schema.NEXT_STATE, schema.DONE]
    kwargs: dict[str, Any] = {
        "input_": list(files),
        "input_read_schema": dict(READ_SCHEMA),
        "input_read_method_kwargs": {"columns": columns + label_columns(params, own)},
        "dataset_num_iters_per_learner": 1,
        "map_batches_kwargs": {
            "concurrency": resources.num_prelearners or max(1, num_learners),
            "num_cpus": resources.prelearner_cpus,
        },
    }
    if resources.read_cpus is not None:
        kwargs["input_read_method_kwargs"]["num_cpus"] = resources.read_cpus
    if resources.shuffle_buffer:
        kwargs["iter_batches_kwargs"] = {"local_shuffle_buffer_size": resources.shuffle_buffer}
    return kwargs
