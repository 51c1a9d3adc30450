"""`learec run` end to end on a tiny synthetic shop: every stage, the report, and resuming."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from support import TINY_RUN

from learec.platform.data import schema
from learec.platform.eval.protocol import EvalConfig
from learec.platform.jobs.config import RunConfig
from learec.platform.jobs.config_file import build_config
from learec.platform.jobs.evaluate import evaluate_exported
from learec.platform.jobs.pipeline import load_results, run_pipeline

TINY = {
    **TINY_RUN,
    "labeling.rows_per_part": 500,
    "experiment.algos": "ce,sqn,dpo",
    "experiment.variants": "base,lea",
}


@pytest.mark.integration
def test_run_pipeline_end_to_end_and_resume(ray_cluster, tmp_path: Path) -> None:
    cfg = build_config(RunConfig, None, {"runs_dir": str(tmp_path), "name": "tiny", **TINY})
    stages_seen: list[str] = []
    bars: dict[str, list[tuple[int, int]]] = {}
    result = run_pipeline(
        cfg, log=stages_seen.append, progress=lambda t, d, n, *_: bars.setdefault(t, []).append((d, n))
    )
    run = result.run_dir
    # Training bars count the iterations the epochs give (not train.iterations) and end full.
    assert bars["train sqn"][-1][0] == bars["train sqn"][-1][1] != cfg.train.iterations
    assert all(done <= total for done, total in bars["train sqn"])

    # Every stage left its output.
    assert (run / "resolved.yaml").is_file()
    assert (run / "report.md").is_file() and (run / "plots" / "offline_hr_ndcg.png").is_file()
    assert (run / "le" / "checkpoint" / "manifest.json").is_file()
    models = {r["model_id"]: r for r in load_results(run)}
    assert set(models) == {
        "pop",
        "ce-base-gru4rec-s0",
        "sqn-base-gru4rec-s0",
        "sqn-lea-gru4rec-s0",
        "dpo-base-gru4rec-s0",
        "dpo-lea-gru4rec-s0",
    }
    # DPO started from the run's CE export of its seed, with logged pairs (base) or LE pairs (lea)
    ce_policy = models["ce-base-gru4rec-s0"]["export_dir"]
    for cell, pairs_from_le in (("dpo-base-gru4rec-s0", False), ("dpo-lea-gru4rec-s0", True)):
        trained = json.loads((Path(models[cell]["export_dir"]).parent / "metrics.json").read_text())["config"]
        assert trained["dpo"]["reference"] == ce_policy
        assert (trained["params"]["lea_augment_k"] > 0) == pairs_from_le
        assert "loss/pref_accuracy" in dict(models[cell]["history"][-1][1])
    for record in models.values():
        assert 0.0 <= record["offline"]["ndcg@10/purchase"] <= 1.0
        assert 0.0 <= record["online"]["purchase_rate"] <= 1.0
        assert {"hr@10/new_click", "coverage@20", "novelty@20"} <= set(record["offline"])
        assert set(record["off_policy"]) >= {"ips", "snips", "dr"}
        assert Path(record["test_ranks"]).is_file()
    report_text = (run / "report.md").read_text()
    for section in ("Clicks on new items", "Beyond accuracy", "## Significance", "## Off-policy estimates"):
        assert section in report_text, section
    # The LEA model trained on labeled transitions: every training row labeled once.
    labels_dir = Path(json.loads((run / "stages.json").read_text())["label"]["labels"])
    labeled = pq.read_table(sorted(labels_dir.glob("*.parquet")))
    train_rows = pq.read_metadata(run / "data" / "transitions" / "train.parquet").num_rows
    assert labeled.num_rows == train_rows
    assert {schema.LE_STATE, schema.LE_REWARD, schema.LE_POS_ACTIONS, schema.LE_POS_REWARDS} <= set(
        labeled.column_names
    )
    # `learec eval` on an exported policy reproduces the run's offline figures, with its own cut-offs.
    sqn = models["sqn-base-gru4rec-s0"]
    again_eval = evaluate_exported(Path(sqn["export_dir"]), run / "data", "test", EvalConfig(ks=(10,)))
    assert again_eval["ndcg@10/purchase"] == pytest.approx(sqn["offline"]["ndcg@10/purchase"], abs=1e-6)
    assert "ndcg@20/purchase" not in again_eval
    report = (run / "report.md").read_text()
    for text in ("SQN+LEA (gru4rec)", "Most popular", "Language-model environment", "Labeling"):
        assert text in report

    # A second run with the same config finishes every stage from the stored results.
    before = json.loads((run / "stages.json").read_text())
    again_log: list[str] = []
    again = run_pipeline(cfg, log=again_log.append)
    # It says so, stage by stage, and needs no Ray for it.
    assert not any("starting Ray" in line for line in again_log), again_log
    reused = [line for line in again_log if "reused (finished" in line]
    assert len(reused) == 1 + 1 + 2 + len(models) - 1, again_log  # data, pop, LE + labels, models
    after = json.loads((run / "stages.json").read_text())
    for stage, entry in before.items():
        if stage != "pipeline":
            assert after[stage]["finished"] == entry["finished"], f"stage {stage} was redone"
    assert {r["model_id"] for r in again.results} == set(models)
