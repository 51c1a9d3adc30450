"""LE labeling throughput, side by side on the same model and rows, in one run:

1. ``naive``: one process, ``env.label`` one row at a time;
2. ``batched``: one process, ``env.label`` on batches of ``--batch-size`` rows;
3. ``pipeline``: ``label_transitions`` (Ray Data: per-part reads -> LE actor pool -> atomic part writes).

Single-process loops run torch on every core; each Ray actor runs torch on one thread, and the pool has
``--actors`` actors. The pipeline is reported end to end (driver start to last part written, actor start
and torch import included, Ray start excluded and reported apart) and in steady state (rows of every part
but the first over the time between the first and the last part written), since actor start is a fixed
cost that a large input amortises.

Models: the tiny LE (trained here on a synthetic catalogue, few steps: throughput depends on its shape,
not on how well it is trained) and SmolLM2-135M when its converted folder exists (else a note).
Goal on 2 cores: pipeline >= 5x naive and >= 0.8x batched.

Usage: ``python benchmarks/labeling_throughput.py [--rows 12000] [--naive-rows 200] [--out PATH]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform as stdlib_platform
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from learec.platform.data import schema
from learec.platform.data.transitions import build_transitions

RESULTS = Path(__file__).resolve().parent / "results" / "labeling.json"


def synthetic_items(n_items: int) -> pa.Table:
    colours, kinds = ["red", "blue", "green", "black", "white"], ["shirt", "shoe", "lamp", "mug", "book"]
    texts = [f"{colours[i % 5]} {kinds[(i // 5) % 5]} model {i % 7}" for i in range(n_items)]
    return pa.table(
        {
            schema.ITEM_ID: np.arange(n_items),
            schema.RAW_ID: [f"sku-{i}" for i in range(n_items)],
            schema.TITLE: texts,
            schema.TEXT: texts,
        },
        schema=schema.ITEMS,
    )


def synthetic_transitions(n_rows: int, n_items: int, rng: np.random.Generator) -> pa.Table:
    """Sessions of 2-12 events through ``build_transitions``, cut to ``n_rows`` rows."""
    lengths = rng.integers(2, 13, size=n_rows // 2 + 1)
    session = np.repeat(np.arange(len(lengths)), lengths)[:n_rows]
    events = pa.table(
        {
            schema.SESSION_ID: session.astype(np.int64),
            schema.TS: np.arange(len(session), dtype=np.int64),
            schema.ITEM_ID: rng.integers(0, n_items, size=len(session)),
            schema.EVENT: np.where(rng.random(len(session)) < 0.1, schema.PURCHASE, schema.CLICK),
        },
        schema=schema.EVENTS,
    )
    return build_transitions(events, n_items)


def arrays(table: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    states = np.stack(table.column(schema.STATE).to_numpy(zero_copy_only=False)).astype(np.int64)
    return states, table.column(schema.LEN_STATE).to_numpy(), table.column(schema.ACTION).to_numpy()


def bench_model(
    name: str, ckpt: Path, table: pa.Table, args: argparse.Namespace, work: Path
) -> dict[str, Any]:
    import torch

    from learec.platform.labeling.pipeline import LabelingConfig, label_transitions
    from learec.platform.le.environment import LanguageEnvironment

    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    env = LanguageEnvironment.load(ckpt, device="cpu")
    states, lengths, actions = arrays(table)
    k, n = args.k, table.num_rows
    m = min(args.naive_rows, n)
    env.label(states[:8], lengths[:8], actions[:8], k)  # warm-up

    start = time.perf_counter()
    for i in range(m):
        env.label(states[i : i + 1], lengths[i : i + 1], actions[i : i + 1], k)
    naive_s = time.perf_counter() - start

    start = time.perf_counter()
    for s in range(0, n, args.batch_size):
        env.label(
            states[s : s + args.batch_size],
            lengths[s : s + args.batch_size],
            actions[s : s + args.batch_size],
            k,
        )
    batched_s = time.perf_counter() - start
    del env

    input_path = work / f"{name}-transitions.parquet"
    pq.write_table(table, input_path)
    config = LabelingConfig(
        k=k, batch_size=args.batch_size, max_actors=args.actors, cpus_per_actor=0.5,
        rows_per_part=max(1, n // args.parts),
    )  # fmt: skip
    stamps: list[tuple[float, int]] = []
    start = time.perf_counter()
    report = label_transitions(
        ckpt, input_path, work / f"{name}-labels", config,
        progress=lambda done, total: stamps.append((time.perf_counter(), done)),
    )  # fmt: skip
    pipeline_s = time.perf_counter() - start
    written = [(t, d) for t, d in stamps if d > 0]
    (t0, d0), (t1, d1) = written[0], written[-1]
    # Undefined when the parts land in one burst (too few batches per part to stream).
    steady = (d1 - d0) / (t1 - t0) if t1 - t0 > 0.1 * pipeline_s else None

    figures = {
        "rows": n,
        "naive_rows": m,
        "k": k,
        "batch_size": args.batch_size,
        "single_process_torch_threads": threads,
        "naive_rows_per_s": round(m / naive_s, 2),
        "batched_rows_per_s": round(n / batched_s, 2),
        "pipeline_rows_per_s_end_to_end": round(n / pipeline_s, 2),
        "pipeline_rows_per_s_steady": None if steady is None else round(steady, 2),
        "pipeline_first_part_after_s": round(t0 - start, 2),
        "pipeline_wall_s": round(pipeline_s, 2),
        "pipeline_actors": report.actors,
        "pipeline_parts": report.parts_total,
        "pipeline_tokens_processed": report.tokens_processed,
        "pipeline_tokens_per_s": round(report.tokens_processed / pipeline_s, 1),
        "per_actor_rows_per_s_steady": None if steady is None else round(steady / report.actors, 2),
    }
    for mode in ("end_to_end", "steady"):
        rate = figures[f"pipeline_rows_per_s_{mode}"]
        defined = rate is not None  # steady is undefined when every part landed at once
        figures[f"speedup_{mode}_vs_naive"] = (
            round(rate / figures["naive_rows_per_s"], 2) if defined else None
        )
        figures[f"ratio_{mode}_vs_batched"] = (
            round(rate / figures["batched_rows_per_s"], 3) if defined else None
        )
    return figures


def train_tiny(work: Path, n_items: int, rng: np.random.Generator) -> Path:
    from learec.platform.le.config import LEConfig
    from learec.platform.le.trainer import train_le

    train = synthetic_transitions(2000, n_items, rng)
    config = LEConfig(steps=5, item_token_epochs=1, heldout_pairs=64, user_fraction=0.5)  # default tiny shape
    return train_le(config, train, synthetic_items(n_items), work / "le-tiny")


def smollm2_checkpoint(work: Path, n_items: int, rng: np.random.Generator) -> tuple[Path | None, str]:
    """An LE on SmolLM2-135M when its converted folder exists; otherwise (None, why not)."""
    try:
        from learec.platform.le.config import SMOLLM2, LEConfig
        from learec.platform.le.models_get import converted_dir
    except ImportError as exc:
        return None, f"skipped: {exc}"
    path = converted_dir(SMOLLM2, None)
    if not (path / "config.json").is_file():
        return None, f"skipped: SmolLM2-135M is not converted at {path} (`learec models get smollm2-135m`)"
    from learec.platform.le.trainer import train_le

    config = LEConfig(backbone=SMOLLM2, steps=2, item_token_epochs=1, heldout_pairs=16, user_fraction=0.2)
    train = synthetic_transitions(400, n_items, rng)
    return train_le(config, train, synthetic_items(n_items), work / "le-smollm2"), "ran"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=12000)
    parser.add_argument("--naive-rows", type=int, default=200)
    parser.add_argument("--smollm2-rows", type=int, default=1024)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--actors", type=int, default=2)
    parser.add_argument("--parts", type=int, default=6, help="parts the input is split into")
    parser.add_argument("--num-cpus", type=int, default=4, help="logical CPUs Ray announces")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")

    from learec.platform.jobs.ray_runtime import init_ray

    rng = np.random.default_rng(0)
    work = Path(tempfile.mkdtemp(prefix="learec-labeling-bench-"))
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": stdlib_platform.python_version(), "gpu": False},
        "ray_num_cpus": args.num_cpus,
    }
    try:
        start = time.perf_counter()
        init_ray(num_cpus=args.num_cpus)
        results["ray_init_s"] = round(time.perf_counter() - start, 2)
        start = time.perf_counter()
        tiny = train_tiny(work, args.items, rng)
        results["tiny_train_s"] = round(time.perf_counter() - start, 1)
        table = synthetic_transitions(args.rows, args.items, rng)
        results["tiny"] = bench_model("tiny", tiny, table, args, work)
        print(json.dumps(results["tiny"], indent=2))
        ckpt, note = smollm2_checkpoint(work, args.items, rng)
        results["smollm2_135m"] = {"note": note}
        if ckpt is not None:
            # Batches smaller than a part (128 rows) so that parts stream out and the steady rate is defined.
            small = argparse.Namespace(**{**vars(args), "naive_rows": 16, "parts": 8, "batch_size": 32})
            table = synthetic_transitions(args.smollm2_rows, args.items, rng)
            results["smollm2_135m"].update(bench_model("smollm2", ckpt, table, small, work))
        print(json.dumps(results["smollm2_135m"], indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
