"""After a sweep: results table, best config, plots, the best policy, and test metrics of the best config.

Only here, after the search, is the test split read: the best config is retrained once per
``sweep.test_seeds`` seed by the same job as ``learec train`` and its test metrics are averaged.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from learec.platform.common import atomic
from learec.platform.jobs.config_file import dump_yaml
from learec.platform.jobs.sweep_spec import SweepSpec

log = logging.getLogger(__name__)

SUMMARY = "summary.json"
RESULTS_CSV = "results.csv"
RESULTS_MD = "results.md"
BEST_YAML = "best.yaml"
BEST_DIR = "best"


def trial_index(trial_id: str) -> int:
    """Tune's trial ids end in the sample number (``3f2a1_00003`` -> 3): stable across runs of a seed."""
    return int(str(trial_id).rsplit("_", 1)[-1])


def trial_rows(spec: SweepSpec, grid: Any) -> list[dict[str, Any]]:
    """One row per trial, in sample order: sampled values, final/best metric, iterations, ASHA stop."""
    from learec.platform.jobs.sweep_trial import ITERATIONS

    metric, max_t = spec.sweep.metric, spec.run.train.iterations
    rows = []
    for result in grid:
        history = result.metrics_dataframe
        values = [float(v) for v in history[metric]] if metric in history else []
        best = max(values) if spec.sweep.mode == "max" else min(values)
        iterations = int(result.metrics[ITERATIONS])
        row = {"trial": trial_index(result.metrics["trial_id"]), "trial_id": result.metrics["trial_id"]}
        row.update({d.key: result.config[d.key] for d in spec.dimensions})
        row.update(
            {
                metric: float(result.metrics[metric]),
                f"best {metric}": best,
                ITERATIONS: iterations,
                "stopped_early": iterations < max_t,
                "curve": [(int(i), float(v)) for i, v in zip(history[ITERATIONS], values, strict=True)],
            }
        )
        rows.append(row)
    return sorted(rows, key=lambda r: r["trial"])


def table_columns(spec: SweepSpec) -> list[str]:
    from learec.platform.jobs.sweep_trial import ITERATIONS

    metric = spec.sweep.metric
    return ["trial", *(d.key for d in spec.dimensions), metric, f"best {metric}", ITERATIONS, "stopped_early"]


def _csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e-3 and value else f"{value:.4f}"
    return str(value)


def markdown_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], metric: str, mode: str) -> str:
    """Trials best first (by the final metric), one line each."""
    ordered = sorted(rows, key=lambda r: r[metric], reverse=mode == "max")
    head = "| " + " | ".join(c.removeprefix("train.") for c in columns) + " |"
    rule = "|" + "---|" * len(columns)
    body = ["| " + " | ".join(_cell(r[c]) for c in columns) + " |" for r in ordered]
    return "\n".join([head, rule, *body]) + "\n"


def best_trial(rows: Sequence[Mapping[str, Any]], metric: str, mode: str) -> Mapping[str, Any]:
    """The best final ``metric`` among trials that ran to the end (all trials if ASHA stopped every one).

    A trial stopped early reports a figure from fewer iterations than ``best.yaml`` would train, so it
    is not a config the best file could reproduce.
    """
    finished = [r for r in rows if not r["stopped_early"]] or list(rows)
    pick = max if mode == "max" else min
    return pick(finished, key=lambda r: (r[metric], -r["trial"]))


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (NaN for one value)."""
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else math.nan


def best_config_yaml(
    spec: SweepSpec, values: Mapping[str, Any], row: Mapping[str, Any], data_root: Path, labels: Path | None
) -> str:
    """The best trial's run config (fixed settings + best values), with the command that retrains it."""
    uses_labels = labels is not None and spec.run_config(values).train.uses_labels
    header = (
        f"# Best trial of sweep {spec.name} ({spec.path}): trial {row['trial']}, "
        f"{spec.sweep.metric} = {row[spec.sweep.metric]:.4f} after {row['iterations']} iterations.\n"
        "# A plain run config; retrain it with\n"
        f"#   learec train --config best.yaml --data {data_root} --out <folder>"
        + (f" --labels {labels}" if uses_labels else "")
        + "\n"
    )
    return header + dump_yaml(spec.run_values(values))


def test_best_config(
    spec: SweepSpec,
    values: Mapping[str, Any],
    data_root: Path,
    labels: Path | None,
    out: Path,
    progress: Callable[[str, int, int], None],
) -> dict[str, Any]:
    """Retrain the best config once per test seed; val and test metrics per seed and their mean ± std."""
    from learec.platform.common.fields import replace
    from learec.platform.data.prepare import load_prepared
    from learec.platform.jobs.train import train_and_evaluate

    cfg = spec.run_config(values)
    data = load_prepared(data_root)
    seeds = list(spec.sweep.test_seeds)
    per_seed: dict[str, Any] = {}
    for i, seed in enumerate(seeds):
        progress("best config over seeds", i, len(seeds))
        result = train_and_evaluate(
            replace(cfg.train, seed=seed),
            data,
            out / f"s{seed}",
            labels_dir=labels if cfg.train.uses_labels else None,
            eval_config=cfg.eval,
        )
        per_seed[str(seed)] = {"val": result.val_metrics, "test": result.metrics}
    progress("best config over seeds", len(seeds), len(seeds))
    keys = sorted(per_seed[str(seeds[0])]["test"])
    summary = {
        split: {k: mean_std([per_seed[str(s)][split][k] for s in seeds]) for k in keys}
        for split in ("val", "test")
    }
    return {"seeds": seeds, "per_seed": per_seed, "mean_std": summary}


def finish_sweep(
    spec: SweepSpec,
    grid: Any,
    out: Path,
    data_root: Path,
    labels: Path | None,
    progress: Callable[[str, int, int], None],
) -> dict[str, Any]:
    """Write every after-sweep artefact under ``out``; return the summary (also ``summary.json``)."""
    from learec.platform.data.prepare import load_prepared
    from learec.platform.eval.sweep_plots import metric_vs_params, trial_curves
    from learec.rllib_algos.common.export import export_policy

    metric, mode = spec.sweep.metric, spec.sweep.mode
    rows = trial_rows(spec, grid)
    columns = table_columns(spec)
    atomic.write_text(_csv(rows, columns), out / RESULTS_CSV)
    atomic.write_text(markdown_table(rows, columns, metric, mode), out / RESULTS_MD)

    best_row = best_trial(rows, metric, mode)
    best = next(r for r in grid if r.metrics["trial_id"] == best_row["trial_id"])
    values = {d.key: best.config[d.key] for d in spec.dimensions}
    atomic.write_text(best_config_yaml(spec, values, best_row, data_root, labels), out / BEST_YAML)

    plots = {
        "metric_vs_params": metric_vs_params(
            rows,
            [d.key for d in spec.dimensions],
            metric,
            out / "plots" / "metric_vs_params.png",
            log_keys=[d.key for d in spec.dimensions if d.log_scale],
        ),
        "trial_curves": trial_curves(
            {f"trial {r['trial']}": r["curve"] for r in rows},
            spec.run.train.iterations,
            metric,
            out / "plots" / "trial_curves.png",
        ),
    }
    best_cfg = spec.run_config(values)
    with best.checkpoint.as_directory() as folder:
        policy = export_policy(
            Path(folder),
            out / BEST_DIR / "policy",
            load_prepared(data_root).raw_ids(),
            best_cfg.train,
            {k: v for k, v in best.metrics.items() if isinstance(v, int | float)},
        )
    tested = test_best_config(spec, values, data_root, labels, out / BEST_DIR / "seeds", progress)
    summary = {
        "sweep": spec.name,
        "file": str(spec.path),
        "metric": metric,
        "mode": mode,
        "search_alg": spec.sweep.search_alg,
        "scheduler": spec.sweep.scheduler,
        "trials": len(rows),
        "stopped_early": sum(r["stopped_early"] for r in rows),
        "iterations_total": sum(r["iterations"] for r in rows),
        "columns": columns,
        "rows": [{c: r[c] for c in columns} for r in rows],
        "best": {
            "trial": best_row["trial"],
            "trial_id": best_row["trial_id"],
            "values": values,
            "metric": best_row[metric],
            "iterations": best_row["iterations"],
            "config": str(out / BEST_YAML),
            "policy": str(policy),
        },
        "test": tested,
        "plots": {k: str(Path(v).relative_to(out)) for k, v in plots.items()},
    }
    atomic.write_text(json.dumps(summary, indent=2, default=str) + "\n", out / SUMMARY)
    return summary


def load_summaries(run_root: Path) -> list[dict[str, Any]]:
    """The finished sweeps of a run (``runs/<name>/sweeps/*/summary.json``), by name."""
    folder = Path(run_root) / "sweeps"
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob(f"*/{SUMMARY}"))]


def report_section(summary: Mapping[str, Any]) -> str:
    """Markdown for ``learec report``: the trial table, the best config, its test figures, the plots."""
    metric = summary["metric"]
    best = summary["best"]
    folder = f"sweeps/{summary['sweep']}"
    test = summary["test"]["mean_std"]["test"]
    test_rows = "\n".join(f"| {k} | {m:.4f} ± {s:.4f} |" for k, (m, s) in sorted(test.items()) if "@10/" in k)
    values = ", ".join(f"{k.removeprefix('train.')} = {_cell(v)}" for k, v in best["values"].items())
    return (
        f"{summary['trials']} trials of `{summary['file']}` ({summary['search_alg']} search, "
        f"{summary['scheduler']} scheduler, {summary['stopped_early']} stopped early, "
        f"{summary['iterations_total']} training iterations in all)."
        " Trials see only the validation split.\n\n"
        + markdown_table(summary["rows"], summary["columns"], metric, summary["mode"])
        + f"\nBest: trial {best['trial']} ({values}), {metric} = {best['metric']:.4f}; config "
        f"`{folder}/{BEST_YAML}`, policy `{folder}/{BEST_DIR}/policy`.\n\n"
        f"Test split, best config retrained with seeds {summary['test']['seeds']} (mean ± std):\n\n"
        "| metric | test |\n|---|---|\n"
        + test_rows
        + "\n\n"
        + "".join(f"![{name}]({folder}/{path})\n" for name, path in summary["plots"].items())
    )
