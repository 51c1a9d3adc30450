"""Cluster jobs on a real Ray head (``ray start --head`` on loopback, token auth) through the ``ray job`` CLI.

One head for the module: the pipeline job on a tiny config, a quick sweep, a deploy job, and a labeling
job stopped half-way then resubmitted (every row labeled exactly once). Several minutes on 2 cores.
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from cluster_support import SERVE_PORT, RayHead, ray_head

pytestmark = pytest.mark.integration

# Small enough for minutes on 2 cores, with enough training rows (~6k) that labeling them takes a while.
TINY_JOB = [
    "shop.n_items=120",
    "shop.n_users=200",
    "shop.n_sessions=1000",
    "le.item_token_epochs=1",
    "le.steps=20",
    "le.tiny_hidden=32",
    "le.tiny_intermediate=64",
    "le.heldout_pairs=64",
    "labeling.rows_per_part=1000",
    "train.iterations=3",
    "online.n_sessions=20",
    "experiment.algos=sqn",
    "experiment.variants=lea",
    "name=tiny",
]


@pytest.fixture(scope="module")
def head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayHead]:
    with ray_head(tmp_path_factory.mktemp("head-home")) as started:
        yield started


@pytest.fixture(scope="module")
def runs_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stands for the shared storage (NFS, bucket mount) that runs land on: outside the job's copy."""
    return tmp_path_factory.mktemp("shared-runs")


def runtime_env(runs_base: Path) -> str:
    return json.dumps({"env_vars": {"LEAREC_RUNS_DIR": str(runs_base)}})


@pytest.fixture(scope="module")
def pipeline_run(head: RayHead, runs_base: Path) -> Path:
    """The pipeline job, with the default relative ``runs_dir`` resolved against ``LEAREC_RUNS_DIR``."""
    entrypoint = ["python", "-m", "learec.platform.jobs.pipeline", *TINY_JOB]
    head.submit("learec-pipeline", entrypoint, runtime_env(runs_base))
    head.wait("learec-pipeline", timeout=900)
    return runs_base / "runs" / "tiny"


def test_pipeline_job_writes_durable_results_and_says_where(head: RayHead, pipeline_run: Path) -> None:
    report = pipeline_run / "report.md"
    assert report.is_file() and "SQN+LEA (gru4rec)" in report.read_text()
    stages = json.loads((pipeline_run / "stages.json").read_text())
    assert "pipeline" in stages
    labels = Path(stages["label"]["labels"])
    assert labels.is_relative_to(pipeline_run)  # not inside Ray's unpacked copy of the project
    last = [line for line in head.logs("learec-pipeline").splitlines() if line.strip()][-1]
    assert last.endswith(f"report: {report}"), last


def test_relative_runs_dir_without_a_base_fails_with_one_sentence(head: RayHead) -> None:
    head.submit("learec-relative", ["python", "-m", "learec.platform.jobs.pipeline", "name=lost"])
    head.wait("learec-relative", timeout=180, want="FAILED")
    logs = head.logs("learec-relative")
    assert "is relative and this job runs in Ray's temporary copy" in logs and "Traceback" not in logs


def test_sweep_job(head: RayHead, runs_base: Path) -> None:
    if importlib.util.find_spec("learec.platform.jobs.sweep") is None:
        pytest.skip("learec.platform.jobs.sweep is not on this branch yet (the sweeps branch builds it)")
    overrides = ["sweep.num_samples=2", "train.iterations=12", "sweep.test_seeds=0"]  # minutes, not tens
    entrypoint = ["python", "-m", "learec.platform.jobs.sweep", "--config", "tune_configs/quick.yaml"]
    head.submit("learec-sweep", [*entrypoint, *overrides], runtime_env(runs_base / "sweep"))
    head.wait("learec-sweep", timeout=1200)
    sweep = runs_base / "sweep" / "runs" / "quick" / "sweeps" / "quick"  # relative runs_dir, declared base
    summary = json.loads((sweep / "summary.json").read_text())
    assert summary["best"]["trial_id"] and (sweep / "best.yaml").is_file()
    assert (sweep / "tune").is_dir()  # Tune's own experiment folder is on the shared storage too


def test_deploy_job_serves_the_pipeline_policy(head: RayHead, pipeline_run: Path) -> None:
    record = json.loads((pipeline_run / "metrics" / "models" / "sqn-lea-gru4rec-s0.json").read_text())
    policy = record["export_dir"]
    head.submit(
        "learec-deploy",
        ["python", "-m", "learec.platform.jobs.deploy", "--policy", policy, f"port={SERVE_PORT}"],
    )
    try:
        head.wait("learec-deploy", timeout=300)  # returns once the app is up; the cluster keeps serving it
        url = f"http://127.0.0.1:{SERVE_PORT}"
        assert httpx.get(f"{url}/healthz", timeout=30).status_code == 200
        body = {"history": ["sku-0012", "sku-0047"], "k": 5}
        answer = httpx.post(f"{url}/recommend", json=body, timeout=30)
        assert answer.status_code == 200, answer.text
        assert len(answer.json()["items"]) == 5
    finally:
        stop = "import ray; from ray import serve; ray.init(); serve.shutdown()"
        head.submit("learec-deploy-stop", ["python", "-c", stop])
        head.wait("learec-deploy-stop", timeout=120)


def test_stopped_labeling_job_resumes_with_every_row_once(
    head: RayHead, pipeline_run: Path, tmp_path: Path
) -> None:
    transitions = pipeline_run / "data" / "transitions" / "train.parquet"
    output = tmp_path / "labels"
    command = [
        "python", "-m", "learec.platform.jobs.label", "--le", str(pipeline_run / "le" / "checkpoint"),
        "--input", str(transitions), "--output", str(output),
        "labeling.rows_per_part=200", "labeling.batch_size=16", "labeling.max_actors=1",
    ]  # fmt: skip
    head.submit("learec-label-1", command)
    deadline = time.monotonic() + 300
    while not list(output.glob("*/part-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert list(output.glob("*/part-*.parquet")), head.logs("learec-label-1")
    head.run("job", "stop", "--address", head.address, "learec-label-1", timeout=180)
    head.wait("learec-label-1", timeout=120, want="STOPPED")
    (version,) = [p for p in output.iterdir() if p.is_dir()]
    parts_before = len(list(version.glob("part-*.parquet")))
    n_rows = pq.read_metadata(transitions).num_rows
    assert not (version / "_SUCCESS").exists() and parts_before * 200 < n_rows, "stopped too late to test"

    head.submit("learec-label-2", command)
    head.wait("learec-label-2", timeout=600)
    assert (version / "_SUCCESS").exists()
    labeled = pq.read_table(sorted(version.glob("part-*.parquet")), columns=["session_id", "step"])
    keys = list(zip(labeled["session_id"].to_pylist(), labeled["step"].to_pylist(), strict=True))
    source = pq.read_table(transitions, columns=["session_id", "step"])
    assert len(keys) == n_rows and len(set(keys)) == n_rows
    assert set(keys) == set(zip(source["session_id"].to_pylist(), source["step"].to_pylist(), strict=True))
