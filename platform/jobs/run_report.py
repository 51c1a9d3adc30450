"""Assemble a run's ``report.md`` from what its stages stored under ``runs/<name>/metrics/``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from learec.platform.eval.report import RunReport, write_report
from learec.platform.le.quality_check import weak_le_warning

# The simulator returns more; these are the ones a reader compares (the JSON files keep the rest).
ONLINE_COLUMNS = (
    "purchase_rate",
    "purchases_per_session",
    "clicks_per_session",
    "mean_slate_utility",
    "ndcg_true@10",
    "expected_purchase_rate",
)

TRUE_VALUE = "expected_purchase_rate"  # the online figure off-policy estimates are checked against
SIGNIFICANCE_KEY = "ndcg@10/purchase"  # picks the reference baseline
NON_RL = ("pop", "ce")

INTRO = (
    "Offline-RL recommenders trained from logged sessions, with a language-model environment (LE) that "
    "labels the logs (LEA). Offline metrics use full ranking over all items on the test split, separately "
    "for click and purchase targets (SQN protocol); online metrics replay simulated users of the "
    "synthetic shop against each policy's top-k."
)


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _le_section(le: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {k} | {v:.4f} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in sorted(le.items())
    )
    return (
        "Quality of the LE on held-out test sessions (never used to adapt it). Pairwise accuracy: how "
        "often the reward model scores the next item above a random un-interacted item, next to a "
        "popularity and a co-occurrence scorer on the same pairs. On the synthetic shop, the LE reward is "
        "also compared with the true utility (Spearman) and its positive actions with the true top-k.\n\n"
        "| metric | value |\n|---|---|\n"
        + rows
        + (f"\n\n**Warning**: {warning}." if (warning := weak_le_warning(le)) else "")
    )


def _labeling_section(lab: dict[str, Any]) -> str:
    keys = (
        "rows_labeled",
        "rows_total",
        "parts_done",
        "parts_skipped",
        "wall_time_s",
        "rows_per_s",
        "tokens_processed",
        "actors",
        "device",
        "gpu_hours",
        "label_version",
    )
    rows = "\n".join(f"| {k} | {lab[k]} |" for k in keys if k in lab)
    return "Cost of labeling the training transitions with the LE on a Ray Data actor pool.\n\n" + (
        "| field | value |\n|---|---|\n" + rows
    )


def display_name(record: dict[str, Any]) -> str:
    return record["model"] + ("" if record["backbone"] == "-" else f" ({record['backbone']})")


def _off_policy_section(records: list[dict[str, Any]]) -> str | None:
    """Each estimator next to the simulator's true value, then each estimator's error over the policies."""
    import numpy as np

    from learec.platform.eval.off_policy import ESTIMATORS, estimator_errors

    by_model: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        if r.get("off_policy") and r.get("online", {}).get(TRUE_VALUE) is not None:
            by_model.setdefault(display_name(r), []).append(r)
    if len(by_model) < 1:
        return None
    estimated = {
        m: {e: float(np.mean([r["off_policy"][e] for r in rs])) for e in ESTIMATORS}
        for m, rs in by_model.items()
    }
    truth = {m: float(np.mean([r["online"][TRUE_VALUE] for r in rs])) for m, rs in by_model.items()}
    rows = [
        f"| {m} | " + " | ".join(f"{estimated[m][e]:.4f}" for e in ESTIMATORS) + f" | {truth[m]:.4f} |"
        for m in by_model
    ]
    errors = estimator_errors(estimated, truth)
    err_rows = [
        f"| {e.upper()} | {v['mae']:.4f} | {v['mean_relative_error']:.1%} | {v['kendall_tau']:.2f} |"
        for e, v in errors.items()
    ]
    n_steps = next(iter(by_model.values()))[0]["off_policy"].get("n_steps", 0)
    return (
        f"Purchases per slate of each policy estimated from {n_steps:,.0f} held-out logged steps of the "
        "shop (the logging recommender's slates and exposure propensities), with the item-level IPS, "
        "SNIPS and doubly robust estimators (`platform/eval/off_policy.py`), next to the true value: the "
        "expected purchases per slate in the online simulator. Mean over seeds.\n\n"
        "| model | IPS | SNIPS | DR | true |\n|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
        "How far each estimator is from the truth over these policies (Kendall's tau: 1 means it orders "
        "the policies as the simulator does). Item-level estimators add up each item's value as if the "
        "items of a slate did not compete for one click, and the logged users could leave a slate for "
        "their own search, so absolute values run high; what they are good for is the ordering.\n\n"
        "| estimator | mean abs. error | mean rel. error | Kendall tau |\n|---|---|---|---|\n"
        + "\n".join(err_rows)
    )


def _significance_section(records: list[dict[str, Any]]) -> str | None:
    """Every model against the best non-RL baseline, NDCG@10, bootstrap over test sessions."""
    from learec.platform.eval.significance import EventResults, compare_models

    runs: dict[str, list[Any]] = {}
    scores: dict[str, list[float]] = {}
    algo_of: dict[str, str] = {}
    for r in sorted(records, key=lambda r: (r["model_id"], r["seed"])):
        path = Path(r.get("test_ranks", ""))
        if not r.get("test_ranks") or not path.is_file():
            continue
        name = display_name(r)
        runs.setdefault(name, []).append(EventResults.load(path))
        scores.setdefault(name, []).append(float(r["offline"].get(SIGNIFICANCE_KEY, float("nan"))))
        algo_of[name] = r["algo"]
    baselines = [m for m in runs if algo_of[m] in NON_RL]
    if not baselines or len(runs) < 2:
        return None
    reference = max(baselines, key=lambda m: sum(scores[m]) / len(scores[m]))
    comparisons = compare_models(runs, reference)
    groups = next(iter(comparisons.values())).keys() if comparisons else ()
    header = "| model | seeds | " + " | ".join(f"Δ NDCG@10 {g}" for g in groups) + " |"
    lines = [header, "|" + "---|" * (2 + len(groups))]
    for model, by_group in comparisons.items():
        cells = [c.text() for c in by_group.values()]
        lines.append(f"| {model} | {len(runs[model])} | " + " | ".join(cells) + " |")
    return (
        f"Each model minus the strongest non-RL baseline (**{reference}**, best test purchase NDCG@10), "
        "per target group: the difference of mean NDCG@10 with its 95 % interval from a bootstrap over "
        "test sessions (2,000 resamples; per-event values averaged over the model's seeds). A difference "
        "whose interval holds 0 is a **tie**.\n\n" + "\n".join(lines)
    )


def load_le_view(run_root: Path) -> dict[str, dict[str, Any]]:
    """``{model_id: figures in the LE environment}`` the run's sim-to-real stage stored."""
    from learec.platform.jobs.pipeline import LE_VIEW_DIR, RESULTS_DIR

    folder = Path(run_root) / RESULTS_DIR / LE_VIEW_DIR
    return {p.stem: json.loads(p.read_text(encoding="utf-8"))["le"] for p in sorted(folder.glob("*.json"))}


def sim_to_real_summary(
    records: list[dict[str, Any]], le_view: dict[str, dict[str, Any]]
) -> dict[str, Any] | None:
    """The sim-to-real table of the models played in the LE (``sim_to_real.summarise``), each judged against
    CE of its backbone; None when no model was."""
    from learec.platform.eval.sim_to_real import summarise

    rows = [
        {
            "group": display_name(r),
            "le": le_view[r["model_id"]],
            "true": r["online"],
            "offline": r["offline"],
        }
        for r in records
        if r["model_id"] in le_view and r.get("online")
    ]
    if not rows:
        return None
    backbone_of = {display_name(r): r["backbone"] for r in records}

    def reference_of(groups: list[str]) -> Any:
        ce = {backbone_of[g]: g for g in groups if g.startswith("CE ")}
        first = next(iter(ce.values()), None)
        return lambda group: ce.get(backbone_of.get(group, ""), first)

    summary = summarise(rows, reference_of)
    summary["protocol"] = {k: rows[0]["le"].get(k, 0) for k in ("n_sessions", "k")}
    return summary


def _sim_to_real_section(records: list[dict[str, Any]], le_view: dict[str, dict[str, Any]]) -> str | None:
    """Each model's purchase rate in the LE environment next to its true one in the shop, with the verdict
    against CE of the same backbone (``platform/eval/sim_to_real.py``)."""
    from learec.platform.eval.sim_to_real import markdown

    summary = sim_to_real_summary(records, le_view)
    if summary is None:
        return None
    protocol = summary["protocol"]
    return (
        "Each policy played in the LE environment (the LE checkpoint as the user, `le_env.*`) and in the "
        f"shop simulator (the truth) with the same protocol: {int(protocol['n_sessions'])} sessions, top-"
        f"{int(protocol['k'])} slates outside the history. Purchase rate = purchases of recommended items "
        "per slate; exp. = its expectation over the users' dice; gap = LE − shop (exp.). Verdict against CE "
        "of the same backbone: better = a mean gain larger than either side's seed std; "
        '"LE only" marks a model that beats CE only inside the LE environment.\n\n'
        + markdown(summary)
        + "\n\nSpearman between the LE and the shop expected purchase rates: "
        f"{summary['spearman_models_expected']:.2f} over models × seeds, "
        f"{summary['spearman_groups_expected']:.2f} over models."
    )


def build_run_report(run_root: Path) -> Path:
    from learec.platform.jobs.pipeline import RESULTS_DIR, load_results
    from learec.platform.jobs.sweep_results import load_summaries, report_section

    run_root = Path(run_root)
    records = load_results(run_root)
    sweeps = load_summaries(run_root)
    if not records and not sweeps:
        raise ValueError(
            f"{run_root} holds no model or sweep results yet: run `learec run` or `learec sweep`"
        )
    resolved = (
        yaml.safe_load((run_root / "resolved.yaml").read_text())
        if (run_root / "resolved.yaml").is_file()
        else {}
    )
    stats = _read_json(run_root / "data" / "stats.json") or {}
    report = RunReport(
        title=f"learec run: {run_root.name}",
        intro=INTRO,
        config={k: resolved.get(k) for k in ("data", "experiment", "seed") if k in resolved},
        data_stats={k: v for k, v in stats.items() if isinstance(v, int | float | str)},
        results=[
            {
                "model": r["model"] + ("" if r["backbone"] == "-" else f" ({r['backbone']})"),
                "seed": r["seed"],
                "metrics": r["offline"],
            }
            for r in records
        ],
        online=[
            {
                "model": r["model"] + ("" if r["backbone"] == "-" else f" ({r['backbone']})"),
                "seed": r["seed"],
                "metrics": {k: v for k, v in r["online"].items() if k in ONLINE_COLUMNS},
            }
            for r in records
            if r.get("online")
        ],
        curves={
            f"{r['model']} ({r['backbone']}) s{r['seed']}": [
                (int(step), losses) for step, losses in r["history"]
            ]
            for r in records
            if r.get("history")
        },
    )
    le = _read_json(run_root / RESULTS_DIR / "le.json")
    if le:
        report.add_section("Language-model environment", _le_section(le))
    labeling = _read_json(run_root / RESULTS_DIR / "labeling.json")
    if labeling:
        report.add_section("Labeling", _labeling_section(labeling))
    significance = _significance_section(records)
    if significance:
        report.add_section("Significance", significance)
    off_policy = _off_policy_section(records)
    if off_policy:
        report.add_section("Off-policy estimates", off_policy)
    sim_to_real = _sim_to_real_section(records, load_le_view(run_root))
    if sim_to_real:
        report.add_section("Sim-to-real: the LE environment vs the shop", sim_to_real)
    for summary in sweeps:
        report.add_section(f"Sweep {summary['sweep']}", report_section(summary))
    return write_report(run_root, report)
