"""Label offline transitions with the LE on Ray Data, exactly once and resumable.

Flow (one Ray Data job, streaming, never materialised)::

    PartsDatasource(unfinished parts)  ->  map_batches(Labeler, ActorPoolStrategy)  ->  iter_batches
        read tasks, 1 CPU each               one LE per actor, fractional CPU or 1 GPU     on the driver

Exactly once and resumable:

* The input (a Parquet file, or a folder of them) is split into deterministic parts: fixed row ranges
  of each file (``parts.plan_parts``). Output goes to ``output_dir/<label_version>/part-XXXXX.parquet``;
  another checkpoint or ``k`` gives another ``label_version`` and so another folder, never mixed.
* Only parts without a finished file are read. Rows carry ``_part``/``_row`` tags through the actor
  pool; the driver gathers them per part as blocks stream back (``PartAssembler``), keeps the first copy
  of any row a retried task sends twice, and writes a part once all its rows are in: to a temporary
  name, then an atomic rename. A part file therefore exists whole or not at all, and a rerun (after a
  killed job) relabels only the missing parts. Memory holds only the parts in flight.
* A dead actor is recreated by Ray Data and its tasks retried (the actor pool's default); rows a retried
  task sends twice are dropped on the driver.
* ``_plan.json`` pins the input files, row counts and ``rows_per_part`` of a version folder; a rerun with
  other inputs or partitioning is refused instead of silently mixing layouts. ``_SUCCESS`` (JSON: parts,
  rows, schema) is written last. One run at a time per folder (an ``flock`` on it).
* ``labeling_report.json`` in ``output_dir`` gives rows, parts, tokens, throughput and GPU-hours.

Why not ``read_parquet(...).write_parquet(...)``: Ray's Parquet sink names files per write task and
cannot tell a finished part from a half-written one after a crash, and ``read_parquet`` does not say
which rows of a file a block holds; the per-part datasource plus driver-side atomic writes give both.

Engines: ``engine="hf"`` runs the LE's transformers/peft model in each actor. Where vLLM and GPUs are
present, ``ray.data.llm`` could serve a merged (LoRA-folded) model instead; it needs ``ray[llm]`` + vLLM
and is not wired in here.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from learec.platform.common import atomic
from learec.platform.common.fields import Checked, opt, to_dict
from learec.platform.data import schema
from learec.platform.labeling.labeled_data import PLAN_NAME, SUCCESS_NAME
from learec.platform.labeling.labeler import TOKENS_COLUMN, Labeler
from learec.platform.labeling.parts import Part, PartAssembler, input_schema, plan_parts, state_len
from learec.platform.labeling.report import LabelingReport, Progress
from learec.platform.labeling.resources import PoolPlan, plan_resources
from learec.platform.labeling.version import label_settings, label_version

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelingConfig(Checked):
    """Ray Data labeling of transitions with an LE checkpoint.

    Fields marked ``affects_labels`` enter ``label_version``; the others only change speed and layout.
    """

    k: int = opt(
        5, "positive actions the LE generates per row (le_pos_actions width)", ge=1, affects_labels=True
    )
    engine: Literal["hf"] = opt(
        "hf", "inference engine: 'hf' = the LE's transformers/peft model in each actor", affects_labels=True
    )
    device: Literal["auto", "cpu", "cuda"] = opt(
        "auto", "auto: one GPU per actor when the cluster has GPUs, else fractional CPUs"
    )
    batch_size: int = opt(256, "rows per LE call in an actor", ge=1)
    max_actors: int = opt(0, "most labeling actors; 0 = as many as the GPUs, or the CPUs allow", ge=0)
    cpus_per_actor: float = opt(
        0.5, "logical CPUs each actor holds; fractional so read tasks keep a CPU", gt=0
    )
    rows_per_part: int = opt(50_000, "rows per output part file (the unit of resume)", ge=1)


def label_transitions(
    le_ckpt: Path,
    input_path: Path,
    output_dir: Path,
    config: LabelingConfig | None = None,
    progress: Progress | None = None,
) -> LabelingReport:
    """Label every row of ``input_path`` (transitions Parquet) into ``output_dir/<label_version>/``.

    Starts a local Ray (``init_ray``) unless one is connected. Returns the report, also written to
    ``output_dir/labeling_report.json``. ``progress(done_rows, total_rows)`` is called as parts fill.
    """
    config = config or LabelingConfig()
    started = time.perf_counter()
    le_ckpt, input_path, output_dir = Path(le_ckpt), Path(input_path), Path(output_dir)
    checkpoint_hash, le_state_dim = _checkpoint_info(le_ckpt)
    version = label_version(checkpoint_hash, config)
    in_schema = input_schema(input_path)
    where = f"labeling input {input_path}"
    length = state_len(in_schema, where)
    schema.check_columns(in_schema, schema.transitions_schema(length), where)
    out_schema = output_schema(in_schema, le_state_dim, config.k, length)
    parts = plan_parts(input_path, config.rows_per_part)
    version_dir = output_dir / version
    total = sum(p.rows for p in parts)

    with _exclusive(version_dir):
        _pin_plan(version_dir, input_path, parts, config)
        _remove_temporaries(version_dir)
        todo = [p for p in parts if not _finished(version_dir / p.name, p.rows)]
        skipped = len(parts) - len(todo)
        log.info("label_version %s: %d parts, %d to label, %d done", version, len(parts), len(todo), skipped)
        if progress:
            progress(total - sum(p.rows for p in todo), total)
        run = _RunStats()
        if todo:
            run = _label_parts(le_ckpt, todo, version_dir, out_schema, config, version, total, progress)
        _write_success(version_dir, parts, out_schema, version, checkpoint_hash, config)

    report = LabelingReport.build(
        label_version=version,
        checkpoint_hash=checkpoint_hash,
        output_dir=str(version_dir),
        rows_total=total,
        rows_labeled=run.rows,
        parts_total=len(parts),
        parts_done=len(todo),
        parts_skipped=skipped,
        duplicate_rows_dropped=run.duplicates,
        tokens_processed=run.tokens,
        wall_time_s=time.perf_counter() - started,
        actors=run.plan.max_actors if run.plan else 0,
        device=run.plan.device if run.plan else "none",
        num_gpus_per_actor=(run.plan.num_gpus_per_actor or 0.0) if run.plan else 0.0,
        batch_size=config.batch_size,
    )
    report.write(output_dir)
    return report


def output_schema(in_schema: pa.Schema, le_state_dim: int, k: int, length: int) -> pa.Schema:
    """The labeled transitions contract, then any extra input columns as they came."""
    out = schema.labeled_transitions_schema(le_state_dim, k, length)
    for f in in_schema:
        if out.get_field_index(f.name) < 0:
            out = out.append(f)
    return out


@dataclass
class _RunStats:
    rows: int = 0
    tokens: int = 0
    duplicates: int = 0
    plan: PoolPlan | None = None


def _label_parts(
    le_ckpt: Path,
    todo: list[Part],
    version_dir: Path,
    out_schema: pa.Schema,
    config: LabelingConfig,
    version: str,
    total: int,
    progress: Progress | None,
) -> _RunStats:
    """Run the Ray Data job over ``todo`` and write each part as soon as it is complete."""
    import ray

    from learec.platform.jobs.ray_runtime import init_ray, local_cores
    from learec.platform.labeling.source import PartsDatasource

    if not ray.is_initialized():
        init_ray()
    plan = plan_resources(ray.cluster_resources(), config, core_limit=local_cores())
    log.info("labeling pool: %s", plan)
    ds = ray.data.read_datasource(PartsDatasource(todo)).map_batches(
        Labeler,
        fn_constructor_kwargs={
            "ckpt_dir": str(le_ckpt.resolve()),
            "config": config,
            "device": plan.device,
            "expected_version": version,
        },
        compute=ray.data.ActorPoolStrategy(min_size=plan.min_actors, max_size=plan.max_actors),
        batch_size=plan.batch_size,
        # No max_restarts/max_task_retries here: Ray Data's actor pools already recreate a dead actor
        # and retry its tasks (max_restarts=-1, max_task_retries=-1), and passing them needs the
        # deprecated ray_remote_args. PartAssembler drops any rows a retried task sends twice.
        **plan.resource_args(),
    )
    stats = _RunStats(plan=plan)
    assembler = PartAssembler(todo)
    done_rows = total - sum(p.rows for p in todo)
    for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
        stats.tokens += int(batch[TOKENS_COLUMN].sum()) if len(batch[TOKENS_COLUMN]) else 0
        for part, columns in assembler.add(batch):
            atomic.write_parquet(to_table(columns, out_schema), version_dir / part.name)
            stats.rows += part.rows
            done_rows += part.rows
            if progress:
                progress(done_rows, total)
    stats.duplicates = assembler.duplicates
    if assembler.pending:
        missing = ", ".join(p.name for p in assembler.pending[:5])
        raise RuntimeError(f"labeling ended with parts still missing rows ({missing}); rerun to resume")
    return stats


def to_table(columns: dict[str, np.ndarray], out_schema: pa.Schema) -> pa.Table:
    """Numpy columns back to Arrow in the contract's types (tensor columns become fixed-size lists)."""
    arrays = []
    for f in out_schema:
        if f.name not in columns:
            raise ValueError(f"labeled batch lacks column {f.name!r}")
        arrays.append(_to_arrow(columns[f.name], f.type))
    return pa.Table.from_arrays(arrays, schema=out_schema)


def _to_arrow(values: np.ndarray, typ: pa.DataType) -> pa.Array:
    if pa.types.is_fixed_size_list(typ):
        flat = np.stack(values) if values.dtype == object else values  # [N, size]
        if flat.ndim != 2 or flat.shape[1] != typ.list_size:
            raise ValueError(f"expected rows of {typ.list_size} values for {typ}, got shape {flat.shape}")
        flat_values = pa.array(flat.reshape(-1), type=typ.value_type)
        return pa.FixedSizeListArray.from_arrays(flat_values, typ.list_size)
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        return pa.array([np.asarray(v).tolist() for v in values], type=typ)
    return pa.array(values.tolist() if values.dtype == object else values, type=typ)


def _checkpoint_info(le_ckpt: Path) -> tuple[str, int]:
    """The LE checkpoint's hash and state dimension, from its manifest (no model load on the driver)."""
    from learec.platform.le.checkpoint import checkpoint_hash, read_manifest

    if not le_ckpt.is_dir():
        raise ValueError(f"LE checkpoint {le_ckpt} is not a folder; train one with `learec le train` first")
    manifest = read_manifest(le_ckpt)
    return checkpoint_hash(le_ckpt), int(manifest["item_dim"])


@contextlib.contextmanager
def _exclusive(version_dir: Path) -> Iterator[None]:
    """Hold an ``flock`` on the version folder: two runs writing one folder would race on parts."""
    version_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(version_dir, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ValueError(
                f"another labeling run is writing {version_dir}; wait for it or use another output_dir"
            ) from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _pin_plan(version_dir: Path, input_path: Path, parts: list[Part], config: LabelingConfig) -> None:
    """Write ``_plan.json`` on the first run; refuse a rerun whose input or partitioning differs."""
    plan = {
        "input": str(input_path.resolve()),
        "rows_per_part": config.rows_per_part,
        "parts": [[p.source, p.start, p.stop] for p in parts],
    }
    path = version_dir / PLAN_NAME
    if path.exists():
        old = json.loads(path.read_text())
        if old["rows_per_part"] != plan["rows_per_part"] or old["parts"] != plan["parts"]:
            raise ValueError(
                f"{version_dir} was started with another input or rows_per_part "
                f"({old['rows_per_part']} rows per part, {len(old['parts'])} parts from {old['input']}); "
                "use a new output_dir, or the same input and labeling.rows_per_part to resume"
            )
        return
    atomic.write_json(plan, path)


def _remove_temporaries(version_dir: Path) -> None:
    """Drop temporaries a killed run left behind (``atomic_path`` names them ``.<name>.*.tmp``)."""
    for tmp in version_dir.glob(".*.tmp"):
        log.info("removing leftover temporary %s", tmp)
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)


def _finished(path: Path, rows: int) -> bool:
    """A part counts as done when its file exists with the expected row count (files appear atomically)."""
    if not path.is_file():
        return False
    try:
        return pq.ParquetFile(path).metadata.num_rows == rows
    except (OSError, pa.ArrowInvalid):
        return False


def _write_success(
    version_dir: Path,
    parts: list[Part],
    out_schema: pa.Schema,
    version: str,
    checkpoint_hash: str,
    config: LabelingConfig,
) -> None:
    atomic.write_json(
        {
            "label_version": version,
            "checkpoint_hash": checkpoint_hash,
            "label_settings": label_settings(config),
            "config": to_dict(config),
            "rows": sum(p.rows for p in parts),
            "parts": [
                {"name": p.name, "rows": p.rows, "source": p.source, "start": p.start, "stop": p.stop}
                for p in parts
            ],
            "schema": [f"{f.name}: {f.type}" for f in out_schema],
        },
        version_dir / SUCCESS_NAME,
    )
