"""Every contender tuned with the same budget, then its best config over 3 seeds on test (issue 14).

    python experiments/equal_budget.py --dataset shop          # or movielens, otto
    python experiments/equal_budget.py --dataset shop --trials 6 --iterations 400 --only sqn-lea-gru4rec
    python experiments/equal_budget.py --dataset shop --collect      # results from every finished sweep
    python experiments/equal_budget.py --dataset shop --only sqn-lea-sasrec --set le.item_row_dropout=0.3 \
        --runs-dir runs/equal_budget_rowdrop --results experiments/results/equal_budget_shop_rowdrop.json

Contenders: most popular (nothing to tune), CE on GRU4Rec and on SASRec (the non-RL baselines), and SQN,
SNQN, SA2C x {base, LE state, LE reward, LEA} x {GRU4Rec, SASRec}. Each learned contender is one Ray Tune
sweep (``learec sweep`` machinery, ``platform/jobs/sweep.py``) with the same number of trials, the same
training iterations per trial, the same search algorithm and scheduler, selected on validation purchase
NDCG@10; its best config is then retrained with seeds 0, 1, 2 and evaluated once on test. All sweeps share
one run folder, so the data, the LE and its labels are made once (the same stages as ``learec run``).

Writes ``experiments/results/equal_budget_<dataset>.json`` (every contender's search and test figures) and
prints the headline table: the best non-RL baseline, the best RL model without the LE and the best model with
the LE (each chosen on validation), their test figures (mean ± std over seeds), the gain over the baseline and
whether it is significant (paired bootstrap over test sessions, ``platform/eval/significance.py``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "experiments" / "results"
SHARED = ROOT.parent / "shared" / "data"
SELECT = "val/ndcg@10/purchase"  # what picks each contender's best trial, and the best of each group
HEADLINE = ("ndcg@10/purchase", "ndcg@10/click", "ndcg@10/new_click", "hr@10/purchase")

# Fixed run settings per dataset (the sweep files' run-config part). MovieLens keeps items with >= 30
# ratings, as experiments/movielens_rl.yaml does, so that 26 sweeps fit 2 CPU cores.
DATASETS: dict[str, dict[str, Any]] = {
    "shop": {},
    "movielens": {
        "data": {"source": "movielens", "path": str(SHARED / "movielens-small")},
        "prep": {"min_item_count": 30},
    },
    # OTTO's sample is 20 sessions (a fixture of the real format): leave-one-out so that test items were
    # seen in training, long sessions kept, the LE on every training session (10 % would be 2 sessions).
    "otto": {
        "data": {"source": "otto", "path": str(SHARED / "otto-sample")},
        "prep": {"min_item_count": 1, "split": "leave_one_out", "max_session_len": 200},
        "le": {"user_fraction": 1.0, "epochs": 5},
    },
}

# The search space of every contender: the shared knobs, then the algorithm's and the variant's own.
SHARED_SPACE = {
    "train.params.lr": {"loguniform": [1.0e-3, 2.0e-2]},
    "train.params.backbone.hidden": {"choice": [32, 64]},
}
ALGO_SPACE = {
    "ce": {},
    "sqn": {"train.sqn.q_loss_weight": {"uniform": [0.2, 1.5]}},
    "snqn": {"train.snqn.q_loss_weight": {"uniform": [0.2, 1.5]}},
    "sa2c": {"train.sa2c.q_loss_weight": {"uniform": [0.2, 1.5]}},
}
VARIANT_SPACE = {
    "base": {},
    "le_state": {"train.params.le_state": {"choice": ["concat", "gate"]}},
    "le_reward": {"train.params.shape_coeff": {"loguniform": [0.03, 1.0]}},
    "lea": {
        "train.params.lea_ce_weight": {"loguniform": [0.01, 1.0]},
        "train.params.lea_augment_k": {"randint": [1, 4]},
        # per-positive LE rewards for the augmented TD transitions vs the constant click reward
        "train.params.lea_reward_source": {"choice": ["constant", "le_affine", "le_sigmoid"]},
    },
}
RL_ALGOS = ("sqn", "snqn", "sa2c")
BACKBONES = ("gru4rec", "sasrec")


@dataclass(frozen=True)
class Contender:
    algo: str
    variant: str
    backbone: str

    @property
    def name(self) -> str:
        return f"{self.algo}-{self.variant}-{self.backbone}"

    @property
    def group(self) -> str:
        """Which headline row it competes for."""
        if self.algo == "ce":
            return "non-RL baseline"
        return "RL without the LE" if self.variant == "base" else "RL with the LE"


def contenders() -> list[Contender]:
    out = [Contender("ce", "base", b) for b in BACKBONES]
    for algo in RL_ALGOS:
        out += [Contender(algo, v, b) for v in VARIANT_SPACE for b in BACKBONES]
    return out


def run_settings(dataset: str, args: argparse.Namespace) -> dict[str, Any]:
    """The dataset's fixed run settings with the ``--set key.path=value`` overrides merged in."""
    doc = json.loads(json.dumps(DATASETS[dataset]))  # a deep copy
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"--set takes KEY=VALUE with a dotted run-config key, got {item!r}")
        *parents, leaf = key.split(".")
        node = doc
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(value)
    return doc


def results_path(args: argparse.Namespace) -> Path:
    return args.results or RESULTS / f"equal_budget_{args.dataset}.json"


def finished(dataset: str, c: Contender, args: argparse.Namespace) -> bool:
    return (args.runs_dir / dataset / "sweeps" / c.name / "summary.json").is_file()


def sweep_file(dataset: str, c: Contender, args: argparse.Namespace, folder: Path) -> Path:
    """The contender's sweep file: the dataset's run config, the variant's switches, the shared budget."""
    from learec.platform.jobs.variants import VARIANTS

    variant = VARIANTS[c.variant]
    params: dict[str, Any] = {"backbone": {"name": c.backbone}}
    if c.algo != "ce":
        params |= variant.switches(lea_augment_k=2)
    train: dict[str, Any] = {
        "algo": c.algo,
        "iterations": args.iterations,
        "eval_every": max(1, args.iterations // 4),
        "patience": 0,  # the best config's test retrains run the whole budget, as the recorded figures did
        "params": params,
    }
    if c.algo in RL_ALGOS:  # a Polyak target: the served network learns on every batch (shop_rl.yaml)
        train[c.algo] = {"double_q": False}
    if c.algo == "sa2c":  # the advantage-weighted phase covers the second half of training
        train["sa2c"] |= {"warmup_steps": args.iterations // 2}
    doc = {
        **run_settings(dataset, args),
        "name": dataset,
        "runs_dir": str(args.runs_dir),
        "train": train,
        "sweep": {
            "name": c.name,
            "metric": SELECT,
            "num_samples": args.trials,
            "search_alg": args.search_alg,
            "scheduler": "asha",
            "grace_period": max(1, args.iterations // 4),
            "reduction_factor": 2,
            "seed": 0,
            "test_seeds": list(args.seeds),
            "space": SHARED_SPACE
            | ALGO_SPACE[c.algo]
            | VARIANT_SPACE[c.variant if c.algo != "ce" else "base"],
        },
    }
    path = folder / f"{c.name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def run_contender(dataset: str, c: Contender, args: argparse.Namespace) -> dict[str, Any]:
    from ray import tune

    from learec.platform.jobs.sweep import TUNE_DIR, run_sweep, sweep_dir
    from learec.platform.jobs.sweep_spec import load_sweep

    spec = load_sweep(sweep_file(dataset, c, args, args.runs_dir / dataset / "equal_budget"))
    out = sweep_dir(spec)
    done = out / "summary.json"
    if not done.is_file() or args.fresh:
        started = time.perf_counter()
        if args.fresh and out.is_dir():  # asked for: this contender's earlier sweep goes
            shutil.rmtree(out)
        # An interrupted sweep (its Tune folder there, no summary yet) continues where it stopped.
        resume = tune.Tuner.can_restore(str(out / TUNE_DIR))
        run_sweep(spec, resume=resume, say=lambda line: print(f"[{c.name}] {line}", flush=True))
        print(f"[{c.name}] {time.perf_counter() - started:.0f} s", flush=True)
    return json.loads(done.read_text())


def popularity(dataset: str, args: argparse.Namespace) -> dict[str, Any]:
    """Most popular on test (fitted on train), as ``learec run``'s baseline stage computes it."""
    from learec.platform.common.fields import from_dict
    from learec.platform.jobs import pipeline
    from learec.platform.jobs.config import RunConfig
    from learec.platform.jobs.run_dir import RunDir

    settings = {**run_settings(dataset, args), "name": dataset, "runs_dir": str(args.runs_dir)}
    cfg = from_dict(RunConfig, settings)
    run = RunDir.create(cfg.runs_dir, cfg.name)
    data = pipeline.stage_data(cfg, run, pipeline._noop_progress)
    pipeline.stage_popularity(cfg, run, data, pipeline._shop(cfg))
    return pipeline.load_result(run, "pop")


def _mean_std(summary: dict[str, Any], split: str, key: str) -> tuple[float, float]:
    value = summary["test"]["mean_std"][split].get(key)
    return (math.nan, math.nan) if value is None else (float(value[0]), float(value[1]))


def seed_runs(summary: dict[str, Any]) -> list[Path]:
    seeds_dir = Path(summary["best"]["policy"]).parent / "seeds"
    return [seeds_dir / f"s{s}" for s in summary["test"]["seeds"]]


def significance(a: dict[str, Any], b: dict[str, Any]) -> dict[str, str]:
    """A vs B on test purchase, click and new-item click NDCG@10 (bootstrap over sessions, seeds paired)."""
    from learec.platform.eval.significance import TEST_RANKS, EventResults, compare_models

    runs = {
        name: [EventResults.load(p / TEST_RANKS) for p in seed_runs(s)] for name, s in (("a", a), ("b", b))
    }
    return {group: cmp.text() for group, cmp in compare_models(runs, "b")["a"].items()}


def best_of(rows: list[dict[str, Any]], group: str) -> dict[str, Any] | None:
    members = [r for r in rows if r["group"] == group and not math.isnan(r["val_select"])]
    return max(members, key=lambda r: r["val_select"]) if members else None


def _cell(value: Any) -> str:
    mean, std = value
    return "–" if math.isnan(mean) else f"{mean:.3f} ± {std:.3f}"


def markdown(payload: dict[str, Any]) -> str:
    """The headline table (best of each group, chosen on val) and every contender's row, as markdown."""
    cols = " | ".join(f"test {k}" for k in HEADLINE)
    lines = [f"| group | model | val {SELECT.split('/', 1)[1]} | {cols} | gain (purchase) | vs baseline |"]
    lines.append("|---" * (5 + len(HEADLINE)) + "|")
    for group, e in payload["headline"].items():
        gain = e.get("gain_purchase_ndcg@10")
        sig = "; ".join(f"{g}: {t}" for g, t in e.get("significance_vs_baseline", {}).items()) or "–"
        tests = " | ".join(_cell(e["test"][k]) for k in HEADLINE)
        lines.append(
            f"| {group} | {e['name']} | {e['val_select']:.3f} | {tests} | "
            f"{'–' if gain is None else f'{100 * gain:+.1f} %'} | {sig} |"
        )
    lines += ["", f"| model | group | val {SELECT.split('/', 1)[1]} | iterations | {cols} |"]
    lines.append("|---" * (4 + len(HEADLINE)) + "|")
    for r in sorted(payload["contenders"], key=lambda r: (r["group"], r["name"])):
        val = "–" if math.isnan(r["val_select"]) else f"{r['val_select']:.3f}"
        tests = " | ".join(_cell(r["test"][k]) for k in HEADLINE)
        lines.append(f"| {r['name']} | {r['group']} | {val} | {r.get('iterations_total', '–')} | {tests} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="shop")
    parser.add_argument("--trials", type=int, default=6, help="Tune trials per contender (the budget)")
    parser.add_argument("--iterations", type=int, default=400, help="training iterations per trial")
    parser.add_argument("--search-alg", choices=("random", "optuna"), default="random")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="test seeds of each best")
    parser.add_argument("--runs-dir", type=Path, default=ROOT / "runs" / "equal_budget")
    parser.add_argument("--only", default="", help="comma-separated contender names (default: all)")
    parser.add_argument(
        "--fresh", action="store_true", help="delete the chosen contenders' earlier sweeps and run them again"
    )
    parser.add_argument(
        "--collect",
        action="store_true",
        help="run nothing: rebuild the results from every contender whose sweep has finished",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="run-config override for every contender, dotted (le.item_row_dropout=0.3); repeatable",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="results JSON (default experiments/results/equal_budget_<dataset>.json)",
    )
    parser.add_argument("--table", action="store_true", help="print the stored results as markdown and stop")
    args = parser.parse_args()
    if args.table:
        print(markdown(json.loads(results_path(args).read_text())))
        return
    args.runs_dir = args.runs_dir.resolve()
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")

    names = set(args.only.split(",")) if args.only else None
    chosen = [c for c in contenders() if names is None or c.name in names]
    if args.collect:
        chosen = [c for c in chosen if finished(args.dataset, c, args)]
    pop = popularity(args.dataset, args)
    rows: list[dict[str, Any]] = [
        {
            "name": "pop",
            "group": "non-RL baseline",
            "val_select": math.nan,  # nothing to tune; shown beside the tuned baselines
            "test": {k: (pop["offline"].get(k, math.nan), 0.0) for k in HEADLINE},
            "online": pop.get("online", {}),
        }
    ]
    summaries: dict[str, dict[str, Any]] = {}
    for c in chosen:
        summary = run_contender(args.dataset, c, args)
        summaries[c.name] = summary
        rows.append(
            {
                "name": c.name,
                "group": c.group,
                "val_select": float(summary["best"]["metric"]),
                "best_values": summary["best"]["values"],
                "trials": summary["trials"],
                "iterations_total": summary["iterations_total"],
                "test": {k: _mean_std(summary, "test", k) for k in HEADLINE},
                "val": {k: _mean_std(summary, "val", k) for k in HEADLINE},
            }
        )

    headline: dict[str, Any] = {}
    base = best_of(rows, "non-RL baseline")
    for group in ("non-RL baseline", "RL without the LE", "RL with the LE"):
        best = best_of(rows, group)
        if best is None:
            continue
        entry = {"name": best["name"], "val_select": best["val_select"], "test": best["test"]}
        if base is not None and best is not base:
            ref = base["test"]["ndcg@10/purchase"][0]
            entry["gain_purchase_ndcg@10"] = (
                (best["test"]["ndcg@10/purchase"][0] - ref) / ref if ref else math.nan
            )
            entry["significance_vs_baseline"] = significance(summaries[best["name"]], summaries[base["name"]])
        headline[group] = entry

    out = results_path(args)
    payload = {
        "dataset": args.dataset,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "budget": {"trials": args.trials, "iterations": args.iterations, "search_alg": args.search_alg},
        "select": SELECT,
        "seeds": args.seeds,
        "headline": headline,
        "contenders": rows,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    tmp.replace(out)
    print(json.dumps(headline, indent=2, default=str))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
