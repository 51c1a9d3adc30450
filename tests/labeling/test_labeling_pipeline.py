"""End to end on Ray Data with a tiny LE: exactly once, resumable after a killed job or actor, never mixed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from learec.platform.data import schema
from learec.platform.labeling.labeled_data import LabeledData
from learec.platform.labeling.pipeline import SUCCESS_NAME, LabelingConfig, label_transitions
from learec.platform.labeling.report import REPORT_NAME

pytestmark = pytest.mark.integration

CONFIG = LabelingConfig(k=3, batch_size=32, rows_per_part=64, max_actors=2)
LABELS = [
    schema.LE_STATE,
    schema.LE_REWARD,
    schema.LE_POS_ACTIONS,
    schema.LE_POS_REWARDS,
    schema.LABEL_VERSION,
]


def read_labels(version_dir: Path) -> pa.Table:
    """Every part, in part order."""
    return pa.concat_tables([pq.read_table(p) for p in sorted(version_dir.glob("part-*.parquet"))])


def temporaries(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".tmp")]


def assert_same_labels(got: pa.Table, want: pa.Table) -> None:
    """Same rows in the same order; float labels equal up to batch-composition rounding."""
    assert got.num_rows == want.num_rows
    assert got.select(schema.TRANSITIONS.names).equals(want.select(schema.TRANSITIONS.names))
    for name in (schema.LE_STATE, schema.LE_REWARD, schema.LE_POS_REWARDS):
        np.testing.assert_allclose(_numpy(got, name), _numpy(want, name), atol=1e-5, rtol=0)
    np.testing.assert_array_equal(_numpy(got, schema.LE_POS_ACTIONS), _numpy(want, schema.LE_POS_ACTIONS))
    assert got.column(schema.LABEL_VERSION).equals(want.column(schema.LABEL_VERSION))


def _numpy(table: pa.Table, name: str) -> np.ndarray:
    col = table.column(name).combine_chunks()
    if pa.types.is_fixed_size_list(col.type):
        return col.flatten().to_numpy().reshape(len(col), col.type.list_size)
    return col.to_numpy()


@pytest.fixture(scope="module")
def reference(ray_cluster, tiny_le: Path, input_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """One uninterrupted run: (report, labeled table, output dir)."""
    out = tmp_path_factory.mktemp("labels")
    calls: list[tuple[int, int]] = []
    report = label_transitions(tiny_le, input_dir, out, CONFIG, progress=lambda d, t: calls.append((d, t)))
    assert calls[0] == (0, 300) and calls[-1] == (300, 300)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    return report, read_labels(Path(report.output_dir)), out


def test_every_row_is_labeled_once_like_a_direct_env_call(reference, tiny_le: Path, input_dir: Path) -> None:
    from learec.platform.le.environment import LanguageEnvironment

    report, got, out = reference
    inputs = pa.concat_tables([pq.read_table(input_dir / n) for n in ("a.parquet", "b.parquet")])
    env = LanguageEnvironment.load(tiny_le)
    assert got.schema.equals(schema.labeled_transitions_schema(env.le_state_dim, CONFIG.k))
    assert got.select(schema.TRANSITIONS.names).equals(inputs)  # each input row once, in input order
    direct = env.label(
        np.stack(inputs.column(schema.STATE).to_numpy(zero_copy_only=False)),
        inputs.column(schema.LEN_STATE).to_numpy(),
        inputs.column(schema.ACTION).to_numpy(),
        CONFIG.k,
    )
    np.testing.assert_allclose(_numpy(got, schema.LE_STATE), direct["le_state"], atol=1e-5, rtol=0)
    np.testing.assert_allclose(_numpy(got, schema.LE_REWARD), direct["le_reward"], atol=1e-5, rtol=0)
    np.testing.assert_array_equal(_numpy(got, schema.LE_POS_ACTIONS), direct["le_pos_actions"])
    np.testing.assert_allclose(
        _numpy(got, schema.LE_POS_REWARDS), direct["le_pos_rewards"], atol=1e-5, rtol=0
    )
    assert set(got.column(schema.LABEL_VERSION).to_pylist()) == {report.label_version}
    # a.parquet: 64+64+52 rows, b.parquet: 64+56 rows
    assert (report.rows_total, report.rows_labeled, report.parts_total, report.parts_done) == (300, 300, 5, 5)
    assert report.tokens_processed > 0 and report.device == "cpu" and report.gpu_hours == 0.0
    assert report.checkpoint_hash == env.checkpoint_hash
    success = json.loads((Path(report.output_dir) / SUCCESS_NAME).read_text())
    assert [p["rows"] for p in success["parts"]] == [64, 64, 52, 64, 56] and success["rows"] == 300
    assert json.loads((out / REPORT_NAME).read_text())["label_version"] == report.label_version
    assert temporaries(out) == []


def test_rerun_skips_finished_parts_and_rewrites_nothing(reference, tiny_le: Path, input_dir: Path) -> None:
    report, _, out = reference
    parts = sorted(Path(report.output_dir).glob("part-*.parquet"))
    stamps = [p.stat().st_mtime_ns for p in parts]
    faster = LabelingConfig(k=CONFIG.k, batch_size=7, rows_per_part=CONFIG.rows_per_part, max_actors=1)
    again = label_transitions(tiny_le, input_dir, out, faster)  # batch size is not part of the version
    assert again.label_version == report.label_version
    assert (again.parts_skipped, again.parts_done, again.rows_labeled) == (5, 0, 0)
    assert [p.stat().st_mtime_ns for p in parts] == stamps


def test_other_label_version_never_mixes(reference, tiny_le: Path, input_dir: Path) -> None:
    report, first, out = reference
    other = label_transitions(tiny_le, input_dir, out, LabelingConfig(k=2, batch_size=64, rows_per_part=100))
    assert other.label_version != report.label_version
    assert Path(other.output_dir).parent == Path(report.output_dir).parent == out
    second = read_labels(Path(other.output_dir))
    assert set(second.column(schema.LABEL_VERSION).to_pylist()) == {other.label_version}
    assert second.schema.field(schema.LE_POS_ACTIONS).type.list_size == 2
    assert read_labels(Path(report.output_dir)).equals(first)  # the first version is untouched
    assert temporaries(out) == []


def test_other_partitioning_of_a_started_version_is_refused(
    reference, tiny_le: Path, input_dir: Path
) -> None:
    _, _, out = reference
    with pytest.raises(ValueError, match="rows_per_part"):
        label_transitions(tiny_le, input_dir, out, LabelingConfig(k=CONFIG.k, rows_per_part=50))


def test_killed_job_resumes_exactly_once(
    reference, ray_cluster, tiny_le: Path, input_dir: Path, tmp_path
) -> None:
    """SIGKILL the driver after a few parts are written; the rerun labels only what is missing."""
    _, want, _ = reference
    out = tmp_path / "labels"
    slow = LabelingConfig(k=CONFIG.k, batch_size=4, rows_per_part=8, max_actors=1)  # 38 small parts
    code = (
        "from pathlib import Path\n"
        "from learec.platform.labeling.pipeline import LabelingConfig, label_transitions\n"
        f"label_transitions(Path({str(tiny_le)!r}), Path({str(input_dir)!r}), Path({str(out)!r}),\n"
        f"    LabelingConfig(k={slow.k}, batch_size={slow.batch_size}, rows_per_part={slow.rows_per_part},\n"
        f"    max_actors={slow.max_actors}))\n"
    )
    env = {**os.environ, "RAY_ADDRESS": ray_cluster.get_runtime_context().gcs_address}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 240
    written: list[Path] = []
    while time.monotonic() < deadline and proc.poll() is None:
        written = list(out.glob("*/part-*.parquet"))
        if len(written) >= 3:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.02)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"the labeling job ended before it was killed:\n{err[-3000:]}"
    version_dir = written[0].parent
    before = sorted(version_dir.glob("part-*.parquet"))
    done_before, rows_before = len(before), sum(pq.ParquetFile(p).metadata.num_rows for p in before)
    assert not (version_dir / SUCCESS_NAME).exists() and 3 <= done_before < 38
    with pytest.raises(ValueError, match=f"{version_dir} is only partly labeled"):
        LabeledData.open(out)  # training would use a subset of the rows

    # Resume with faster settings: batch size and pool size are not part of the label version.
    faster = LabelingConfig(k=slow.k, batch_size=64, rows_per_part=slow.rows_per_part, max_actors=2)
    report = label_transitions(tiny_le, input_dir, out, faster)
    assert report.parts_skipped == done_before and report.parts_done == 38 - done_before
    assert report.rows_labeled == 300 - rows_before
    assert_same_labels(read_labels(version_dir), want)
    assert temporaries(out) == []
    labels = LabeledData.open(out)
    assert labels.files == sorted(version_dir.glob("part-*.parquet")) and labels.rows == 300
    assert labels.label_version == report.label_version and labels.le_state_dim > 0


def test_killed_actor_is_replaced_and_output_stays_exactly_once(
    reference, ray_cluster, tiny_le: Path, input_dir: Path, tmp_path
) -> None:
    """SIGKILL a labeling actor mid-run: Ray restarts it, retries its task, and the driver drops repeats."""
    from ray._private import state

    _, want, _ = reference
    job = ray_cluster.get_runtime_context().get_job_id()
    killed: list[int] = []

    def kill_one_actor(done: int, total: int) -> None:
        if killed or done < 16:
            return
        alive = [
            a for a in state.actors().values()
            if a["State"] == "ALIVE" and "MapBatches(Labeler)" in a["ActorClassName"] and a["JobID"] == job
        ]  # fmt: skip
        if alive:
            os.kill(alive[0]["Pid"], signal.SIGKILL)
            killed.append(alive[0]["Pid"])

    config = LabelingConfig(k=CONFIG.k, batch_size=8, rows_per_part=16, max_actors=1)
    report = label_transitions(tiny_le, input_dir, tmp_path, config, progress=kill_one_actor)
    assert killed, "no labeling actor was found to kill"
    assert report.rows_labeled == 300 and report.parts_done == report.parts_total
    assert_same_labels(read_labels(Path(report.output_dir)), want)
    assert temporaries(tmp_path) == []
