"""Markdown tables for EXPERIMENTS.md from finished `learec run` folders.

    python experiments/rl_table.py runs/shop_rl > /tmp/tables.md
    python experiments/rl_table.py runs/shop_rl --seeds 0      # the single-seed ablation
    python experiments/rl_table.py runs/shop_rl --compact      # purchase/click NDCG@10 and online only

One row per model (mean ± std over its seeds): HR@10/20 and NDCG@10/20 for purchases and clicks on the test
split (full ranking), plus the simulator's online purchase rate (purchases per shown slate) and its
expectation under the simulator's purchase model (lower variance) when the run has one. Also prints the
validation NDCG@10 (purchase) so that choices can be made on validation, never on test.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from learec.platform.eval.protocol import aggregate_seeds, format_mean_std
from learec.platform.jobs.pipeline import load_results

COLUMNS = [
    (f"{m}@{k}/{e}", f"{m.upper() if m == 'hr' else 'NDCG'}@{k} {e[0]}")
    for e in ("purchase", "click")
    for m in ("hr", "ndcg")
    for k in (10, 20)
]
COMPACT = ["hr@10/purchase", "ndcg@10/purchase", "ndcg@10/click"]
# Row order: baseline, then each algorithm without and with each LE hook.
ORDER = [
    "Most popular",
    "CE",
    *(
        f"{algo}{hook}"
        for algo in ("SQN", "SNQN", "SA2C", "CQL", "DPO")
        for hook in ("", "+LE-state", "+LE-reward", "+LEA", "+LEA-affine", "+LEA-sigmoid")
    ),
]


def _order(record: dict) -> tuple[str, int, str]:
    model = record["model"]
    return (record["backbone"], ORDER.index(model) if model in ORDER else len(ORDER), model)


def _val_ndcg(record: dict) -> float | None:
    path = Path(record.get("export_dir", "")).parent / "metrics.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text())["val"].get("ndcg@10/purchase")


def table(run_dirs: list[Path], seeds: set[int] | None = None, compact: bool = False) -> str:
    columns = [c for c in COLUMNS if c[0] in COMPACT] if compact else COLUMNS
    groups: dict[str, list[dict]] = {}
    for run in run_dirs:
        for r in sorted(load_results(run), key=_order):
            if seeds is not None and r["backbone"] != "-" and r["seed"] not in seeds:
                continue
            name = r["model"] if r["backbone"] == "-" else f"{r['model']} ({r['backbone']})"
            if r["backbone"] == "-" and name in groups:
                continue  # the popularity baseline appears once per run folder
            groups.setdefault(name, []).append(r)
    online = any(r.get("online") for rs in groups.values() for r in rs)
    header = ["model", "seeds", *[c for _, c in columns], "val NDCG@10 p"] + (
        ["online purchase rate", "expected purchase rate"] if online else []
    )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, records in groups.items():
        stats = aggregate_seeds([r["offline"] for r in records])
        cells = [format_mean_std(*stats[key], digits=3) for key, _ in columns]
        vals = [v for v in (_val_ndcg(r) for r in records) if v is not None]
        cells.append(
            format_mean_std(*aggregate_seeds([{"v": v} for v in vals])["v"], digits=3) if vals else "–"
        )
        if online:
            for key in ("purchase_rate", "expected_purchase_rate"):
                on = aggregate_seeds([{"p": r["online"][key]} for r in records])["p"]
                cells.append(format_mean_std(*on, digits=3))
        lines.append("| " + " | ".join([name, str(len(records)), *cells]) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders (runs/<name>)")
    parser.add_argument("--seeds", type=int, nargs="+", help="only these training seeds (default: all)")
    parser.add_argument("--compact", action="store_true", help="HR@10/NDCG@10 purchase, NDCG@10 click only")
    args = parser.parse_args()
    sys.stdout.write(table(args.runs, set(args.seeds) if args.seeds else None, args.compact))


if __name__ == "__main__":
    main()
