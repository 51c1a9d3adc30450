"""Val (and, for the record, test) NDCG@10 of the DPO settings experiments/dpo_val.sh trained.

python experiments/dpo_val_table.py runs/dpo_val [runs/shop_algos/models/ce-base-gru4rec-s0]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

GROUPS = ("purchase", "click", "new_click")


def main() -> None:
    rows = ["| setting | " + " | ".join(f"val NDCG@10 {g}" for g in GROUPS) + " |", "|---|---|---|---|"]
    for arg in sys.argv[1:]:
        folders = [Path(arg)] if (Path(arg) / "metrics.json").is_file() else sorted(Path(arg).iterdir())
        for folder in folders:
            doc = json.loads((folder / "metrics.json").read_text())
            cells = [f"{doc['val'][f'ndcg@10/{g}']:.3f}" for g in GROUPS]
            rows.append(f"| {folder.name} | " + " | ".join(cells) + " |")
    sys.stdout.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
