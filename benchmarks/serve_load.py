"""Serve endpoint under a bounded loopback load, side by side with a bare uvicorn app, in one run.

    .venv/bin/python benchmarks/serve_load.py [--quick]

Variants (each its own server process on 127.0.0.1, ports 18300-18309; one Serve variant up at a time):
- ``bare``: the same API and ExportedPolicy under uvicorn (the reference for Serve's overhead);
- ``serve-default``: Ray Serve with Ray's default mode (``throughput_mode=off``);
- ``serve-fixed-wait``: ``serve-actor``'s settings with Ray's ``@serve.batch`` (5 ms wait for every
  batch), the batching before issue 16 (``serve_fixed_wait.py``);
- ``serve-actor``: Serve's throughput mode without its non-loopback listeners, the proxy reaching the replica
  by Ray actor calls (``RAY_SERVE_PROXY_USE_GRPC=0``);
- ``serve``: learec's default on loopback: the same, the proxy reaching the replica over gRPC;
- ``serve-batch1``: ``serve-actor`` with ``max_batch_size=1`` (no batching).
For each: p50, p99 and rps at concurrency 1, 8, 16, 32 (histories of 1-10 items, k=10), errors, and RSS
of proxy and replica before and after each variant's run. Goals (issue 16, ratios in one run): Serve p50 at
c=1 <= 2x bare, rps at c=16 >= 1.0x bare, p99 at c=16 <= 150 ms, zero errors. Writes
benchmarks/results/serve_load.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from serve_harness import (
    bare_server,
    export_benchmark_policy,
    fixed_wait_server,
    random_body,
    run_load,
    serve_rss_mb,
    serve_server,
)

from learec.platform.common.atomic import atomic_path
from learec.platform.jobs.deploy import THROUGHPUT_ENV

RESULTS = Path(__file__).parent / "results" / "serve_load.json"
# learec's throughput mode with the proxy reaching the replica by Ray actor calls (its default until the
# proxy's gRPC path measured faster).
ACTOR_CALLS_ENV = {**THROUGHPUT_ENV, "RAY_SERVE_PROXY_USE_GRPC": "0"}
LEVELS = (1, 8, 16, 32)


def _variants(policy: Path, logs: Path) -> dict[str, Any]:
    return {
        "bare": lambda port: bare_server(policy, port, logs / "bare.log"),
        "serve-default": lambda port: serve_server(
            policy, port, logs / "serve-default.log", {}, throughput_mode="off"
        ),
        "serve-fixed-wait": lambda port: fixed_wait_server(
            policy, port, logs / "serve-fixed-wait.log", ACTOR_CALLS_ENV
        ),
        "serve-actor": lambda port: serve_server(
            policy, port, logs / "serve-actor.log", ACTOR_CALLS_ENV, throughput_mode="on"
        ),
        "serve": lambda port: serve_server(
            policy, port, logs / "serve.log", THROUGHPUT_ENV, throughput_mode="on"
        ),
        "serve-batch1": lambda port: serve_server(
            policy, port, logs / "serve-batch1.log", ACTOR_CALLS_ENV, throughput_mode="on", max_batch_size=1
        ),
    }


def _measure(
    variants: dict[str, Any], chosen: list[str], requests: dict[int, int], deadline_s: float, rounds: int
) -> dict[str, Any]:
    """Each round starts every variant in turn, alone beside the bare app, measures all levels and stops it.

    One Serve cluster at a time: an idle Ray cluster still burns CPU (GCS, raylet, controller, proxy
    health checks), so variants started together would tax each other on 2 cores. The bare app (no Ray)
    stays up and is measured right before each variant, so machine noise falls on both alike. Levels of
    the same variant are merged over rounds.
    """
    rng = random.Random(0)
    results: dict[str, Any] = {name: {"runs": [], "ready_s": [], "rss": []} for name in chosen}
    bare = variants["bare"](18300)
    bare.wait_ready()
    try:
        run_load(bare.url, [random_body(rng) for _ in range(100)], 8, 30)  # warm-up
        for _ in range(rounds):
            for i, name in enumerate(n for n in chosen if n != "bare"):
                server = variants[name](18301 + i)
                try:
                    results[name]["ready_s"].append(round(server.wait_ready(), 1))
                    run_load(server.url, [random_body(rng) for _ in range(100)], 8, 30)  # warm-up
                    before = serve_rss_mb(server)
                    for c in LEVELS:
                        for target, key in ((bare, "bare"), (server, name)):
                            bodies = [random_body(rng) for _ in range(requests[c] // rounds)]
                            results[key]["runs"].append(run_load(target.url, bodies, c, deadline_s))
                    results[name]["rss"].append({"before_mb": before, "after_mb": serve_rss_mb(server)})
                finally:
                    server.stop()
        results["bare"]["rss"].append({"after_mb": serve_rss_mb(bare)})
    finally:
        bare.stop()
    for name in chosen:
        results[name]["levels"] = [
            _merge([r for r in results[name]["runs"] if r["concurrency"] == c]) for c in LEVELS
        ]
    return results


def _merge(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One level over rounds: medians of p50/p99 and rps, summed requests and statuses."""
    statuses: dict[str, int] = {}
    for r in runs:
        for k, v in r["statuses"].items():
            statuses[k] = statuses.get(k, 0) + v
    return {
        "concurrency": runs[0]["concurrency"],
        "requests": sum(r["requests"] for r in runs),
        "rps": statistics.median(r["rps"] for r in runs),
        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
        "p99_ms": statistics.median(r["p99_ms"] for r in runs),
        "statuses": statuses,
    }


def _level(result: dict[str, Any], c: int) -> dict[str, Any]:
    return next(lv for lv in result["levels"] if lv["concurrency"] == c)


def _goals(results: dict[str, Any], name: str) -> dict[str, Any]:
    bare, serve = results["bare"], results[name]
    c1, c16 = _level(serve, 1), _level(serve, 16)
    errors = sum(n for lv in serve["levels"] for s, n in lv["statuses"].items() if s != "200")
    return {
        "p50_c1_ratio": round(c1["p50_ms"] / _level(bare, 1)["p50_ms"], 2),
        "rps_c16_ratio": round(c16["rps"] / _level(bare, 16)["rps"], 2),
        "p99_c16_ms": c16["p99_ms"],
        "errors": errors,
        "met": {
            "p50_c1_le_2x": c1["p50_ms"] <= 2 * _level(bare, 1)["p50_ms"],
            "rps_c16_ge_1x": c16["rps"] >= _level(bare, 16)["rps"],
            "p99_c16_le_150ms": c16["p99_ms"] <= 150,
            "zero_errors": errors == 0,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    parser.add_argument("--deadline-s", type=float, default=60, help="time cap per concurrency level")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds over the variants")
    parser.add_argument("--only", default=None, help="comma-separated variants (bare always runs)")
    args = parser.parse_args()
    scale = 0.2 if args.quick else 1.0
    requests = {c: int((300 if c == 1 else 1500) * scale) for c in LEVELS}
    work = Path(tempfile.mkdtemp(prefix="learec-serve-load-"))
    policy = export_benchmark_policy(work / "policy")
    variants = _variants(policy, work)
    chosen = ["bare", *[v for v in (args.only.split(",") if args.only else variants) if v != "bare"]]
    results = _measure(variants, chosen, requests, args.deadline_s, args.rounds)
    for name in results:
        for lv in results[name]["levels"]:
            row = f"{name:14s} c={lv['concurrency']:>2} p50 {lv['p50_ms']:7.2f} ms p99 {lv['p99_ms']:7.2f} ms"
            print(f"{row} {lv['rps']:6.1f} rps {lv['statuses']}")  # noqa: T201
    goals = {name: _goals(results, name) for name in results if name != "bare"}
    for name, g in goals.items():
        print(f"{name}: {g}")  # noqa: T201
    out = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "requests": requests,
        "rounds": args.rounds,
        "policy": {"backbone": "gru4rec", "n_items": 400, "hidden": 64},
        "results": results,
        "goals": goals,
    }
    with atomic_path(RESULTS) as tmp:
        tmp.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {RESULTS}")  # noqa: T201


if __name__ == "__main__":
    main()
