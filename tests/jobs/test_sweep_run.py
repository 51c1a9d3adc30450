"""The quick sweep for real: Tune over RLlib trials, results, best config, report, resuming after kills."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import REPO_ROOT
from typer.testing import CliRunner

from learec.platform.jobs.sweep import run_sweep, sweep_dir
from learec.platform.jobs.sweep_spec import load_sweep

pytestmark = pytest.mark.integration

QUICK = REPO_ROOT / "tune_configs" / "quick.yaml"
METRIC = "val/ndcg@10/purchase"
# The quick sweep, smaller still: 3 trials of 8 iterations, ASHA may stop one after its first report.
SMALL = {
    "sweep.num_samples": "3",
    "train.iterations": "8",
    "train.eval_every": "4",
    "sweep.grace_period": "4",
    "sweep.test_seeds": "0,1",
}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_quick_sweep_results_best_config_and_report(ray_cluster, tmp_path: Path) -> None:
    from learec.platform.cli.main import app
    from learec.platform.jobs.pipeline import rebuild_report
    from learec.serve.policy import ExportedPolicy

    spec = load_sweep(QUICK, {"runs_dir": str(tmp_path), **SMALL})
    summary = run_sweep(spec)
    out = sweep_dir(spec)
    assert out == tmp_path / "quick" / "sweeps" / "quick"

    rows = read_csv(out / "results.csv")
    assert [int(r["trial"]) for r in rows] == [0, 1, 2]
    for row in rows:
        assert 0.0 <= float(row[METRIC]) <= 1.0
        assert int(row["iterations"]) in (4, 8)
        assert row["stopped_early"] == str(int(row["iterations"]) < 8)
        assert 1e-3 <= float(row["train.params.lr"]) <= 3e-2
    finished = [r for r in rows if r["stopped_early"] == "False"]
    assert float(summary["best"]["metric"]) == max(float(r[METRIC]) for r in finished)
    assert (out / "results.md").read_text().count("\n") == 2 + len(rows)
    for plot in ("metric_vs_params.png", "trial_curves.png"):
        assert (out / "plots" / plot).stat().st_size > 0
    trial_dirs = sorted((out / "tune").glob("trial_*"))
    assert len(trial_dirs) == 3 and all(list(d.glob("events.out.tfevents.*")) for d in trial_dirs)
    home_results = Path.home() / "ray_results"
    assert not home_results.exists() or not any(home_results.iterdir())

    policy = ExportedPolicy.load(out / "best" / "policy")
    assert policy.n_items > 0
    test = summary["test"]
    assert test["seeds"] == [0, 1] and set(test["per_seed"]) == {"0", "1"}
    mean, std = test["mean_std"]["test"]["ndcg@10/purchase"]
    assert 0.0 <= mean <= 1.0 and std >= 0.0

    # best.yaml is a plain run config: `learec train --config best.yaml` reproduces the trial's figure.
    trained = tmp_path / "retrained"
    cli = CliRunner().invoke(
        app,
        [
            "train",
            "--config",
            str(out / "best.yaml"),
            "--data",
            str(tmp_path / "quick" / "data"),
            "--out",
            str(trained),
        ],
    )
    assert cli.exit_code == 0, cli.output
    again = json.loads((trained / "metrics.json").read_text())["val"]["ndcg@10/purchase"]
    seed_spread = abs(
        test["per_seed"]["0"]["val"]["ndcg@10/purchase"] - test["per_seed"]["1"]["val"]["ndcg@10/purchase"]
    )
    assert again == pytest.approx(summary["best"]["metric"], abs=max(0.02, seed_spread))

    report = rebuild_report(tmp_path / "quick").read_text()
    assert "Sweep quick" in report and "sweeps/quick/plots/trial_curves.png" in report


def _resume_overrides(runs_dir: Path) -> dict[str, str]:
    return {
        **SMALL,
        "runs_dir": str(runs_dir),
        "num_cpus": "4",
        "sweep.scheduler": "fifo",  # every trial runs to the end: the finished set does not hang on noise
        "sweep.max_concurrent": "1",  # one trial at a time, so a kill lands inside a known trial
        "sweep.test_seeds": "0",
    }


def _sweep_cmd(runs_dir: Path, *extra: str) -> list[str]:
    overrides = [f"{k}={v}" for k, v in _resume_overrides(runs_dir).items()]
    return [sys.executable, "-m", "learec.platform.jobs.sweep", "--config", str(QUICK), *extra, *overrides]


def _reports(out: Path) -> int:
    return sum(len(p.read_text().splitlines()) for p in (out / "tune").glob("trial_*/result.json"))


def _interrupt_after(cmd: list[str], out: Path, reports: int, sig: int, env: dict[str, str]) -> int:
    """Start the sweep driver, send ``sig`` once the trials reported ``reports`` times; its exit code."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while _reports(out) < reports and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert proc.poll() is None, "the sweep ended before it could be interrupted"
    proc.send_signal(sig)
    return proc.wait(timeout=120)


def test_resume_after_sigint_and_sigkill_matches_an_uninterrupted_sweep(ray_cluster, tmp_path: Path) -> None:
    """Kill the driver mid-way (SIGINT, then SIGKILL on the resumed run), resume to the end: the same
    trials finish with the same configs and the same table as a sweep that was never interrupted."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "tests")}
    reference_spec = load_sweep(QUICK, _resume_overrides(tmp_path / "ref"))
    run_sweep(reference_spec, mlflow=True)
    reference = read_csv(sweep_dir(reference_spec) / "results.csv")
    tracked = list((sweep_dir(reference_spec) / "mlruns").rglob("metrics/val/ndcg_at_10/purchase"))
    assert len(tracked) == 3  # --mlflow: one MLflow run per trial in the local file store

    runs = tmp_path / "killed"
    out = runs / "quick" / "sweeps" / "quick"
    code = _interrupt_after(_sweep_cmd(runs), out, 3, signal.SIGINT, env)  # mid trial 1
    assert code != 0
    code = _interrupt_after(_sweep_cmd(runs, "--resume"), out, 5, signal.SIGKILL, env)  # mid trial 2
    assert code == -signal.SIGKILL
    # As if the kill had landed while Tune copied its state into the sweep folder: torn state files.
    for state in [*(out / "tune").glob("experiment_state-*.json"), *(out / "tune").glob("basic-variant-*")]:
        state.write_bytes(state.read_bytes()[:7])
    final = subprocess.run(_sweep_cmd(runs, "--resume"), env=env, timeout=600, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr[-4000:]

    resumed = read_csv(out / "results.csv")
    keys = ["trial", "train.params.lr", "train.params.gamma", "train.params.backbone.hidden", "iterations"]
    assert [[r[k] for k in keys] for r in resumed] == [[r[k] for k in keys] for r in reference]
    assert all(r["stopped_early"] == "False" for r in resumed)
    # Trial 0 finished before the first kill; the others continued from a checkpoint at the same data
    # position with the same dice (Training.restore): every figure equals the uninterrupted sweep's.
    for got, want in zip(resumed, reference, strict=True):
        assert float(got[METRIC]) == pytest.approx(float(want[METRIC]), rel=1e-6), got["trial"]
    assert (out / "best.yaml").is_file() and (out / "best" / "policy" / "manifest.json").is_file()
