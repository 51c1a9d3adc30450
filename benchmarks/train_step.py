"""Learner throughput: RLlib SQN (our learner, one local / two remote learners) vs a plain-torch loop.

Same data (synthetic sessions, ~50k transition rows, 10,000 items), same model (two GRU4Rec networks,
hidden 64, CE + Q heads), same batch size (256), same loss (the plain loop uses the reference loss of
tests/reference/sqn_reference.py). Writes benchmarks/results/train_step.json.

    .venv/bin/python benchmarks/train_step.py [--iters 40] [--rows 50000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from reference.sqn_reference import reference_loss  # noqa: E402

from learec.platform.data import schema  # noqa: E402
from learec.rllib_algos.backbones.registry import BackboneConfig  # noqa: E402
from learec.rllib_algos.common.heads import RecNetwork  # noqa: E402
from learec.rllib_algos.common.params import RecRLParams  # noqa: E402

N_ITEMS, L, BATCH, HIDDEN = 10_000, schema.STATE_LEN, 256, 64


def make_data(rows: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    cols: dict[str, list] = {f.name: [] for f in schema.TRANSITIONS}
    sid = 0
    while len(cols[schema.ACTION]) < rows:
        items = rng.integers(0, N_ITEMS, int(rng.integers(2, 12))).tolist()
        for step, item in enumerate(items):
            hist, nxt = items[:step][-L:], items[: step + 1][-L:]
            buy = int(rng.random() < 0.1)
            cols[schema.SESSION_ID].append(sid)
            cols[schema.STEP].append(step)
            cols[schema.STATE].append([N_ITEMS] * (L - len(hist)) + hist)
            cols[schema.LEN_STATE].append(len(hist))
            cols[schema.ACTION].append(item)
            cols[schema.IS_BUY].append(buy)
            cols[schema.REWARD].append(1.0 if buy else 0.2)
            cols[schema.NEXT_STATE].append([N_ITEMS] * (L - len(nxt)) + nxt)
            cols[schema.LEN_NEXT_STATE].append(len(nxt))
            cols[schema.DONE].append(step == len(items) - 1)
        sid += 1
    return pa.table(cols, schema=schema.TRANSITIONS).slice(0, rows)


def plain_loop(table: pa.Table, iters: int, warmup: int) -> float:
    """Samples/s of the reference SQN loss in a bare torch loop (one thread pool, no Ray)."""
    torch.manual_seed(0)
    bb = BackboneConfig(name="gru4rec", hidden=HIDDEN)
    nets = [RecNetwork(bb, N_ITEMS, L) for _ in range(2)]
    opt = torch.optim.Adam([p for n in nets for p in n.parameters()], lr=0.005)
    s = torch.tensor(np.asarray(table[schema.STATE].to_pylist()))
    s2 = torch.tensor(np.asarray(table[schema.NEXT_STATE].to_pylist()))
    a = torch.tensor(table[schema.ACTION].to_numpy())
    r = torch.tensor(table[schema.REWARD].to_numpy())
    d = torch.tensor(table[schema.DONE].to_numpy(zero_copy_only=False))
    gen = torch.Generator().manual_seed(0)

    def step(i: int) -> None:
        lo = (i * BATCH) % (len(a) - BATCH)
        sl = slice(lo, lo + BATCH)
        main, tgt = (nets[0], nets[1]) if torch.rand(1, generator=gen) < 0.5 else (nets[1], nets[0])

        def f(net):
            return lambda x: (lambda o: (o.q, o.logits))(net(x))

        loss = reference_loss(f(main), f(tgt), s[sl], a[sl], r[sl], s2[sl], d[sl])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for i in range(warmup):
        step(i)
    t0 = time.perf_counter()
    for i in range(iters):
        step(warmup + i)
    return iters * BATCH / (time.perf_counter() - t0)


def rllib_loop(path: Path, out: Path, iters: int, warmup: int, num_learners: int) -> float:
    from learec.rllib_algos.common.offline_input import parquet_files
    from learec.rllib_algos.common.runner import TrainConfig, build_config, results_dir

    params = RecRLParams(backbone=BackboneConfig(name="gru4rec", hidden=HIDDEN), batch_size=BATCH)
    cfg = TrainConfig(algo="sqn", params=params, num_learners=num_learners)
    rl = build_config(cfg, parquet_files(path), N_ITEMS, L)
    with results_dir(out / "ray_logs"):
        algo = rl.build_algo()
    try:
        for _ in range(warmup):
            algo.train()
        t0 = time.perf_counter()
        for _ in range(iters):
            algo.train()
        return iters * BATCH * max(1, num_learners) / (time.perf_counter() - t0)
    finally:
        algo.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    work = Path(tempfile.mkdtemp(prefix="learec-bench-"))
    os.environ["HOME"] = str(work)  # keep ~/ray_results out of the real home
    path = work / "train.parquet"
    pq.write_table(make_data(args.rows, seed=0), path)

    from learec.platform.jobs.ray_runtime import init_ray

    init_ray(num_cpus=4, runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
    threads = torch.get_num_threads()
    results = {}
    results["plain_torch_samples_per_s"] = plain_loop(pq.read_table(path), args.iters, args.warmup)
    print("plain torch", results["plain_torch_samples_per_s"])
    results["rllib_1_local_learner_samples_per_s"] = rllib_loop(path, work, args.iters, args.warmup, 0)
    print("rllib local", results["rllib_1_local_learner_samples_per_s"])
    results["rllib_2_learners_samples_per_s"] = rllib_loop(path, work, args.iters, args.warmup, 2)
    print("rllib 2 learners", results["rllib_2_learners_samples_per_s"])
    results["ratio_local_vs_plain"] = (
        results["rllib_1_local_learner_samples_per_s"] / results["plain_torch_samples_per_s"]
    )
    report = {
        "benchmark": "train_step",
        "setup": {
            "n_items": N_ITEMS,
            "rows": args.rows,
            "batch": BATCH,
            "backbone": "gru4rec",
            "hidden": HIDDEN,
            "algo": "sqn (double Q, two networks)",
            "iters": args.iters,
            "warmup": args.warmup,
            "torch_threads": threads,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "load_avg_at_end": os.getloadavg(),
        },
        "results": results,
        "goal": "rllib local learner >= 0.9x plain torch",
    }
    out = ROOT / "benchmarks" / "results" / "train_step.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
