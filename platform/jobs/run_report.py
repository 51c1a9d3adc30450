"""Assemble a run's ``report.md`` from what its stages stored under ``runs/<name>/metrics/``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from learec.platform.eval.report import RunReport, write_report

# The simulator returns more; these are the ones a reader compares (the JSON files keep the rest).
ONLINE_COLUMNS = (
    "purchase_rate",
    "purchases_per_session",
    "clicks_per_session",
    "mean_slate_utility",
    "ndcg_true@10",
)

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
        "| metric | value |\n|---|---|\n" + rows
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
    for summary in sweeps:
        report.add_section(f"Sweep {summary['sweep']}", report_section(summary))
    return write_report(run_root, report)
