"""The sim-to-real gap of the LE environment: each policy's purchase rate in the LE next to its true rate in
the shop simulator, and which policies win only in the LE.

Both simulators are played with one protocol (``online.n_sessions`` sessions seeded by the run's ``seed``,
top-``online.k`` slates outside the history, at most ``online.max_steps`` steps); "purchase rate" is
purchases of recommended items per slate shown, "exp." the same in expectation over the users' dice. A
policy is *better* than the reference (CE) in a simulator when its mean gain exceeds the seed spread (std)
of either side (so a verdict needs two seeds on both sides); one better in the LE but not in the shop is
flagged "LE only": the simulator's errors, not the users, made it look good.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from learec.platform.le.env.play import ScoreFn
    from learec.platform.le.env.world import LEWorld

LE_ONLY = "LE only"
REFERENCE = "reference"
VERDICTS = {
    (True, False): LE_ONLY,
    (True, True): "better in both",
    (False, True): "shop only",
    (False, False): "not better",
}

# column -> (simulator, metric); None: the gap LE - shop of the expected purchase rates
COLUMNS: dict[str, tuple[str, str] | None] = {
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


def play_in_le(world: LEWorld, score_fn: ScoreFn, n_sessions: int, k: int, seed: int) -> dict[str, float]:
    """A scoring policy's figures over ``n_sessions`` LE sessions showing its top-``k`` outside the state
    (``world`` built with ``slate_size=k``; ``play.play_metrics``)."""
    from learec.platform.le.env.play import play, play_metrics, top_k_slates

    return play_metrics(play(world, top_k_slates(score_fn, k, world.pad_id), n_sessions, seed=seed), k)


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 0..n-1, ties sharing their mean rank."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x))
    _, inverse = np.unique(x, return_inverse=True)
    return np.array([ranks[inverse == inverse[i]].mean() for i in range(len(x))])


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman's rank correlation (average ranks for ties); NaN below 3 points or for a constant side."""
    if len(a) < 3:
        return float("nan")
    ra, rb = _ranks(np.asarray(a, float)), _ranks(np.asarray(b, float))
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def first_ce(groups: Sequence[str]) -> Callable[[str], str | None]:
    """The reference of every group: the first group named ``CE ...``."""
    ref = next((g for g in groups if g.startswith("CE ")), None)
    return lambda group: ref


def summarise(
    rows: Sequence[Mapping[str, Any]],
    reference_of: Callable[[Sequence[str]], Callable[[str], str | None]] = first_ce,
) -> dict[str, Any]:
    """Rows ``{group, le: {...}, true: {...}, offline: {...}}`` (one per model and seed) -> the table (mean,
    std per column and group; a verdict against each group's reference) and Spearman correlations between
    the LE and the shop rates."""
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r["group"]].append(r)

    def value(r: Mapping[str, Any], where: tuple[str, str] | None) -> float:
        if where is None:
            return float(r["le"]["expected_purchase_rate"] - r["true"]["expected_purchase_rate"])
        return float(r[where[0]].get(where[1], float("nan")))

    table: dict[str, dict[str, Any]] = {}
    for group, members in groups.items():
        entry: dict[str, Any] = {"seeds": len(members)}
        for col, where in COLUMNS.items():
            values = [value(m, where) for m in members]
            entry[col] = (float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0)
        table[group] = entry
    reference = reference_of(list(table))
    for group, entry in table.items():
        ref = reference(group)
        entry["reference"] = ref
        if ref is None or ref not in table or group == ref:
            entry["verdict"] = REFERENCE if group == ref else ""
            continue
        if min(entry["seeds"], table[ref]["seeds"]) < 2:  # no seed spread to beat: no verdict
            entry["verdict"] = "n/a (1 seed)"
            continue
        better = [
            entry[col][0] - table[ref][col][0] > max(entry[col][1], table[ref][col][1])
            for col in ("LE exp.", "shop exp.")
        ]
        entry["verdict"] = VERDICTS[(better[0], better[1])]
    names = list(table)
    return {
        "table": table,
        "spearman_groups_expected": spearman(
            [table[g]["LE exp."][0] for g in names], [table[g]["shop exp."][0] for g in names]
        ),
        "spearman_models_expected": spearman(
            [r["le"]["expected_purchase_rate"] for r in rows],
            [r["true"]["expected_purchase_rate"] for r in rows],
        ),
        "spearman_models_realised": spearman(
            [r["le"]["purchase_rate"] for r in rows], [r["true"]["purchase_rate"] for r in rows]
        ),
    }


def markdown(summary: Mapping[str, Any], columns: Sequence[str] = tuple(COLUMNS)) -> str:
    """The summary's table: mean ± std over seeds per column, and the verdict."""
    lines = [
        "| model | seeds | " + " | ".join(columns) + " | verdict |",
        "|---|---|" + "---|" * len(columns) + "---|",
    ]
    for group, e in summary["table"].items():
        cells = [f"{e[c][0]:.3f} ± {e[c][1]:.3f}" if e["seeds"] > 1 else f"{e[c][0]:.3f}" for c in columns]
        lines.append(f"| {group} | {e['seeds']} | " + " | ".join(cells) + f" | {e['verdict']} |")
    return "\n".join(lines)
