"""Throughput and peak memory of raw logs -> prepared data, on a synthetic RetailRocket-sized log.

Writes ``events.csv`` in the RetailRocket layout (``timestamp`` ms, ``visitorid``, ``event``, ``itemid``,
``transactionid``) to a temporary folder, then times, each stage in a fresh subprocess so its peak RSS
(``ru_maxrss``) is its own:

- ``read_csv``: pyarrow.csv -> ``schema.RAW_EVENTS`` RawLogs (view->click, addtocart->purchase,
  transactions dropped, ms -> s), done directly here;
- ``loader``: the same through ``load_dataset("retailrocket", ...)`` when that loader exists;
- ``convert``: read_csv + ``prepare`` (sort, session cut, truncation, filters, split, vocabulary,
  transitions, Parquet writes): the whole conversion, goal < 60 s and < 4 GB on 2 cores;
- ``transitions``: ``build_transitions`` alone over all events (visitor = session, no filtering).

Usage: ``python benchmarks/transitions_throughput.py [--events 3000000] [--out results.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as stdlib_platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv  # noqa: F401  (pa.csv)

RESULTS = Path(__file__).resolve().parent / "results" / "transitions_throughput.json"
N_ITEMS = 235_000  # RetailRocket has ~235k items
SPAN_MS = 139 * 86400 * 1000  # ~4.5 months, like the real log
CPUS = 2


def generate_csv(path: Path, n_events: int, seed: int) -> dict[str, int]:
    """A RetailRocket-like events.csv: ~97% views, ~2.5% add-to-carts, ~0.8% transactions, Zipf items."""
    rng = np.random.default_rng(seed)
    lengths = 1 + rng.geometric(0.25, size=n_events // 2)  # visits per visitor: 1 + Geometric, mean 5
    lengths = lengths[: np.searchsorted(np.cumsum(lengths), n_events) + 1]
    lengths[-1] -= lengths.sum() - n_events
    n_visitors = len(lengths)
    visitor = np.repeat(rng.permutation(n_visitors * 2)[:n_visitors], lengths)  # sparse ids like the real log
    start = rng.integers(1_433_000_000_000, 1_433_000_000_000 + SPAN_MS, size=n_visitors)
    gaps = rng.exponential(120_000, size=n_events).astype(np.int64)  # ~2 min between a visitor's events
    first = np.repeat(np.cumsum(lengths) - lengths, lengths)
    csum = np.cumsum(gaps)
    ts = np.repeat(start, lengths) + csum - csum[first]
    item = (rng.zipf(1.2, size=n_events) - 1) % N_ITEMS
    u = rng.random(n_events)
    event = np.where(u < 0.967, "view", np.where(u < 0.992, "addtocart", "transaction"))
    is_tx = event == "transaction"
    tx = np.where(is_tx, np.cumsum(is_tx), 0)
    order = rng.permutation(n_events)  # the real file is not sorted by visitor
    table = pa.table(
        {
            "timestamp": ts[order],
            "visitorid": visitor[order],
            "event": event[order],
            "itemid": item[order],
            "transactionid": pa.array(tx[order], mask=~is_tx[order]),
        }
    )
    pa.csv.write_csv(table, path)
    return {"visitors": int(n_visitors), "events": int(n_events), "bytes": path.stat().st_size}


def read_csv_raw(folder: Path):
    """events.csv -> RawLogs with pyarrow.csv directly (the SQN mapping; visitors are user-level)."""
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    from learec.platform.data import schema
    from learec.platform.data.raw import RawLogs

    t = pcsv.read_csv(
        folder / "events.csv",
        convert_options=pcsv.ConvertOptions(
            column_types={
                "timestamp": pa.int64(),
                "visitorid": pa.int64(),
                "event": pa.string(),
                "itemid": pa.int64(),
                "transactionid": pa.int64(),
            },
        ),
    )
    t = t.filter(pc.not_equal(t["event"], "transaction"))
    kind = pc.if_else(pc.equal(t["event"], "addtocart"), schema.PURCHASE, schema.CLICK)
    events = pa.table(
        {
            schema.SESSION_ID: t["visitorid"],
            schema.TS: pc.divide(t["timestamp"], 1000),  # positive ms: truncation == floor
            schema.RAW_ID: t["itemid"].cast(pa.string()),
            schema.EVENT: kind,
        }
    ).cast(schema.RAW_EVENTS)
    ids = pc.unique(events[schema.RAW_ID])
    items = pa.table(
        {
            schema.ITEM_ID: pa.array(np.full(len(ids), -1)),
            schema.RAW_ID: ids,
            schema.TITLE: pc.binary_join_element_wise("item ", ids, ""),
            schema.TEXT: pa.nulls(len(ids), pa.string()),
        },
        schema=schema.ITEMS,
    )
    return RawLogs(events, items, user_level=True, source=f"retailrocket-csv:{folder}")


def run_stage(stage: str, folder: Path, n_events: int, seed: int) -> dict:
    """Runs in the child process; returns seconds per step and this process's peak RSS."""
    pa.set_cpu_count(CPUS)
    pa.set_io_thread_count(CPUS)
    from learec.platform.data import schema
    from learec.platform.data.prepare import PrepConfig, prepare
    from learec.platform.data.transitions import build_transitions

    out: dict = {"rss_after_imports_mb": _maxrss_mb()}
    t0, c0 = time.perf_counter(), time.process_time()
    if stage == "generate":
        out.update(generate_csv(folder / "events.csv", n_events, seed))
        out["generate_s"] = round(time.perf_counter() - t0, 2)
    elif stage == "loader":
        from learec.platform.data.loaders.registry import load_dataset

        raw = load_dataset("retailrocket", folder, use_item_properties=False)
        out["read_s"] = round(time.perf_counter() - t0, 3)
        out["read_cpu_s"] = round(time.process_time() - c0, 3)
        out["raw_events"] = raw.events.num_rows
    elif stage in ("read_csv", "convert"):
        raw = read_csv_raw(folder)
        out["read_s"] = round(time.perf_counter() - t0, 3)
        out["read_cpu_s"] = round(time.process_time() - c0, 3)
        out["raw_events"] = raw.events.num_rows
        if stage == "convert":
            t1, c1 = time.perf_counter(), time.process_time()
            steps: list[tuple[str, float]] = []
            data = prepare(
                raw,
                PrepConfig(),
                folder / "prepared",
                progress=lambda m: steps.append((m, time.perf_counter() - t1)),
            )
            out["prepare_s"] = round(time.perf_counter() - t1, 3)
            out["prepare_cpu_s"] = round(time.process_time() - c1, 3)
            out["total_s"] = round(time.perf_counter() - t0, 3)
            out["total_cpu_s"] = round(time.process_time() - c0, 3)
            out["prepare_progress"] = [f"{t:7.2f} s  {message}" for message, t in steps]
            out["prepared"] = {
                "n_items": data.n_items,
                **{
                    f"{s}_transitions": data.stats["splits"][s]["transitions"]
                    for s in ("train", "val", "test")
                },
            }
            out["preprocess"] = data.stats["preprocess"]
    elif stage == "transitions":
        import pyarrow.compute as pc
        import pyarrow.csv as pcsv

        t = pcsv.read_csv(
            folder / "events.csv",
            convert_options=pcsv.ConvertOptions(
                include_columns=["timestamp", "visitorid", "event", "itemid"]
            ),
        )
        session, ts = t["visitorid"].to_numpy(), t["timestamp"].to_numpy() // 1000
        item = pc.dictionary_encode(t["itemid"].combine_chunks()).indices.to_numpy().astype(np.int64)
        buy = pc.not_equal(t["event"], "view").to_numpy(zero_copy_only=False)
        order = np.lexsort((ts, session))
        events = pa.table(
            {
                schema.SESSION_ID: session[order],
                schema.TS: ts[order],
                schema.ITEM_ID: item[order],
                schema.EVENT: np.where(buy[order], schema.PURCHASE, schema.CLICK),
            },
            schema=schema.EVENTS,
        )
        del t
        n_items = int(item.max()) + 1
        t1, c1 = time.perf_counter(), time.process_time()
        table = build_transitions(events, n_items)
        out["build_s"] = round(time.perf_counter() - t1, 3)
        out["build_cpu_s"] = round(time.process_time() - c1, 3)
        out["rows"] = table.num_rows
    else:
        raise ValueError(f"unknown stage {stage!r}")
    out["peak_rss_mb"] = _maxrss_mb()
    return out


def _maxrss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def child(stage: str, folder: Path, extra: tuple[str, ...] = ()) -> dict:
    """Run ``stage`` in a fresh interpreter; the parent stays small, since ru_maxrss survives fork+exec."""
    env = {**os.environ, "OMP_NUM_THREADS": str(CPUS)}
    proc = subprocess.run(
        [sys.executable, __file__, "--stage", stage, "--dir", str(folder), *extra],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode:
        raise RuntimeError(f"stage {stage} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(run_stage(args.stage, args.dir, args.events, args.seed)))
        return

    with tempfile.TemporaryDirectory(prefix="learec-bench-") as tmp:
        folder = Path(tmp)
        data = child("generate", folder, ("--events", str(args.events), "--seed", str(args.seed)))
        print(f"generated {data}", flush=True)
        stages = {}
        for stage in ("read_csv", "loader", "convert", "transitions"):
            if stage == "loader":
                try:
                    import learec.platform.data.loaders.registry  # noqa: F401
                except ImportError:
                    stages[stage] = {"skipped": "learec.platform.data.loaders.registry not present"}
                    continue
            stages[stage] = child(stage, folder)
            print(stage, stages[stage], flush=True)

    n = args.events
    for name, key in (
        ("read_csv", "read_s"),
        ("loader", "read_s"),
        ("convert", "total_s"),
        ("transitions", "build_s"),
    ):
        if key in stages[name]:
            stages[name]["events_per_s"] = round(n / stages[name][key])
    stages["convert"]["prepare_events_per_s"] = round(
        stages["convert"]["raw_events"] / stages["convert"]["prepare_s"]
    )
    result = {
        "benchmark": "transitions_throughput",
        "input": data,
        "cpus": CPUS,
        "note": "*_s are wall seconds, *_cpu_s process CPU seconds (all threads); the machine is shared, "
        "so wall times include waiting for a core; load average at the end: "
        + " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "machine": {
            "python": sys.version.split()[0],
            "system": stdlib_platform.platform(),
            "cores": os.cpu_count(),
            "pyarrow": pa.__version__,
            "numpy": np.__version__,
        },
        "goal": {"convert_s": 60, "peak_rss_mb": 4096},
        "meets_goal": stages["convert"]["total_s"] < 60
        and max(s.get("peak_rss_mb", 0) for s in stages.values()) < 4096,
        "stages": stages,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
