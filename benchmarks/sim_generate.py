"""Speed of the synthetic shop: log generation (goal: 1M events well under a minute) and online evaluation.

Each case runs in a fresh subprocess so its peak RSS (``ru_maxrss``) is its own:

- ``generate_default``: the default world (400 items, 8 categories), sessions until ~1M events;
- ``generate_large_catalogue``: 5,000 items, 24 categories, ~1M events (the users' own search scores the
  whole catalogue, so this is the cost that grows with the catalogue);
- ``online_eval``: ``evaluate_policy`` for the popularity policy and the oracle, 2,000 sessions x 10 steps.

Usage: ``python benchmarks/sim_generate.py [--events 1000000] [--out results.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as stdlib_platform
import resource
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "sim_generate.json"
CASES = {
    "generate_default": {},
    "generate_large_catalogue": {"n_items": 5_000, "n_categories": 24, "n_users": 5_000},
}


def run_generate(events: int, overrides: dict) -> dict:
    import pyarrow.compute as pc

    from learec.platform.sim import ShopConfig, SyntheticShop

    t0 = time.perf_counter()
    shop = SyntheticShop(ShopConfig(**overrides))
    world_s = time.perf_counter() - t0
    probe = shop.generate(n_sessions=2000, seed=1)
    per_session = probe.events.num_rows / 2000
    n_sessions = int(events / per_session)
    c0, t0 = time.process_time(), time.perf_counter()
    logs = shop.generate(n_sessions=n_sessions)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    n = logs.events.num_rows
    buys = pc.sum(pc.equal(logs.events["event"], "purchase")).as_py()
    return {
        "config": overrides or "default",
        "world_s": round(world_s, 3),
        "sessions": n_sessions,
        "events": n,
        "purchase_share": round(buys / n, 4),
        "generate_s": round(wall, 3),
        "generate_cpu_s": round(cpu, 3),
        "events_per_s": round(n / wall),
        "events_per_cpu_s": round(n / cpu),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run_online_eval(n_sessions: int) -> dict:
    from learec.platform.sim import SyntheticShop, evaluate_policy, popularity_policy

    shop = SyntheticShop()
    policy = popularity_policy(shop.generate().events)
    out = {"n_sessions": n_sessions, "k": 10, "max_steps": 10}
    for name, pol in (("popularity", policy), ("oracle", "oracle")):
        t0 = time.perf_counter()
        metrics = evaluate_policy(pol, shop, n_sessions=n_sessions)
        wall = time.perf_counter() - t0
        out[name] = {
            "eval_s": round(wall, 3),
            "slates_per_s": round(metrics["steps_per_session"] * n_sessions / wall),
            "purchase_rate": round(metrics["purchase_rate"], 4),
        }
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--eval-sessions", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--case", help=argparse.SUPPRESS)  # internal: run one case in this process
    args = parser.parse_args()
    if args.case:
        if args.case == "online_eval":
            result = run_online_eval(args.eval_sessions)
        else:
            result = run_generate(args.events, CASES[args.case])
        sys.stdout.write(json.dumps(result) + "\n")
        return

    import numpy as np

    results = {}
    for case in (*CASES, "online_eval"):
        cmd = [
            sys.executable,
            __file__,
            "--case",
            case,
            "--events",
            str(args.events),
            "--eval-sessions",
            str(args.eval_sessions),
        ]
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        results[case] = json.loads(done.stdout.strip().splitlines()[-1])
        sys.stdout.write(f"{case}: {results[case]}\n")
    report = {
        "benchmark": "sim_generate",
        "goal": {"events": args.events, "generate_s": 60},
        "meets_goal": results["generate_default"]["generate_s"] < 60,
        "cases": results,
        "note": "*_s are wall seconds on a shared machine (other jobs may hold a core); load average at the "
        f"end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}",
        "machine": {
            "python": stdlib_platform.python_version(),
            "system": stdlib_platform.platform(),
            "cores": os.cpu_count(),
            "numpy": np.__version__,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    sys.stdout.write(f"wrote {args.out}\n")


if __name__ == "__main__":
    main()
