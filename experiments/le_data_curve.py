"""The LE against counting as the LE's share of users grows (EXPERIMENTS.md, "The LE against counting").

Reads the runs of ``le_quality.py`` at several ``--user-fraction`` values (the ``tiny@...`` keys of one
dataset in ``experiments/results/le_quality.json``) and writes a table (stdout) and a plot: the LE's
test pair accuracy (mean ± std over LE seeds) next to co-occurrence and popularity fitted on the same
users and on every training user.

    python experiments/le_data_curve.py --dataset movielens \
        --out experiments/results/le_data_curve_movielens.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FRACTION = 0.1  # LEConfig().user_fraction: keys without an ``f`` part ran at it


def _fraction(key: str) -> float | None:
    """``tiny@s2000,f0.5,item_words=...`` -> 0.5; ``tiny@item_words=...`` -> the default; None otherwise."""
    backbone, _, rest = key.partition("@")
    if backbone != "tiny":
        return None
    parts = rest.split(",") if rest else []
    found = [float(p[1:]) for p in parts if p.startswith("f") and p[1:].replace(".", "").isdigit()]
    return found[0] if found else DEFAULT_FRACTION


def curve(results: dict, dataset: str, suffix: str) -> list[tuple[float, str, dict]]:
    """``(fraction, key, metrics)`` of every key of ``dataset`` ending with ``suffix``, by fraction."""
    rows = []
    for key, metrics in results.get(dataset, {}).items():
        fraction = _fraction(key)
        if fraction is not None and key.endswith(suffix) and "le/pair_acc_std" in metrics:
            rows.append((fraction, key, metrics))
    return sorted(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=REPO / "experiments" / "results" / "le_quality.json")
    parser.add_argument("--dataset", default="movielens")
    parser.add_argument(
        "--suffix",
        default="item_words=fields,item_row_dropout=0.3",
        help="the LE settings of the curve: keys that end with them",
    )
    parser.add_argument("--out", type=Path, required=True, help="the plot (.png)")
    args = parser.parse_args()
    rows = curve(json.loads(args.results.read_text()), args.dataset, args.suffix)
    if not rows:
        raise SystemExit(f"no {args.dataset} keys ending with {args.suffix!r} in {args.results}")

    print("| users | LE | co-occurrence, same users | co-occurrence, all | popularity, same users | key |")
    print("|---:|---:|---:|---:|---:|---|")
    for fraction, key, m in rows:
        print(
            f"| {fraction:.0%} | {m['le/pair_acc']:.3f} ± {m['le/pair_acc_std']:.3f} | "
            f"{m['cooc_subset/pair_acc']:.3f} | {m['cooc/pair_acc']:.3f} | "
            f"{m['pop_subset/pair_acc']:.3f} | `{key}` |"
        )

    x = [r[0] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4))
    le = [r[2]["le/pair_acc"] for r in rows]
    ax.errorbar(x, le, yerr=[r[2]["le/pair_acc_std"] for r in rows], marker="o", capsize=3, label="LE")
    ax.plot(x, [r[2]["cooc_subset/pair_acc"] for r in rows], marker="s", label="co-occurrence, same users")
    ax.plot(x, [r[2]["pop_subset/pair_acc"] for r in rows], marker="^", label="popularity, same users")
    ax.axhline(rows[0][2]["cooc/pair_acc"], color="grey", ls="--", label="co-occurrence, all training users")
    ax.set_xscale("log")
    ax.set_xticks(x, [f"{f:.0%}" for f in x])
    ax.set_xlabel("share of training users the scorer is fitted on")
    ax.set_ylabel("test pair accuracy")
    ax.set_title(f"{args.dataset}: the LE against counting, by data")
    ax.legend(fontsize=8)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
