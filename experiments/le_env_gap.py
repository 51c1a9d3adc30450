"""The sim-to-real gap of the LE environment on the synthetic shop (issue 15).

For every policy: its purchase rate in the LE environment next to its true online purchase rate in the
shop simulator (``platform/sim/online_eval.py``), the gap, and offline full-ranking metrics on the test
split. Policies: the run's models (CE, SQN, SQN+LEA, most-popular; DPO too once ``learec run`` trains it:
every ``metrics/models/*.json`` of the run is read), PPO trained in the LE environment from the CE and SQN
policies of the same seed, SQN trained on LE-generated trajectories (user-driven sessions, ``le``, and
sessions under the CE policy, ``ce``) alone and mixed with the logs, and ``--extra NAME=POLICY_DIR``.

Both simulators are played with the same protocol: ``online.n_sessions`` sessions seeded by the run's
``seed``, top-``online.k`` slates outside the history, at most ``online.max_steps`` steps; "purchase rate"
is purchases of recommended items per slate shown (expected over the users' dice in the ``exp.`` columns).
A policy that beats CE in the LE but not in the shop is flagged "LE only".

    learec run --config experiments/le_env_shop.yaml
    python experiments/le_env_gap.py runs/le_env [--seeds 0,1,2] [--skip-ppo] [--skip-generated]
        [--extra dpo=runs/le_env/models/dpo-base-gru4rec-s0/policy]
        [--out experiments/results/le_env_gap.json]

New models are written under ``<run>/le_env/`` and reused by a rerun.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("le_env_gap")

LE_ONLY = "LE only"


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 0..n-1, ties sharing their mean rank."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x))
    _, inverse = np.unique(x, return_inverse=True)
    return np.array([ranks[inverse == inverse[i]].mean() for i in range(len(x))])


def spearman(a: list[float], b: list[float]) -> float:
    """Spearman's rank correlation (average ranks for ties); NaN below 3 points."""
    if len(a) < 3:
        return float("nan")
    return float(np.corrcoef(_ranks(np.asarray(a, float)), _ranks(np.asarray(b, float)))[0, 1])


def load_run(run_root: Path) -> tuple[Any, Any, Path]:
    from learec.platform.data.prepare import load_prepared
    from learec.platform.jobs.config import RunConfig
    from learec.platform.jobs.config_file import build_config

    cfg = build_config(RunConfig, run_root / "resolved.yaml", {})
    if cfg.data.source != "shop":
        raise SystemExit(f"{run_root} is not a shop run: the sim-to-real gap needs the shop's ground truth")
    return cfg, load_prepared(run_root / "data"), run_root / "le" / "checkpoint"


def run_models(run_root: Path) -> list[dict[str, Any]]:
    """The run's trained models: ``{name, group, seed, policy}`` (most-popular has ``policy = 'pop'``)."""
    out = []
    for path in sorted((run_root / "metrics" / "models").glob("*.json")):
        rec = json.loads(path.read_text(encoding="utf-8"))
        policy = rec.get("export_dir") or ("pop" if rec.get("algo") == "pop" else None)
        if policy is None:
            continue
        group = rec["model"] if rec.get("algo") == "pop" else f"{rec['model']} ({rec['backbone']})"
        out.append(
            {"name": rec["model_id"], "group": group, "seed": int(rec.get("seed", 0)), "policy": policy}
        )
    return out


def train_ppo_models(cfg: Any, run_root: Path, data: Any, le_dir: Path, seeds: list[int], iterations: int,
                     models: list[dict[str, Any]]) -> list[dict[str, Any]]:  # fmt: skip
    from learec.platform.common.fields import replace
    from learec.platform.jobs.le_env_jobs import ppo

    out = []
    for warm_algo in ("ce", "sqn"):
        for seed in seeds:
            warm = next((m for m in models if m["name"] == f"{warm_algo}-base-gru4rec-s{seed}"), None)
            if warm is None:
                log.warning("no %s-base-gru4rec-s%d in the run: PPO from it skipped", warm_algo, seed)
                continue
            target = run_root / "le_env" / f"ppo-{warm_algo}-s{seed}"
            if not (target / "metrics.json").is_file():
                ppo_cfg = replace(cfg, ppo=replace(cfg.ppo, seed=seed, iterations=iterations))
                started = time.perf_counter()
                ppo(ppo_cfg, le_dir, data.root, Path(warm["policy"]), target, force=True)
                log.info("PPO from %s s%d: %.0f s", warm_algo, seed, time.perf_counter() - started)
            group = f"PPO from {warm_algo.upper()} (gru4rec)"
            out.append({"name": target.name, "group": group, "seed": seed, "policy": str(target / "policy")})
    return out


def train_generated_models(cfg: Any, run_root: Path, data: Any, le_dir: Path, seeds: list[int],
                           models: list[dict[str, Any]]) -> list[dict[str, Any]]:  # fmt: skip
    from learec.platform.common.fields import replace
    from learec.platform.jobs import le_env_jobs
    from learec.platform.jobs.train import train_and_evaluate
    from learec.platform.le.env.config import MixConfig

    sessions = int(data.stats["splits"]["train"]["sessions"])
    behaviours = {"le": "le"}
    ce0 = next((m for m in models if m["name"] == "ce-base-gru4rec-s0"), None)
    if ce0 is not None:
        behaviours["ce"] = ce0["policy"]
    out = []
    for name, behaviour in behaviours.items():
        rollout = run_root / "le_env" / f"rollout-{name}"
        if not rollout.is_dir():
            le_env_jobs.rollout(cfg, le_dir, data.root, behaviour, sessions, rollout, seed=0, force=True)
        for train_from in ("generated", "both"):
            mixed_dir = run_root / "le_env" / f"data-{name}-{train_from}"
            if not mixed_dir.is_dir():
                le_env_jobs.mix(data.root, [rollout], mixed_dir, MixConfig(train_from=train_from), force=True)
            from learec.platform.data.prepare import load_prepared

            mixed = load_prepared(mixed_dir)
            for seed in seeds:
                target = run_root / "le_env" / f"sqn-gen-{name}-{train_from}-s{seed}"
                if not (target / "metrics.json").is_file():
                    train_cfg = replace(cfg.train, algo="sqn", seed=seed)
                    train_and_evaluate(train_cfg, mixed, target, eval_config=cfg.eval)
                label = "generated" if train_from == "generated" else "logged + generated"
                group = f"SQN on {label}, {name} sessions (gru4rec)"
                out.append(
                    {"name": target.name, "group": group, "seed": seed, "policy": str(target / "policy")}
                )
    return out


def evaluate_all(cfg: Any, data: Any, le_dir: Path, policies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from learec.platform.common.fields import replace
    from learec.platform.eval.baselines import popularity_score_fn
    from learec.platform.eval.protocol import evaluate
    from learec.platform.le.env.play import play, play_metrics, top_k_slates
    from learec.platform.le.env.world import LEWorld
    from learec.platform.sim.online_eval import evaluate_policy
    from learec.platform.sim.shop import SyntheticShop
    from learec.serve.policy import ExportedPolicy

    k, sessions, steps, seed = cfg.online.k, cfg.online.n_sessions, cfg.online.max_steps, cfg.seed
    world = LEWorld.build(le_dir, data.root, replace(cfg.le_env, max_steps=steps, slate_size=k))
    shop = SyntheticShop(cfg.shop)
    raw_ids = data.raw_ids()
    test = data.transitions("test")
    popularity = data.popularity()
    rows = []
    for p in policies:
        if p["policy"] == "pop":
            score = popularity_score_fn(popularity)
        else:
            score = ExportedPolicy.load(p["policy"]).score

        def recommend(histories: Any, k: int, score: Any = score) -> list[list[str]]:
            index = {r: i for i, r in enumerate(raw_ids)}
            states = np.full((len(histories), data.state_len), data.n_items, dtype=np.int64)
            for row, h in enumerate(histories):
                known = [index[r] for r in h if r in index][-data.state_len :]
                if known:
                    states[row, -len(known) :] = known
            return [[raw_ids[i] for i in s if i >= 0] for s in top_k_slates(score, k, data.n_items)(states)]

        true = evaluate_policy(recommend, shop, n_sessions=sessions, k=k, max_steps=steps, seed=seed)
        in_le = play_metrics(play(world, top_k_slates(score, k, world.pad_id), sessions, seed=seed), k)
        offline = evaluate(score, test, data.n_items, cfg.eval, popularity)
        rows.append({**p, "true": true, "le": in_le, "offline": offline})
        log.info("%s: LE %.3f, shop %.3f", p["name"], in_le["purchase_rate"], true["purchase_rate"])
    return rows


COLUMNS = {
    "LE purchase rate": ("le", "purchase_rate"),
    "LE exp.": ("le", "expected_purchase_rate"),
    "shop purchase rate": ("true", "purchase_rate"),
    "shop exp.": ("true", "expected_purchase_rate"),
    "gap (exp.)": None,
    "LE click rate": ("le", "expected_click_rate"),
    "shop click rate": ("true", "click_rate"),
    "NDCG@10 p": ("offline", "ndcg@10/purchase"),
    "NDCG@10 c": ("offline", "ndcg@10/click"),
}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        r["gap"] = r["le"]["expected_purchase_rate"] - r["true"]["expected_purchase_rate"]
        groups[r["group"]].append(r)
    table = {}
    for group, members in groups.items():
        entry = {"seeds": len(members)}
        for col, where in COLUMNS.items():
            values = [m["gap"] if where is None else m[where[0]][where[1]] for m in members]
            entry[col] = (float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0)
        table[group] = entry
    ref = next((g for g in table if g.startswith("CE ")), None)
    for group, entry in table.items():
        if ref is None or group == ref:
            entry["verdict"] = "reference" if group == ref else ""
            continue
        # better = a mean gain over CE larger than the seed spread (std) of either side, in each simulator
        le_better = entry["LE exp."][0] - table[ref]["LE exp."][0] > max(
            entry["LE exp."][1], table[ref]["LE exp."][1]
        )
        shop_better = entry["shop exp."][0] - table[ref]["shop exp."][0] > max(
            entry["shop exp."][1], table[ref]["shop exp."][1]
        )
        entry["verdict"] = {
            (True, False): LE_ONLY,
            (True, True): "better in both",
            (False, True): "shop only",
            (False, False): "not better",
        }[(le_better, shop_better)]
    names = list(table)
    return {
        "table": table,
        "reference": ref,
        "spearman_groups_expected": spearman(
            [table[g]["LE exp."][0] for g in names], [table[g]["shop exp."][0] for g in names]
        ),  # fmt: skip
        "spearman_models_expected": spearman(
            [r["le"]["expected_purchase_rate"] for r in rows],
            [r["true"]["expected_purchase_rate"] for r in rows],
        ),  # fmt: skip
        "spearman_models_realised": spearman(
            [r["le"]["purchase_rate"] for r in rows], [r["true"]["purchase_rate"] for r in rows]
        ),  # fmt: skip
    }


def markdown(summary: dict[str, Any]) -> str:
    cols = list(COLUMNS)
    lines = [
        "| model | seeds | " + " | ".join(cols) + " | verdict |",
        "|---|---|" + "---|" * len(cols) + "---|",
    ]
    for group, e in summary["table"].items():
        cells = [f"{e[c][0]:.3f} ± {e[c][1]:.3f}" if e["seeds"] > 1 else f"{e[c][0]:.3f}" for c in cols]
        lines.append(f"| {group} | {e['seeds']} | " + " | ".join(cells) + f" | {e['verdict']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "run", type=Path, help="a shop run folder (learec run --config experiments/le_env_shop.yaml)"
    )
    parser.add_argument("--seeds", default="0,1,2", help="training seeds of the new models")
    parser.add_argument(
        "--ppo-iterations", type=int, default=None, help="default: the run config's ppo.iterations"
    )
    parser.add_argument("--skip-ppo", action="store_true")
    parser.add_argument("--skip-generated", action="store_true")
    parser.add_argument(
        "--extra", action="append", default=[], help="NAME=POLICY_DIR, another policy (e.g. DPO)"
    )
    parser.add_argument("--out", type=Path, default=Path("experiments/results/le_env_gap.json"))
    parser.add_argument(
        "--summarise-only", action="store_true", help="rebuild the summary of --out from its per-model rows"
    )
    args = parser.parse_args()
    if args.summarise_only:
        from learec.platform.common.atomic import write_json

        result = json.loads(args.out.read_text(encoding="utf-8"))
        result["summary"] = summarise(result["models"])
        write_json(result, args.out)
        print(markdown(result["summary"]))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    from learec.platform.common.atomic import write_json

    run_root = args.run.resolve()
    cfg, data, le_dir = load_run(run_root)
    seeds = [int(s) for s in args.seeds.split(",")]
    started = time.perf_counter()
    policies = run_models(run_root)
    if not args.skip_ppo:
        iterations = args.ppo_iterations or cfg.ppo.iterations
        policies += train_ppo_models(cfg, run_root, data, le_dir, seeds, iterations, policies)
    if not args.skip_generated:
        policies += train_generated_models(cfg, run_root, data, le_dir, seeds, policies)
    for extra in args.extra:
        name, _, path = extra.partition("=")
        policies.append({"name": name, "group": name, "seed": 0, "policy": str(Path(path).resolve())})
    rows = evaluate_all(cfg, data, le_dir, policies)
    summary = summarise(rows)
    result = {
        "run": str(run_root),
        "le_env": cfg.le_env.__dict__,
        "ppo": cfg.ppo.__dict__
        if args.ppo_iterations is None
        else {**cfg.ppo.__dict__, "iterations": args.ppo_iterations},
        "protocol": {
            "k": cfg.online.k,
            "sessions": cfg.online.n_sessions,
            "max_steps": cfg.online.max_steps,
            "seed": cfg.seed,
        },  # fmt: skip
        "wall_s": time.perf_counter() - started,
        "summary": summary,
        "models": rows,
    }
    write_json(result, args.out)
    print(markdown(summary))
    print(f"Spearman (groups, expected rates): {summary['spearman_groups_expected']:.3f}; "
          f"(models, expected): {summary['spearman_models_expected']:.3f}; "
          f"(models, realised): {summary['spearman_models_realised']:.3f}")  # fmt: skip
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
