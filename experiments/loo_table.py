"""NDCG@10 on clicks, purchases and all events of finished `learec run` folders, from the models' stored
per-event test results, with each model compared to a reference model (EXPERIMENTS.md, "LEA under the
default budget on a leave-one-out log").

    python experiments/loo_table.py runs/movielens_loo runs/movielens_loo_200it runs/movielens_loo_10ep \
        runs/movielens_loo_selall --reference sqn-base-gru4rec --out experiments/results/movielens_loo.json

Reads ``models/<model>-s<seed>/test_ranks.npz`` (written by every training job), so runs made before the
"all events" group existed are scored the same way as new ones.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from learec.platform.eval.protocol import ALL_EVENTS
from learec.platform.eval.significance import TEST_RANKS, EventResults, compare_models

GROUPS = ("click", "purchase", ALL_EVENTS)


def per_model(run: Path) -> dict[str, list[EventResults]]:
    """``{model: [EventResults per seed]}`` of a run folder's seeded models."""
    out: dict[str, list[EventResults]] = defaultdict(list)
    for path in sorted(run.glob(f"models/*-s*/{TEST_RANKS}")):
        model = re.sub(r"-s\d+$", "", path.parent.name)
        out[model].append(EventResults.load(path))
    return dict(out)


def summarise(runs: dict[str, list[EventResults]], reference: str) -> dict[str, Any]:
    """NDCG@10 mean ± std over seeds per group, and the comparison of each model with ``reference``."""
    table: dict[str, Any] = {}
    for model, seeds in runs.items():
        row: dict[str, Any] = {"seeds": len(seeds)}
        for group in GROUPS:
            values = [float(r.values("ndcg", 10)[r.mask(group)].mean()) for r in seeds]
            row[f"ndcg@10/{group}"] = [float(np.mean(values)), float(np.std(values, ddof=1))]
        table[model] = row
    if reference in runs:
        for model, by_group in compare_models(runs, reference, groups=GROUPS).items():
            table[model]["vs_reference"] = {g: c.text() for g, c in by_group.items()}
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders (runs/<name>)")
    parser.add_argument(
        "--reference", default="sqn-base-gru4rec", help="the model the others are compared with"
    )
    parser.add_argument("--out", type=Path, required=True, help="the JSON file to write")
    args = parser.parse_args()
    results = {run.name: summarise(per_model(run), args.reference) for run in args.runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"reference": args.reference, "runs": results}, indent=2) + "\n")
    for name, table in results.items():
        print(
            f"\n{name}\n\n| model | "
            + " | ".join(f"NDCG@10 {g}" for g in GROUPS)
            + f" | vs {args.reference} (all) |"
        )
        print("|---|" + "---:|" * len(GROUPS) + "---|")
        for model, row in table.items():
            cells = " | ".join(f"{row[f'ndcg@10/{g}'][0]:.4f} ± {row[f'ndcg@10/{g}'][1]:.4f}" for g in GROUPS)
            print(f"| {model} | {cells} | {row.get('vs_reference', {}).get(ALL_EVENTS, '–')} |")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
