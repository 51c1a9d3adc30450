"""The sim-to-real gap of the LE environment on the synthetic shop (issue 15), as a JSON file.

``learec run`` trains the PPO and generated-trajectory cells (``experiment.ppo_from``,
``experiment.generated``) and plays every model in the LE environment (``platform/eval/sim_to_real.py``);
this script collects those figures into one JSON file with every seed, plus policies from outside the run
(``--extra NAME=POLICY_DIR``, played in both simulators with the run's protocol).

    learec run --config experiments/le_env_shop.yaml
    python experiments/le_env_gap.py runs/le_env [--extra dpo=runs/x/models/dpo-base-gru4rec-s0/policy]
        [--out experiments/results/le_env_gap.json]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any


def run_rows(run_root: Path) -> list[dict[str, Any]]:
    """One row per model and seed of the run that was played in the LE: ``{name, group, seed, le, true,
    offline}``."""
    from learec.platform.jobs.pipeline import load_results
    from learec.platform.jobs.run_report import display_name, load_le_view

    le_view = load_le_view(run_root)
    return [
        {"name": r["model_id"], "group": display_name(r), "seed": r["seed"], "le": le_view[r["model_id"]],
         "true": r["online"], "offline": r["offline"]}
        for r in load_results(run_root)
        if r["model_id"] in le_view and r.get("online")
    ]  # fmt: skip


def extra_rows(cfg: Any, run_root: Path, extras: list[str]) -> list[dict[str, Any]]:
    """``NAME=POLICY_DIR`` policies played in the LE and the shop with the run's protocol."""
    from learec.platform.common.fields import replace
    from learec.platform.data.prepare import load_prepared
    from learec.platform.eval.protocol import evaluate
    from learec.platform.eval.sim_to_real import play_in_le
    from learec.platform.jobs.le_env_jobs import load_world
    from learec.platform.sim.online_eval import evaluate_policy
    from learec.platform.sim.shop import SyntheticShop
    from learec.serve.policy import ExportedPolicy

    if not extras:
        return []
    online = cfg.online
    env = replace(cfg.le_env, max_steps=online.max_steps, slate_size=online.k)
    world, data = load_world(run_root / "le" / "checkpoint", run_root / "data", env)
    data = load_prepared(run_root / "data")
    shop = SyntheticShop(cfg.shop)
    rows = []
    for extra in extras:
        name, _, path = extra.partition("=")
        policy = ExportedPolicy.load(Path(path).resolve())

        def recommend(histories: Any, k: int, policy: Any = policy) -> list[list[str]]:
            return [[r for r, _ in recs] for recs in policy.recommend_detailed(histories, k).items]

        true = evaluate_policy(recommend, shop, n_sessions=online.n_sessions, k=online.k,
                               max_steps=online.max_steps, seed=cfg.seed)  # fmt: skip
        le = play_in_le(world, policy.score, online.n_sessions, online.k, cfg.seed)
        offline = evaluate(policy.score, data.transitions("test"), data.n_items, cfg.eval, data.popularity())
        rows.append({"name": name, "group": name, "seed": 0, "le": le, "true": true, "offline": offline})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "run", type=Path, help="a shop run folder (learec run --config experiments/le_env_shop.yaml)"
    )
    parser.add_argument("--extra", action="append", default=[], help="NAME=POLICY_DIR, another policy")
    parser.add_argument("--out", type=Path, default=Path("experiments/results/le_env_gap.json"))
    args = parser.parse_args()
    from learec.platform.common.atomic import write_json
    from learec.platform.eval.sim_to_real import markdown, summarise
    from learec.platform.jobs.config import RunConfig
    from learec.platform.jobs.config_file import build_config

    run_root = args.run.resolve()
    cfg = build_config(RunConfig, run_root / "resolved.yaml", {})
    if cfg.data.source != "shop":
        raise SystemExit(f"{run_root} is not a shop run: the sim-to-real gap needs the shop's ground truth")
    started = time.perf_counter()
    rows = run_rows(run_root)
    if not rows:
        raise SystemExit(f"{run_root} has no models played in the LE: set experiment.ppo_from or generated")
    rows += extra_rows(cfg, run_root, args.extra)
    summary = summarise(rows)
    result = {
        "run": str(run_root),
        "le_env": cfg.le_env.__dict__,
        "ppo": cfg.ppo.__dict__,
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
