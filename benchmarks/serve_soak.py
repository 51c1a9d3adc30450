"""Serve soak (issue 17): minutes of good and bad requests on loopback; no 5xx, no crash, flat memory.

    .venv/bin/python benchmarks/serve_soak.py [--minutes 5] [--concurrency 8]

One Serve endpoint (learec's defaults, API key from LEAREC_API_KEY) on 127.0.0.1:18310. About a third of
the requests are malformed or unauthenticated (the classes of tests/serve/test_serve_api.py). RSS of the
proxy and the replica is sampled every 10 s; the slope after the first minute (warm-up) says whether
memory levels off. Writes benchmarks/results/serve_soak.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from serve_harness import export_benchmark_policy, random_body, sample_rss, serve_server

from learec.platform.common.atomic import atomic_path
from learec.platform.jobs.deploy import THROUGHPUT_ENV

RESULTS = Path(__file__).parent / "results" / "serve_soak.json"
KEY = "soak-key"
JSON_TYPE = {"content-type": "application/json"}
BAD_BODIES = [
    b'{"history": "sku-0001"}',
    b'{"history": [1, 2]}',
    b'{"history": [], "k": NaN}',
    b'{"history": [], "k": 1' + b"9" * 5000 + b"}",
    b'{"history": ["\\ud800"]}',
    b'{"history": ["\xff\xfe"]}',
    b'{"history": [], "surprise": 1}',
    b"{oops",
    b"[" * 3000,
    json.dumps({"history": ["x" * 300]}).encode(),
    json.dumps({"history": ["sku-0001"] * 200_000}).encode(),  # over the 1 MiB cap: 413
]


def _request(rng: random.Random) -> tuple[str, bytes, dict[str, Any]]:
    roll = rng.random()
    auth = {"x-api-key": KEY, **JSON_TYPE}
    if roll < 0.65:
        return "/recommend", json.dumps(random_body(rng)).encode(), auth
    if roll < 0.70:
        histories = [random_body(rng)["history"] for _ in range(rng.randint(1, 16))]
        return "/recommend/batch", json.dumps({"histories": histories}).encode(), auth
    if roll < 0.75:
        return "/recommend", b'{"history": []}', {"x-api-key": rng.choice(["wrong", "s\u00e9cret".encode()])}
    return rng.choice(["/recommend", "/recommend/batch"]), rng.choice(BAD_BODIES), auth


async def _soak(url: str, minutes: float, concurrency: int) -> dict[str, int]:
    statuses: dict[str, int] = {}
    stop_at = time.monotonic() + minutes * 60
    rng = random.Random(0)

    async def worker(client: httpx.AsyncClient) -> None:
        while time.monotonic() < stop_at:
            path, body, headers = _request(rng)
            try:
                key = str((await client.post(path, content=body, headers=headers)).status_code)
            except httpx.HTTPError as exc:
                key = type(exc).__name__
            statuses[key] = statuses.get(key, 0) + 1

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return statuses


def _slope_mb_per_min(samples: list[dict[str, float]], role: str, after_s: float) -> float | None:
    points = [(s["t_s"], s[role]) for s in samples if s["t_s"] >= after_s and role in s]
    if len(points) < 2:
        return None
    n = len(points)
    mt, mr = sum(t for t, _ in points) / n, sum(r for _, r in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    return round(60 * sum((t - mt) * (r - mr) for t, r in points) / var, 2) if var else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="how long the load runs")
    parser.add_argument("--concurrency", type=int, default=8, help="parallel clients")
    parser.add_argument("--warmup-s", type=float, default=60.0, help="samples before this are warm-up")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="learec-serve-soak-"))
    policy = export_benchmark_policy(work / "policy")
    server = serve_server(policy, 18310, work / "serve.log", {**THROUGHPUT_ENV, "LEAREC_API_KEY": KEY})
    done = threading.Event()
    samples: list[dict[str, float]] = []
    try:
        server.wait_ready()
        sampler = threading.Thread(target=lambda: samples.extend(sample_rss(server, 10.0, done.is_set)))
        sampler.start()
        statuses = asyncio.run(_soak(server.url, args.minutes, args.concurrency))
        done.set()
        sampler.join()
        alive = (
            server.proc.poll() is None and httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
        )
    finally:
        done.set()
        server.stop()
    five_xx = sum(n for s, n in statuses.items() if not s.isdigit() or s.startswith("5"))
    out = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "minutes": args.minutes,
        "concurrency": args.concurrency,
        "requests": sum(statuses.values()),
        "statuses": dict(sorted(statuses.items())),
        "errors_5xx_or_transport": five_xx,
        "alive_after": alive,
        "rss_slope_mb_per_min_after_warmup": {
            role: _slope_mb_per_min(samples, role, args.warmup_s) for role in ("proxy", "replica")
        },
        "rss_samples_mb": samples,
    }
    with atomic_path(RESULTS) as tmp:
        tmp.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({k: v for k, v in out.items() if k != "rss_samples_mb"}, indent=2))  # noqa: T201
    print(f"wrote {RESULTS}")  # noqa: T201


if __name__ == "__main__":
    main()
