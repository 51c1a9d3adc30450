"""Per-model results of a ``learec run`` with LE-environment cells (issue 15) as JSON and one markdown table.

    learec run --config experiments/le_models_shop.yaml
    python experiments/le_models_table.py runs/le_models_shop --out experiments/results/le_models_shop.json

Offline NDCG@10 on the test split (purchase, click, click on a new item: one not in the state), mean ± std
over seeds; on the shop also the true online purchase rate, the purchase rate in the LE environment and the
sim-to-real verdict (``platform/eval/sim_to_real.py``, as in the run's report).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

OFFLINE = {"NDCG@10 purchase": "ndcg@10/purchase", "NDCG@10 click": "ndcg@10/click",
           "NDCG@10 new-item click": "ndcg@10/new_click"}  # fmt: skip


def mean_std(values: list[float]) -> tuple[float, float]:
    return float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def table(run_root: Path) -> dict[str, Any]:
    from learec.platform.jobs.pipeline import load_results
    from learec.platform.jobs.run_report import display_name, load_le_view, sim_to_real_summary

    records = load_results(run_root)
    le_view = load_le_view(run_root)
    gap = sim_to_real_summary(records, le_view)
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault(display_name(r), []).append(r)
    out: dict[str, Any] = {}
    for name, rs in groups.items():
        row: dict[str, Any] = {"seeds": len(rs)}
        for col, key in OFFLINE.items():
            row[col] = mean_std([r["offline"].get(key, float("nan")) for r in rs])
        if rs[0].get("online"):
            row["shop purchase rate"] = mean_std([r["online"]["purchase_rate"] for r in rs])
        if gap is not None and name in gap["table"]:
            row["LE purchase rate"] = gap["table"][name]["LE purchase rate"]
            row["verdict"] = gap["table"][name]["verdict"]
        out[name] = row
    return {
        "run": str(run_root),
        "table": out,
        "sim_to_real": gap,
        "models": [
            {
                k: r.get(k)
                for k in (
                    "model_id",
                    "model",
                    "kind",
                    "algo",
                    "variant",
                    "backbone",
                    "seed",
                    "offline",
                    "online",
                    "off_policy",
                    "export_dir",
                )
            }
            | ({"le_env": le_view[r["model_id"]]} if r["model_id"] in le_view else {})
            for r in records
        ],  # fmt: skip
    }


def markdown(result: dict[str, Any]) -> str:
    rows = result["table"]
    cols = list(OFFLINE)
    if any("shop purchase rate" in r for r in rows.values()):
        cols += ["shop purchase rate", "LE purchase rate"]
    verdict = any("verdict" in r for r in rows.values())
    lines = ["| model | seeds | " + " | ".join(cols) + (" | verdict |" if verdict else " |"),
             "|---|---|" + "---|" * (len(cols) + verdict)]  # fmt: skip
    for name, r in rows.items():
        cells = []
        for c in cols:
            if c not in r:
                cells.append("-")
            else:
                m, s = r[c]
                cells.append(f"{m:.3f} ± {s:.3f}" if r["seeds"] > 1 else f"{m:.3f}")
        tail = f" {r.get('verdict', '')} |" if verdict else ""
        lines.append(f"| {name} | {r['seeds']} | " + " | ".join(cells) + " |" + tail)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a run folder of experiments/le_models_*.yaml")
    parser.add_argument("--out", type=Path, required=True, help="the JSON file to write")
    args = parser.parse_args()
    from learec.platform.common.atomic import write_json

    result = table(args.run.resolve())
    write_json(result, args.out)
    print(markdown(result))
    gap = result["sim_to_real"]
    if gap is not None:
        print(f"Spearman LE vs shop (expected rates): models x seeds {gap['spearman_models_expected']:.2f}, "
              f"models {gap['spearman_groups_expected']:.2f}")  # fmt: skip
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
