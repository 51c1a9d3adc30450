"""The issue-6 figure: purchase NDCG@10 (test, full ranking) and the online purchase rate per model,
one bar per backbone, mean ± std over seeds, from one finished `learec run` folder.

    python experiments/rl_plots.py runs/shop_rl docs/experiments/shop_rl/target.png
    python experiments/rl_plots.py runs/movielens_rl docs/experiments/movielens_rl/target.png

Only models with every seed of the run's main grid are drawn by default (`--min-seeds`), so single-seed
ablation cells sharing the folder do not sit next to 3-seed means unmarked.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from rl_table import ORDER  # same folder: the table's row order

from learec.platform.eval.plots import grouped_bars
from learec.platform.eval.protocol import aggregate_seeds
from learec.platform.jobs.pipeline import load_results


def panels(run_dir: Path, min_seeds: int) -> dict[str, dict[str, dict[str, tuple[float, float]]]]:
    by: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in load_results(run_dir):
        by[(r["model"], r["backbone"])].append(r)
    pop = by.pop(("Most popular", "-"), [])
    backbones = sorted({b for _, b in by})
    keep = {k: v for k, v in by.items() if len(v) >= min_seeds}
    models = sorted({m for m, _ in keep}, key=lambda m: (ORDER.index(m) if m in ORDER else len(ORDER), m))
    out: dict[str, dict[str, dict[str, tuple[float, float]]]] = {"test purchase NDCG@10": {}}
    online = any(r.get("online") for rs in keep.values() for r in rs)
    if online:
        out["online purchase rate"] = {}
    for backbone in backbones:
        for panel in out:
            out[panel][backbone] = {}
        for m in ["Most popular", *models] if pop else models:
            recs = pop if m == "Most popular" else keep.get((m, backbone))
            if not recs:
                continue
            ndcg = aggregate_seeds([{"v": r["offline"]["ndcg@10/purchase"]} for r in recs])["v"]
            out["test purchase NDCG@10"][backbone][m] = ndcg
            if online:
                rate = aggregate_seeds([{"v": r["online"]["purchase_rate"]} for r in recs])["v"]
                out["online purchase rate"][backbone][m] = rate
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="run folder (runs/<name>)")
    parser.add_argument("out", type=Path, help="PNG to write")
    parser.add_argument("--min-seeds", type=int, default=3, help="draw models with at least this many seeds")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    grouped_bars(panels(args.run, args.min_seeds), args.out, title=f"{args.run.name}: mean ± std over seeds")


if __name__ == "__main__":
    main()
