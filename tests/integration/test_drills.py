"""Drills: `learec run` SIGKILLed mid-training resumes to the same figures; a Ray worker killed during
training or labeling makes the job fail with one readable line or recover; nothing half-written stays.

Each drill runs the real command line in its own process group (it starts its own local Ray), so the
kill hits the driver, its Ray processes and nothing else. Small configs keep each run to a minute or two.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import REPO_ROOT

# No LE: the kill-and-resume drill is about training; three models so a kill lands between and inside them.
SMALL = {
    "shop.n_items": "120",
    "shop.n_users": "80",
    "shop.n_sessions": "300",
    "train.iterations": "6",
    "online.n_sessions": "30",
    "experiment.algos": "ce,sqn",
    "experiment.variants": "base",
    "experiment.seeds": "0,1",
    "num_cpus": "4",
}
# With the LE, for the labeling drill.
WITH_LE = {
    **SMALL,
    "le.item_token_epochs": "1",
    "le.steps": "20",
    "le.tiny_hidden": "32",
    "le.tiny_intermediate": "64",
    "le.heldout_pairs": "64",
    "labeling.rows_per_part": "200",
    "experiment.variants": "base,lea",
    "experiment.algos": "sqn",
    "experiment.seeds": "0",
}


def flags(options: dict[str, str]) -> list[str]:
    return [
        x for key, value in options.items() for x in ("--" + key.replace(".", "-").replace("_", "-"), value)
    ]


def start_run(runs: Path, options: dict[str, str]) -> subprocess.Popen[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    command = [
        sys.executable,
        "-m",
        "learec.platform.cli.main",
        "run",
        "--runs-dir",
        str(runs),
        "--name",
        "d",
    ]
    return subprocess.Popen(
        command + flags(options),
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: a kill reaches its Ray processes too
    )


def finish(proc: subprocess.Popen[str], timeout: float = 900) -> tuple[int, str]:
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def wait_for(test, proc: subprocess.Popen[str], what: str, timeout: float = 900) -> None:
    deadline = time.time() + timeout
    while not test():
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before {what}: {proc.stderr.read()[-3000:]}")
        if time.time() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Ray's raylet, workers, ...), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def busy_ray_workers(pid: int) -> list[int]:
    """Ray worker processes of the run running a task or an actor (not idle workers, not Ray's agents)."""
    workers = []
    for child in descendants(pid):
        try:
            title = (Path("/proc") / str(child) / "cmdline").read_bytes().split(b"\0")[0].decode()
        except OSError:
            continue
        # task and actor workers, e.g. ray::MapWorker(MapBatches(Labeler)); not Ray's own agents
        if title.startswith("ray::") and "(" in title and "Agent" not in title:
            workers.append(child)
    return workers


def stages(run: Path) -> dict:
    path = run / "stages.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def figures(run: Path) -> dict[str, dict]:
    """Each model's offline metrics and online figures, as the report tables show them."""
    out = {}
    for path in sorted((run / "metrics" / "models").glob("*.json")):
        record = json.loads(path.read_text())
        out[record["model_id"]] = {"offline": record["offline"], "online": record["online"]}
    return out


def assert_nothing_half_written(run: Path) -> None:
    temps = [p for p in run.rglob("*.tmp")]
    assert not temps, f"temporary files left behind: {temps}"
    done = stages(run)
    for model in (run / "models").iterdir() if (run / "models").is_dir() else []:
        if f"train/{model.name}" in done:
            assert (model / "policy" / "manifest.json").is_file(), model


def one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr[-3000:]
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr[-3000:]
    return errors[0]


@pytest.mark.integration
def test_sigkill_mid_training_then_rerun_gives_the_same_figures(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    rc, err = finish(start_run(reference, SMALL))
    assert rc == 0, err[-3000:]
    expected = figures(reference / "d")
    assert len(expected) == 1 + 4  # pop + ce, sqn x 2 seeds

    runs = tmp_path / "killed"
    run = runs / "d"
    proc = start_run(runs, SMALL)
    # Kill while the third model trains: two finished models are kept, the third is redone.
    wait_for(lambda: sum(k.startswith("train/") for k in stages(run)) >= 2, proc, "two trained models")
    third = run / "models"
    wait_for(lambda: len([m for m in third.iterdir() if m.is_dir()]) >= 3, proc, "the third model")
    time.sleep(3)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    killed_at = stages(run)
    assert "pipeline" not in killed_at

    rc, err = finish(start_run(runs, SMALL))
    assert rc == 0, err[-3000:]
    assert err.count("reused (finished") >= 1 + 1 + 2, err[-3000:]  # data, pop, the two finished models
    after = stages(run)
    for stage, entry in killed_at.items():
        assert after[stage]["finished"] == entry["finished"], f"{stage} was redone"
    assert_nothing_half_written(run)
    got = figures(run)
    assert got.keys() == expected.keys()
    for model, record in expected.items():
        for part in ("offline", "online"):
            for metric, value in record[part].items():
                assert got[model][part][metric] == pytest.approx(value, abs=1e-6, nan_ok=True), (
                    model,
                    part,
                    metric,
                )
    report = (run / "report.md").read_text()
    assert report.count("±") == (reference / "d" / "report.md").read_text().count("±")


@pytest.mark.integration
@pytest.mark.parametrize("stage", ["train", "label"])
def test_ray_worker_killed_fails_clearly_or_recovers(tmp_path: Path, stage: str) -> None:
    runs = tmp_path / "runs"
    run = runs / "d"
    options = SMALL if stage == "train" else WITH_LE
    proc = start_run(runs, options)
    if stage == "train":
        started = lambda: (run / "models").is_dir() and any((run / "models").iterdir())  # noqa: E731
    else:
        started = lambda: "le" in stages(run) and (run / "labels").is_dir()  # noqa: E731
    wait_for(started, proc, f"the {stage} stage")
    victims: list[int] = []
    wait_for(lambda: bool(victims.extend(busy_ray_workers(proc.pid)) or victims), proc, "a busy worker", 300)
    os.kill(victims[0], signal.SIGKILL)
    rc, err = finish(proc)
    assert "core_worker.cc" not in err and "constructor arguments in the object store" not in err
    if rc != 0:  # failed: one readable line, no traceback
        assert rc in (1, 2), err[-3000:]
        one_error_line(err)
    else:  # recovered: every model finished
        assert "pipeline" in stages(run)
    assert_nothing_half_written(run)
    if stage == "label" and "label" not in stages(run):
        labels = run / "labels"
        for version in labels.iterdir() if labels.is_dir() else []:
            assert not (version / "_SUCCESS").exists()
