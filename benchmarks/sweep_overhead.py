"""Tune's cost and ASHA's saving, measured side by side in one run on the quick sweep's data.

(a) plain loop: the sampled trials run one after the other through ``runner.fit`` (the project's own
    training function), validating as often as a trial reports;
(b) Tune, FIFO: the same trials (same search seed, so the same configs) as Tune function trials,
    as many at once as the cluster's free CPUs allow;
(c) Tune, ASHA: the same search with early stopping on the validation metric.

Throughput is trials per minute at equal budget (every trial runs all iterations in (a) and (b)); ASHA's
saving is the training iterations it spent for its best validation figure against FIFO's.
Writes benchmarks/results/sweep_overhead.json.

    .venv/bin/python benchmarks/sweep_overhead.py [--trials 8] [--iterations 200] [--rounds 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUICK = ROOT / "tune_configs" / "quick.yaml"


def tune_phase(spec, data_root: Path, out: Path) -> tuple[float, list[dict]]:
    """Wall seconds of ``tuner.fit()`` and one row per trial (config, final metric, iterations)."""
    import ray
    from ray import tune

    from learec.platform.jobs.sweep import _tuner, trial_fixed, trial_resources
    from learec.platform.jobs.sweep_results import trial_rows
    from learec.platform.jobs.sweep_trial import TrialContext, run_trial

    resources = trial_resources(spec, ray.cluster_resources())
    ctx = TrialContext(trial_fixed(spec), str(data_root), None)
    trainable = tune.with_parameters(run_trial, ctx=ctx)
    tuner = _tuner(spec, trainable, resources, out, mlflow=False)
    start = time.perf_counter()
    grid = tuner.fit()
    wall = time.perf_counter() - start
    return wall, [{k: v for k, v in r.items() if k != "curve"} for r in trial_rows(spec, grid)]


def plain_phase(spec, data_root: Path, rows: list[dict], out: Path) -> tuple[float, list[float]]:
    """The same configs through ``runner.fit`` one after the other; wall seconds and final metrics."""
    from learec.platform.data.prepare import load_prepared
    from learec.platform.eval.protocol import evaluate
    from learec.platform.jobs.sweep import trial_fixed
    from learec.platform.jobs.sweep_trial import trial_run_config
    from learec.platform.jobs.train import _train_inputs
    from learec.rllib_algos.common.runner import fit

    data = load_prepared(data_root)
    val_rows = data.transitions("val")
    key = spec.sweep.metric.removeprefix("val/")
    figures = []
    start = time.perf_counter()
    for i, row in enumerate(rows):
        cfg = trial_run_config(trial_fixed(spec), {d.key: row[d.key] for d in spec.dimensions})
        result = fit(
            cfg.train,
            _train_inputs(data, None),
            data.n_items,
            data.state_len,
            out / f"plain_{i}",
            data.raw_ids(),
            val_fn=lambda score, c=cfg: evaluate(score, val_rows, data.n_items, c.eval),
        )
        figures.append(float(result.metrics[key]))
    return time.perf_counter() - start, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8)
    # A trial as long as a real search's (tune_configs/*_shop.yaml train 400 iterations): at a few dozen
    # iterations the fixed start of every trial (RLlib build, data pipeline) is all that is measured.
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--num-cpus", type=int, default=4, help="logical CPUs of the local Ray")
    parser.add_argument(
        "--max-concurrent", type=int, default=0, help="trials at once; 0: what the sweep derives"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="alternate Tune FIFO and the plain loop this many times (medians)",
    )
    args = parser.parse_args()

    from learec.platform.jobs.ray_runtime import init_ray
    from learec.platform.jobs.sweep import prepare_inputs
    from learec.platform.jobs.sweep_spec import load_sweep

    tmp = Path(tempfile.mkdtemp(prefix="learec-sweep-bench-"))
    os.environ["HOME"] = str(tmp)  # RLlib's ~/ray_results stays out of the real home
    base = {
        "runs_dir": str(tmp / "runs"),
        "sweep.num_samples": str(args.trials),
        "train.iterations": str(args.iterations),
        "train.eval_every": str(max(1, args.iterations // 8)),  # rungs at 1/8, 1/4, 1/2 of the budget
        "sweep.grace_period": str(max(1, args.iterations // 8)),
        "sweep.max_concurrent": str(args.max_concurrent),
    }
    fifo = load_sweep(QUICK, {**base, "sweep.scheduler": "fifo", "sweep.name": "fifo"})
    asha = load_sweep(QUICK, {**base, "sweep.scheduler": "asha", "sweep.name": "asha"})
    data_root, _ = prepare_inputs(fifo, lambda *a: None)
    init_ray(num_cpus=args.num_cpus)

    load_before = os.getloadavg()
    fifo_walls, plain_walls = [], []
    for r in range(args.rounds):  # alternating, so a change in machine load falls on both
        spec = (
            fifo
            if r == 0
            else load_sweep(QUICK, {**base, "sweep.scheduler": "fifo", "sweep.name": f"fifo{r}"})
        )
        wall, fifo_rows = tune_phase(spec, data_root, tmp / f"fifo{r}")
        fifo_walls.append(wall)
        wall, plain_figures = plain_phase(fifo, data_root, fifo_rows, tmp / f"plain{r}")
        plain_walls.append(wall)
    fifo_wall, plain_wall = statistics.median(fifo_walls), statistics.median(plain_walls)
    asha_wall, asha_rows = tune_phase(asha, data_root, tmp / "asha")

    metric = fifo.sweep.metric
    fifo_iters = sum(r["iterations"] for r in fifo_rows)
    asha_iters = sum(r["iterations"] for r in asha_rows)
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "ray_cpus": args.num_cpus,
            "load_average_before": [round(x, 1) for x in load_before],
            "load_average_after": [round(x, 1) for x in os.getloadavg()],
        },
        "trials": args.trials,
        "iterations_per_trial": args.iterations,
        "rounds": args.rounds,
        "plain_loop": {
            "wall_s": round(plain_wall, 1),
            "wall_s_per_round": [round(w, 1) for w in plain_walls],
            "trials_per_min": round(60 * args.trials / plain_wall, 2),
            "best": max(plain_figures),
        },
        "tune_fifo": {
            "wall_s": round(fifo_wall, 1),
            "wall_s_per_round": [round(w, 1) for w in fifo_walls],
            "trials_per_min": round(60 * args.trials / fifo_wall, 2),
            "best": max(r[metric] for r in fifo_rows),
            "iterations": fifo_iters,
        },
        "tune_asha": {
            "wall_s": round(asha_wall, 1),
            "best": max(r[metric] for r in asha_rows),
            "iterations": asha_iters,
            "stopped_early": sum(r["stopped_early"] for r in asha_rows),
        },
        "tune_vs_plain_throughput": round(plain_wall / fifo_wall, 2),
        "asha_iteration_saving": round(fifo_iters / asha_iters, 2),
        "metric": metric,
    }
    out = ROOT / "benchmarks" / "results" / "sweep_overhead.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
