"""A compact table of chosen models of a finished `learec run` folder, paired comparisons, and their JSON.

    python experiments/algo_compare.py runs/shop_algos --models SQN+LEA SQN+LEA-affine SQN+LEA-sigmoid \
        --pairs "SQN+LEA-affine:SQN+LEA" "SQN+LEA-sigmoid:SQN+LEA" --json experiments/results/lea_rewards.json

One row per model and backbone (mean ± std over its seeds): NDCG@10 on val and test for purchase targets,
click targets and new-item click targets (the target is not in the state; on the shop every purchase
repeats the last click, so new-item purchase groups are empty), and the shop's online purchase rate
(purchases per slate shown to simulated users) and its expectation under the simulator's purchase model.
``--pairs A:B`` adds A minus B on the test split per target group: the difference of mean NDCG@10 with a
95 % interval from a bootstrap over test sessions (per-event values averaged over seeds; a tie when the
interval holds 0), and how many seeds agree in sign. ``--json`` writes every seed's figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from learec.platform.eval.protocol import aggregate_seeds, format_mean_std
from learec.platform.eval.significance import EventResults, paired_bootstrap
from learec.platform.jobs.pipeline import load_results

GROUPS = ("purchase", "click", "new_click")
ONLINE = ("purchase_rate", "expected_purchase_rate")


def _val(record: dict) -> dict:
    path = Path(record.get("export_dir", "")).parent / "metrics.json"
    return json.loads(path.read_text())["val"] if path.is_file() else {}


def _name(record: dict) -> str:
    return record["model"] if record["backbone"] == "-" else f"{record['model']} ({record['backbone']})"


def collect(run: Path, models: list[str]) -> dict[str, list[dict]]:
    """``{display name: [record + its val metrics, one per seed]}`` for the wanted model labels, in order."""
    groups: dict[str, list[dict]] = {}
    records = [r for r in load_results(run) if r["model"] in models]
    for r in sorted(records, key=lambda r: (r["backbone"], models.index(r["model"]), r["seed"])):
        groups.setdefault(_name(r), []).append({**r, "val": _val(r)})
    return groups


def table(groups: dict[str, list[dict]]) -> str:
    header = ["model", "seeds"]
    header += [f"{split} NDCG@10 {g}" for split in ("val", "test") for g in GROUPS]
    header += ["online purchase rate", "expected purchase rate"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, records in groups.items():
        cells = []
        for split in ("val", "offline"):
            stats = aggregate_seeds([r[split] for r in records])
            cells += [format_mean_std(*stats[f"ndcg@10/{g}"], digits=3) for g in GROUPS]
        online = aggregate_seeds([r["online"] for r in records]) if all(r["online"] for r in records) else {}
        cells += [format_mean_std(*online[k], digits=3) if k in online else "–" for k in ONLINE]
        lines.append("| " + " | ".join([name, str(len(records)), *cells]) + " |")
    return "\n".join(lines) + "\n"


def comparisons(groups: dict[str, list[dict]], pairs: list[str]) -> str:
    lines = ["| A − B | " + " | ".join(f"Δ test NDCG@10 {g}" for g in GROUPS) + " |", "|---|---|---|---|"]
    for pair in pairs:
        a, _, b = pair.partition(":")
        for backbone in sorted({n.rsplit(" (", 1)[1][:-1] for n in groups if " (" in n}):
            a_name, b_name = f"{a} ({backbone})", f"{b} ({backbone})"
            if a_name not in groups or b_name not in groups:
                continue
            a_runs = [EventResults.load(Path(r["test_ranks"])) for r in groups[a_name]]
            b_runs = [EventResults.load(Path(r["test_ranks"])) for r in groups[b_name]]
            cells = [paired_bootstrap(a_runs, b_runs, "ndcg", 10, g).text() for g in GROUPS]
            lines.append(f"| {a_name} − {b} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="run folder (runs/<name>)")
    parser.add_argument("--models", nargs="+", required=True, help="model labels, e.g. CE SQN+LEA DPO")
    parser.add_argument("--pairs", nargs="*", default=[], help="A:B comparisons on the test split")
    parser.add_argument("--json", type=Path, help="write every seed's val/test/online figures here")
    args = parser.parse_args()
    groups = collect(args.run, args.models)
    sys.stdout.write(table(groups))
    if args.pairs:
        sys.stdout.write("\n" + comparisons(groups, args.pairs))
    if args.json:
        keep = ("model", "algo", "variant", "backbone", "seed", "val", "offline", "online", "off_policy")
        doc = {r["model_id"]: {k: r.get(k) for k in keep} for rs in groups.values() for r in rs}
        args.json.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
