"""`learec run` with cells in and on the LE environment: PPO from CE and SQN on generated + logged sessions
train, write the standard records, appear in the report (with the sim-to-real table), serve, and reuse."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from support import TINY_RUN, free_port

from learec.platform.jobs.config import RunConfig
from learec.platform.jobs.config_file import build_config
from learec.platform.jobs.pipeline import load_results, run_pipeline

TINY = {
    **TINY_RUN,
    "experiment.algos": "ce",
    "experiment.variants": "base",
    "experiment.ppo_from": "ce",
    "experiment.generated": "le",
    "experiment.generated_use": "mixed",
    "experiment.generated_sessions": 40,
    "ppo.iterations": 2,
    "ppo.train_batch_size": 64,
    "ppo.minibatch_size": 32,
    "ppo.num_epochs": 1,
    "ppo.envs_per_runner": 16,
    "le_env.max_steps": 6,
}
PPO_CELL, GENERATED_CELL = "ppo-from_ce-gru4rec-s0", "sqn-mixed_le-gru4rec-s0"


@pytest.mark.integration
def test_run_trains_le_environment_cells_and_reuses_them(ray_cluster, tmp_path: Path) -> None:
    cfg = build_config(RunConfig, None, {"runs_dir": str(tmp_path), "name": "le_cells", **TINY})
    result = run_pipeline(cfg)
    run = result.run_dir
    models = {r["model_id"]: r for r in load_results(run)}
    assert set(models) == {"pop", "ce-base-gru4rec-s0", PPO_CELL, GENERATED_CELL}
    for cell in (PPO_CELL, GENERATED_CELL):
        record = models[cell]
        assert {"hr@10/new_click", "ndcg@10/purchase", "coverage@20"} <= set(record["offline"])
        assert 0.0 <= record["online"]["purchase_rate"] <= 1.0
        assert set(record["off_policy"]) >= {"ips", "snips", "dr"}
        assert Path(record["test_ranks"]).is_file() and record["history"]
    # PPO started from the run's CE export; the generated cell trained on logged + generated sessions
    ppo_metrics = json.loads((run / "models" / PPO_CELL / "metrics.json").read_text())
    assert "loss/anchor_kl" in ppo_metrics["history"][-1][1]
    split = json.loads((run / "le_env" / "data" / "le-s0-mixed" / "stats.json").read_text())
    logged = json.loads((run / "data" / "stats.json").read_text())
    assert split["splits"]["train"]["sessions"] == logged["splits"]["train"]["sessions"] + 40
    # every model was played in the LE environment; the report shows both simulators side by side
    views = {p.stem for p in (run / "metrics" / "le_env").glob("*.json")}
    assert views == set(models)
    report = (run / "report.md").read_text()
    assert "## Sim-to-real: the LE environment vs the shop" in report
    for name in ("PPO from CE (gru4rec)", "SQN on logged + generated (LE users) (gru4rec)"):
        assert name in report
    table = report.split("## Sim-to-real")[1]
    assert "| CE (gru4rec) | 1 |" in table and "reference" in table

    # Serve loads the PPO export like any other policy.
    from learec.platform.jobs import deploy
    from learec.serve.options import ServeConfig

    serve_cfg = ServeConfig(port=free_port(), app_name="le-cells")
    url = deploy.start(Path(models[PPO_CELL]["export_dir"]), serve_cfg, api_key="k")
    try:
        answer = httpx.post(
            f"{url}/recommend", json={"history": [], "k": 3}, headers={"x-api-key": "k"}, timeout=30
        )
        assert answer.status_code == 200 and len(answer.json()["items"]) == 3
    finally:
        deploy.stop()

    # A rerun trains nothing; a changed ppo section retrains PPO (and its LE figures) only.
    before = json.loads((run / "stages.json").read_text())
    again_log: list[str] = []
    run_pipeline(cfg, log=again_log.append)
    assert not any("starting Ray" in line for line in again_log), again_log
    assert not any(": running" in line for line in again_log), again_log
    tuned = build_config(RunConfig, None, {"runs_dir": str(tmp_path), "name": "le_cells", **TINY,
                                           "ppo.anchor_weight": 0.5})  # fmt: skip
    run_pipeline(tuned)
    after = json.loads((run / "stages.json").read_text())
    redone = {s for s, e in before.items() if after[s]["finished"] != e["finished"]}
    assert redone == {"pipeline", f"train/{PPO_CELL}", f"le_view/{PPO_CELL}"}
