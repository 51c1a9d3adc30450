"""Every trial of a finished sweep as JSON: its sampled settings and its last validation figures.

    python experiments/sweep_trials.py runs/equal_budget_rowdrop/shop/sweeps/lea-weight-sqn-sasrec \\
        --out experiments/results/lea_weight_shop.json

``results.csv`` holds the sweep's metric only; this reads each trial's last Tune result, so the click,
new-item click and coverage figures that the metric did not select on are kept too.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from learec.platform.common import atomic

KEPT = (
    "val/ndcg@10/purchase",
    "val/ndcg@10/click",
    "val/ndcg@10/new_click",
    "val/hr@10/purchase",
    "val/coverage@20",
    "training_iteration",
)


def trials(sweep: Path) -> list[dict]:
    rows = []
    for trial in sorted((sweep / "tune").glob("trial_*")):
        lines = (trial / "result.json").read_text().strip().splitlines()
        if not lines:
            continue
        last = json.loads(lines[-1])
        params = json.loads((trial / "params.json").read_text())
        rows.append({"trial": trial.name, "params": params, **{k: last.get(k) for k in KEPT}})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", type=Path, help="a sweep folder: runs/<name>/sweeps/<sweep>")
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    args = parser.parse_args()
    if not (args.sweep / "tune").is_dir():
        sys.exit(f"{args.sweep}: not a sweep folder (no tune/ inside); give runs/<name>/sweeps/<sweep>")
    rows = trials(args.sweep)
    atomic.write_json({"sweep": str(args.sweep), "trials": rows}, args.out)
    for r in rows:
        print(r["params"], {k: round(v, 4) for k, v in r.items() if k.startswith("val/") and v is not None})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
