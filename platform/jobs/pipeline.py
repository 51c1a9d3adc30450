"""``learec run``: the whole pipeline in one resumable job.

Stages, each skipped when it finished before with the same inputs (``runs/<name>/stages.json``):

1. data      logs (synthetic shop or a loader) -> splits, vocabulary, transitions   (runs/<name>/data)
2. le        train the LE on a user subset, evaluate it on held-out sessions           (runs/<name>/le)
3. label     Ray Data actor pool labels the training transitions                       (runs/<name>/labels)
4. train     RLlib offline algorithms x LE variants x backbones x seeds                (runs/<name>/models)
             + PPO in the LE environment, and algorithms trained on sessions generated in it
               (rollouts and training splits under runs/<name>/le_env; cell kinds: grid.py)
5. evaluate  full-ranking HR/NDCG on the test split, online purchase rate in the shop  (runs/<name>/metrics)
             + on the shop with PPO/generated cells: every model's purchase rate in the LE environment
6. report    report.md with tables and plots                                           (runs/<name>/report.md)

Run it as ``learec run`` or ``python -m learec.platform.jobs.pipeline --config run.yaml`` (the latter is what
``ray job submit`` runs on a cluster).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from learec.platform.common import atomic
from learec.platform.common.fields import replace, to_dict
from learec.platform.jobs.config import RunConfig
from learec.platform.jobs.config_file import dump_yaml
from learec.platform.jobs.fingerprint import fingerprint
from learec.platform.jobs.grid import (
    GENERATED_USES,
    LE_BEHAVIOUR,
    LOGGED,
    PPO,
    ModelSpec,
    experiment_grid,
    policy_source_spec,
    reference_spec,
    uses_le_environment,
)
from learec.platform.jobs.run_dir import RunDir
from learec.platform.jobs.variants import VARIANTS, Variant
from learec.platform.le.quality_check import weak_le_warning
from learec.rllib_algos.common.train_config import TrainConfig
from learec.rllib_algos.registry import ALGORITHMS

if TYPE_CHECKING:  # types only: the CLI must not pay for pyarrow/numpy-heavy imports at start-up
    import numpy as np

    from learec.platform.data.prepare import PreparedData
    from learec.platform.sim.online_eval import RecommendFn
    from learec.platform.sim.shop import SyntheticShop

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
StageLog = Callable[[str], None]

RESULTS_DIR = "metrics"


@dataclass(frozen=True)
class PipelineResult:
    run_dir: Path
    report: Path
    results: list[dict[str, Any]]


def uses_labels(cfg: RunConfig, spec: ModelSpec) -> bool:
    """Whether the cell trains on the LE labels (its variant's switches or its algorithm's own section);
    PPO and generated-trajectory cells never do (the labels are of the logged transitions)."""
    return spec.kind == LOGGED and train_config_for(cfg, spec).uses_labels


def _noop_progress(task: str, done: int, total: int, detail: str = "") -> None:
    return None


def run_pipeline(
    cfg: RunConfig,
    fresh: bool = False,
    progress: Progress | None = None,
    log: StageLog | None = None,
) -> PipelineResult:
    from learec.platform.jobs.ray_runtime import init_ray

    progress = progress or _noop_progress
    say = log or logger.info
    run = RunDir.create(cfg.runs_dir, cfg.name)
    if fresh and run.path("stages.json").exists():
        run.path("stages.json").unlink()
    atomic.write_text(dump_yaml(to_dict(cfg)), run.path("resolved.yaml"))
    started = time.time()

    say(f"run folder {run.root}")
    data = stage_data(cfg, run, progress, say)
    shop = _shop(cfg)
    ray_started = False

    def need_ray() -> None:  # only stages that run start Ray: a fully reused run never does
        nonlocal ray_started
        if not ray_started:
            say("starting Ray")
            init_ray(num_cpus=cfg.num_cpus, address=cfg.ray_address)
            ray_started = True

    stage_popularity(cfg, run, data, shop, say)

    grid = experiment_grid(cfg)
    labels_dir: Path | None = None
    le_ckpt: Path | None = None
    if any(uses_labels(cfg, spec) for spec in grid) or uses_le_environment(cfg):
        le_ckpt = stage_le(cfg, run, data, shop, progress, say)
    if le_ckpt is not None and any(uses_labels(cfg, spec) for spec in grid):
        labels_dir = stage_label(cfg, run, data, le_ckpt, progress, say, need_ray)

    for i, spec in enumerate(grid, 1):
        title = f"train {i}/{len(grid)}: {spec.display_name}, seed {spec.seed}"
        if spec.kind == LOGGED:
            labels = labels_dir if uses_labels(cfg, spec) else None
            stage_train(cfg, run, data, spec, labels, shop, progress, say=say, need_ray=need_ray, title=title)
        elif spec.kind == PPO:
            assert le_ckpt is not None  # the LE stage runs whenever the grid has PPO cells
            stage_ppo(cfg, run, data, spec, le_ckpt, shop, progress, say, need_ray, title)
        else:
            assert le_ckpt is not None
            stage_generated(cfg, run, data, spec, le_ckpt, shop, progress, say, need_ray, title)
    if shop is not None and le_ckpt is not None and uses_le_environment(cfg):
        stage_sim_to_real(cfg, run, data, le_ckpt, say)

    say("report")
    report = rebuild_report(run.root)
    run.mark_done("pipeline", fingerprint(cfg), wall_s=round(time.time() - started, 1))
    return PipelineResult(run.root, report, load_results(run.root))


# stages -------------------------------------------------------------------------------------------------
def _shop(cfg: RunConfig) -> SyntheticShop | None:
    if cfg.data.source != "shop":
        return None
    from learec.platform.sim.shop import SyntheticShop

    return SyntheticShop(cfg.shop)


def reused(run: RunDir, stage: str, key: str, say: StageLog, title: str) -> bool:
    """True when ``stage`` finished before with the same inputs; says which way it went and why."""
    entry = run.stage_info(stage)
    if run.is_done(stage, key):
        say(f"{title}: reused (finished {entry.get('finished', 'earlier')} with the same inputs)")
        return True
    why = "its inputs changed since it last ran" if entry else "not run yet"
    say(f"{title}: running ({why})")
    return False


def stage_data(cfg: RunConfig, run: RunDir, progress: Progress, say: StageLog = logger.info) -> PreparedData:
    from learec.platform.data.prepare import load_prepared
    from learec.platform.jobs.data_jobs import prepare_data

    key = fingerprint(cfg.data, cfg.shop if cfg.data.source == "shop" else None, cfg.prep)
    root = run.path("data")
    if reused(run, "data", key, say, "data: logs -> splits -> transitions"):
        return load_prepared(root)
    prepared = prepare_data(cfg, root, progress=progress, force=True)
    run.mark_done("data", key, n_items=prepared.n_items)
    return prepared


def stage_popularity(
    cfg: RunConfig, run: RunDir, data: PreparedData, shop: SyntheticShop | None, say: StageLog = logger.info
) -> None:
    from learec.platform.eval.baselines import popularity_score_fn
    from learec.platform.eval.protocol import evaluate_detailed
    from learec.platform.eval.significance import TEST_RANKS, save_ranked

    key = fingerprint(run.stage_info("data").get("fingerprint"), cfg.eval, cfg.online)
    if reused(run, "popularity", key, say, "baselines: most popular"):
        return
    popularity = data.popularity()
    score_fn = popularity_score_fn(popularity)
    offline, ranked = evaluate_detailed(
        score_fn, data.transitions("test"), data.n_items, cfg.eval, popularity
    )
    online, ope = {}, {}
    if shop is not None:
        recommend = _popularity_recommender(popularity, data.raw_ids())
        online, ope = _online_eval(cfg, shop, recommend), _off_policy_eval(cfg, shop, recommend)
    ranks_path = save_ranked(ranked, run.path("models", "pop", TEST_RANKS))
    save_result(
        run,
        {
            "model_id": "pop",
            "model": "Most popular",
            "algo": "pop",
            "variant": "base",
            "backbone": "-",
            "seed": 0,
            "offline": offline,
            "online": online,
            "off_policy": ope,
            "test_ranks": str(ranks_path),
            "history": [],
        },
    )
    run.mark_done("popularity", key)


def _popularity_recommender(popularity: np.ndarray, raw_ids: list[str]) -> RecommendFn:
    import numpy as np

    order = [raw_ids[i] for i in np.argsort(-popularity, kind="stable")]

    def recommend(histories: Sequence[Sequence[str]], k: int) -> list[list[str]]:
        out = []
        for history in histories:
            seen = set(history)
            out.append([r for r in order[: k + len(seen)] if r not in seen][:k])
        return out

    return recommend


def _online_eval(cfg: RunConfig, shop: SyntheticShop, recommend: RecommendFn) -> dict[str, float]:
    from learec.platform.sim.online_eval import evaluate_policy

    return evaluate_policy(
        recommend,
        shop,
        n_sessions=cfg.online.n_sessions,
        k=cfg.online.k,
        max_steps=cfg.online.max_steps,
        seed=cfg.seed,
    )


_HELD_OUT_LOGS: dict[str, Any] = {}  # fingerprint of the shop config -> LoggedSlates (one per process)
HELD_OUT_SEED_OFFSET = 10_000  # held-out logged sessions: shop.generate(seed=shop.seed + this)


def _off_policy_eval(cfg: RunConfig, shop: SyntheticShop, recommend: RecommendFn) -> dict[str, float]:
    """IPS / SNIPS / DR of a policy's purchase rate from held-out logged sessions of the shop."""
    if not cfg.online.ope_sessions:
        return {}
    from learec.platform.eval.off_policy import LoggedSlates, off_policy_estimates

    key = fingerprint(cfg.shop, cfg.online.ope_sessions)
    if key not in _HELD_OUT_LOGS:
        logs = shop.generate(
            cfg.online.ope_sessions, seed=cfg.shop.seed + HELD_OUT_SEED_OFFSET, impressions=True
        )
        _HELD_OUT_LOGS[key] = LoggedSlates.from_shop_logs(logs.events, logs.impressions, shop.raw_ids)
    return off_policy_estimates(recommend, _HELD_OUT_LOGS[key], cfg.online.k, shop.n_items)


def stage_le(
    cfg: RunConfig,
    run: RunDir,
    data: PreparedData,
    shop: SyntheticShop | None,
    progress: Progress,
    say: StageLog = logger.info,
) -> Path:
    from learec.platform.jobs import le_jobs

    key = fingerprint(run.stage_info("data").get("fingerprint"), cfg.le)
    ckpt = run.path("le", "checkpoint")
    title = f"LE: training ({cfg.le.backbone}) on {cfg.le.user_fraction:.0%} of training sessions"
    if ckpt.exists() and reused(run, "le", key, say, title):
        return ckpt
    if not ckpt.exists():
        say(f"{title}: running (no checkpoint yet)")
    le_jobs.train(cfg.le, data.root, ckpt, progress=progress, force=True)
    metrics = le_jobs.evaluate(ckpt, data.root, shop=shop)
    atomic.write_json(metrics, run.path(RESULTS_DIR, "le.json"))
    warning = weak_le_warning(metrics)
    if warning:
        say(f"warning: {warning}")
    run.mark_done("le", key)
    return ckpt


def stage_label(
    cfg: RunConfig,
    run: RunDir,
    data: PreparedData,
    le_ckpt: Path,
    progress: Progress,
    say: StageLog = logger.info,
    need_ray: Callable[[], None] | None = None,
) -> Path:
    from learec.platform.labeling.pipeline import label_transitions
    from learec.platform.labeling.version import LABEL_FORMAT

    # LABEL_FORMAT: labels an older learec wrote (fewer columns) are relabeled, not reused
    key = fingerprint(run.stage_info("le").get("fingerprint"), cfg.labeling, LABEL_FORMAT)
    if reused(run, "label", key, say, "labeling: LE states, rewards and positive actions with Ray Data"):
        return Path(run.stage_info("label")["labels"])
    report = label_transitions(
        le_ckpt,
        data.root / "transitions" / "train.parquet",
        run.path("labels"),
        cfg.labeling,
        progress=lambda done, total: progress("labeling", done, total),
        restart=True,  # the run's own labels folder: a changed input relabels instead of stopping
        expected_raw_ids=data.raw_ids(),
        start_ray=need_ray,
    )
    atomic.write_json(to_dict(report), run.path(RESULTS_DIR, "labeling.json"))
    run.mark_done("label", key, labels=str(report.output_dir))
    return Path(report.output_dir)


def train_config_for(cfg: RunConfig, spec: ModelSpec, run: RunDir | None = None) -> TrainConfig:
    """The TrainConfig of one grid cell: the run's train section with the cell's algo/variant/backbone
    (and, given the run folder, DPO's reference: the export of its :func:`reference_spec` cell)."""
    variant: Variant = VARIANTS[spec.variant]
    switches = variant.switches(cfg.experiment.lea_augment_k)
    params = replace(
        cfg.train.params, backbone=replace(cfg.train.params.backbone, name=spec.backbone), **switches
    )
    train = replace(cfg.train, algo=spec.algo, seed=spec.seed, params=params)
    reference = reference_spec(cfg, spec)
    if reference is not None and run is not None:
        policy = str(run.path("models", reference.model_id, "policy"))
        train = replace(train, dpo=replace(train.dpo, reference=policy))
    return train


def read_sections(train: TrainConfig) -> dict[str, Any]:
    """``train`` without the sections of other algorithms: a cell is retrained when what it reads changes,
    not when another algorithm's settings do."""
    doc = to_dict(train)
    return {k: v for k, v in doc.items() if k == train.algo or k not in ALGORITHMS}


def stage_train(
    cfg: RunConfig,
    run: RunDir,
    data: PreparedData,
    spec: ModelSpec,
    labels_dir: Path | None,
    shop: SyntheticShop | None,
    progress: Progress,
    say: StageLog = logger.info,
    need_ray: Callable[[], None] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    from learec.platform.jobs.train import train_and_evaluate

    train_cfg = train_config_for(cfg, spec, run)
    reference = reference_spec(cfg, spec)
    key = fingerprint(
        run.stage_info("data").get("fingerprint"),
        run.stage_info("label").get("fingerprint") if labels_dir else None,
        read_sections(train_cfg),
        cfg.eval,
        cfg.online,
        *([run.stage_info(f"train/{reference.model_id}").get("fingerprint")] if reference else []),
    )
    stage = f"train/{spec.model_id}"
    if reused(run, stage, key, say, title or stage):
        return load_result(run, spec.model_id)
    if need_ray is not None:
        need_ray()
    result = train_and_evaluate(
        train_cfg,
        data,
        run.path("models", spec.model_id),
        labels_dir=labels_dir,
        eval_config=cfg.eval,
        progress=progress,
    )
    record = model_record(cfg, run, spec, result.metrics, result.history, result.export_dir, shop)
    run.mark_done(stage, key)
    return record


def model_record(
    cfg: RunConfig,
    run: RunDir,
    spec: ModelSpec,
    offline: dict[str, float],
    history: list[tuple[int, dict[str, float]]],
    export_dir: Path,
    shop: SyntheticShop | None,
) -> dict[str, Any]:
    """The standard result record of a trained cell (every kind): offline test metrics, on the shop the
    online figures and off-policy estimates of its exported policy; saved under ``metrics/models/``."""
    from learec.platform.eval.significance import TEST_RANKS

    online, ope = {}, {}
    if shop is not None:
        from learec.serve.policy import ExportedPolicy

        policy = ExportedPolicy.load(export_dir)

        def recommend(histories: Sequence[Sequence[str]], k: int) -> list[list[str]]:
            # Simulated histories may hold items the vocabulary dropped (rare in train): skipped quietly.
            return [[r for r, _ in recs] for recs in policy.recommend_detailed(histories, k).items]

        online, ope = _online_eval(cfg, shop, recommend), _off_policy_eval(cfg, shop, recommend)
    record = {
        "model_id": spec.model_id,
        "model": spec.label,
        "kind": spec.kind,
        "algo": spec.algo,
        "variant": spec.variant,
        "backbone": spec.backbone,
        "seed": spec.seed,
        "offline": offline,
        "online": online,
        "off_policy": ope,
        "test_ranks": str(run.path("models", spec.model_id, TEST_RANKS)),
        "history": history,
        "export_dir": str(export_dir),
    }
    save_result(run, record)
    return record


# cells in and on the LE environment ---------------------------------------------------------------------
def _source_policy(run: RunDir, spec: ModelSpec) -> tuple[Path, str | None]:
    """The exported policy ``spec`` starts from or rolls out with, and its cell's training fingerprint."""
    source = policy_source_spec(spec)
    assert source is not None
    return run.path("models", source.model_id, "policy"), run.stage_info(f"train/{source.model_id}").get(
        "fingerprint"
    )


def _evaluate_export(
    cfg: RunConfig, run: RunDir, spec: ModelSpec, data: PreparedData, export_dir: Path
) -> dict[str, float]:
    """Test metrics of an exported policy (with the per-event ranks the significance tests read)."""
    from learec.platform.eval.protocol import evaluate_detailed
    from learec.platform.eval.significance import TEST_RANKS, save_ranked
    from learec.serve.policy import ExportedPolicy

    policy = ExportedPolicy.load(export_dir)
    test, ranked = evaluate_detailed(
        policy.score, data.transitions("test"), data.n_items, cfg.eval, data.popularity()
    )
    save_ranked(ranked, run.path("models", spec.model_id, TEST_RANKS))
    return test


def stage_ppo(
    cfg: RunConfig,
    run: RunDir,
    data: PreparedData,
    spec: ModelSpec,
    le_ckpt: Path,
    shop: SyntheticShop | None,
    progress: Progress,
    say: StageLog,
    need_ray: Callable[[], None],
    title: str,
) -> dict[str, Any]:
    """PPO in the LE environment from the exported policy of ``spec``'s source cell (``ppo.*``, seed =
    the cell's seed); retrained when the data, the LE, ``le_env``, ``ppo`` or the warm start change."""
    from learec.platform.jobs import le_env_jobs

    warm_start, warm_key = _source_policy(run, spec)
    ppo_params = replace(cfg.ppo, seed=spec.seed)
    key = fingerprint(
        run.stage_info("data").get("fingerprint"),
        run.stage_info("le").get("fingerprint"),
        cfg.le_env,
        ppo_params,
        warm_key,
        cfg.eval,
        cfg.online,
    )
    stage = f"train/{spec.model_id}"
    if reused(run, stage, key, say, title):
        return load_result(run, spec.model_id)
    need_ray()
    out = run.path("models", spec.model_id)
    result = le_env_jobs.ppo(
        replace(cfg, ppo=ppo_params), le_ckpt, data.root, warm_start, out, force=True, progress=progress
    )
    export_dir = Path(result["export_dir"])
    test = _evaluate_export(cfg, run, spec, data, export_dir)
    record = model_record(cfg, run, spec, test, result["history"], export_dir, shop)
    run.mark_done(stage, key)
    return record


def stage_rollout(
    cfg: RunConfig, run: RunDir, data: PreparedData, spec: ModelSpec, le_ckpt: Path, say: StageLog
) -> tuple[Path, str]:
    """The rollout folder of ``spec``'s behaviour and seed (shared by every use and algorithm trained on it)
    and its stage fingerprint."""
    from learec.platform.jobs import le_env_jobs

    source = policy_source_spec(spec)
    name = f"{LE_BEHAVIOUR}-s{spec.seed}" if source is None else source.model_id
    behaviour: str | Path = LE_BEHAVIOUR
    behaviour_key = LE_BEHAVIOUR
    if source is not None:
        behaviour, behaviour_key = _source_policy(run, spec)  # type: ignore[assignment]
    sessions = cfg.experiment.generated_sessions or int(data.stats["splits"]["train"]["sessions"])
    key = fingerprint(run.stage_info("le").get("fingerprint"), cfg.le_env, sessions, spec.seed, behaviour_key)
    stage = f"rollout/{name}"
    out = run.path("le_env", "rollouts", name)
    title = f"generated sessions: {sessions} in the LE environment ({name})"
    if not reused(run, stage, key, say, title):
        le_env_jobs.rollout(cfg, le_ckpt, data.root, behaviour, sessions, out, seed=spec.seed, force=True)
        run.mark_done(stage, key)
    return out, key


def stage_generated(
    cfg: RunConfig,
    run: RunDir,
    data: PreparedData,
    spec: ModelSpec,
    le_ckpt: Path,
    shop: SyntheticShop | None,
    progress: Progress,
    say: StageLog,
    need_ray: Callable[[], None],
    title: str,
) -> dict[str, Any]:
    """An offline algorithm on a training split made of generated sessions (alone or with the logs);
    validated and tested on the logged val/test splits like every other cell."""
    from learec.platform.data.prepare import load_prepared
    from learec.platform.jobs import le_env_jobs
    from learec.platform.jobs.train import train_and_evaluate

    rollout, rollout_key = stage_rollout(cfg, run, data, spec, le_ckpt, say)
    mix_cfg = replace(cfg.mix, train_from=GENERATED_USES[spec.use])
    split_name = f"{rollout.name}-{spec.use}"
    split_key = fingerprint(rollout_key, mix_cfg)
    split_dir = run.path("le_env", "data", split_name)
    if not reused(run, f"split/{split_name}", split_key, say, f"training split: {spec.use} ({rollout.name})"):
        le_env_jobs.mix(data.root, [rollout], split_dir, mix_cfg, force=True)
        run.mark_done(f"split/{split_name}", split_key)
    train_cfg = train_config_for(cfg, spec, run)
    key = fingerprint(
        run.stage_info("data").get("fingerprint"), split_key, read_sections(train_cfg), cfg.eval, cfg.online
    )
    stage = f"train/{spec.model_id}"
    if reused(run, stage, key, say, title):
        return load_result(run, spec.model_id)
    need_ray()
    result = train_and_evaluate(
        train_cfg,
        load_prepared(split_dir),
        run.path("models", spec.model_id),
        eval_config=cfg.eval,
        progress=progress,
        eval_data=data,
    )
    record = model_record(cfg, run, spec, result.metrics, result.history, result.export_dir, shop)
    run.mark_done(stage, key)
    return record


LE_VIEW_DIR = "le_env"  # metrics/le_env/<model_id>.json: a model's figures in the LE environment


def stage_sim_to_real(cfg: RunConfig, run: RunDir, data: PreparedData, le_ckpt: Path, say: StageLog) -> None:
    """Every model's purchase rate in the LE environment, played with the shop's online protocol, for the
    report's sim-to-real table; per model, redone when the model, the LE, ``le_env`` or ``online`` change."""
    from learec.platform.eval.baselines import popularity_score_fn
    from learec.platform.eval.sim_to_real import play_in_le
    from learec.platform.jobs.le_env_jobs import load_world
    from learec.serve.policy import ExportedPolicy

    online = cfg.online
    world = None
    for record in load_results(run.root):
        model_id = record["model_id"]
        model_stage = "popularity" if model_id == "pop" else f"train/{model_id}"
        key = fingerprint(
            run.stage_info("le").get("fingerprint"),
            cfg.le_env,
            online,
            cfg.seed,
            run.stage_info(model_stage).get("fingerprint"),
        )
        stage = f"le_view/{model_id}"
        if reused(run, stage, key, say, f"sim-to-real: {record['model']} s{record['seed']} in the LE"):
            continue
        if world is None:
            env = replace(cfg.le_env, max_steps=online.max_steps, slate_size=online.k)
            world, _ = load_world(le_ckpt, data.root, env)
        if record.get("export_dir"):
            score = ExportedPolicy.load(record["export_dir"]).score
        else:
            score = popularity_score_fn(data.popularity())
        figures = play_in_le(world, score, online.n_sessions, online.k, cfg.seed)
        atomic.write_json(
            {"model_id": model_id, "le": figures}, run.path(RESULTS_DIR, LE_VIEW_DIR, f"{model_id}.json")
        )
        run.mark_done(stage, key)


# results and report ------------------------------------------------------------------------------------
def save_result(run: RunDir, record: dict[str, Any]) -> None:
    atomic.write_json(record, run.path(RESULTS_DIR, "models", f"{record['model_id']}.json"))


def load_result(run: RunDir, model_id: str) -> dict[str, Any]:
    return json.loads(run.path(RESULTS_DIR, "models", f"{model_id}.json").read_text(encoding="utf-8"))


def load_results(run_root: Path) -> list[dict[str, Any]]:
    folder = Path(run_root) / RESULTS_DIR / "models"
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def rebuild_report(run_root: Path) -> Path:
    """Write ``report.md`` and plots from everything the run stored under ``metrics/``."""
    from learec.platform.jobs.run_report import build_run_report

    return build_run_report(Path(run_root))


def main(argv: list[str] | None = None) -> None:
    """``python -m learec.platform.jobs.pipeline [--config FILE] [key=value ...]`` (ray job submit)."""
    from learec.platform.jobs.job_args import job_parser, parse_job_args, progress_log, user_errors

    parser = job_parser(__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="redo finished stages")
    with user_errors(parser):
        args, cfg = parse_job_args(parser, argv)
        result = run_pipeline(cfg, fresh=args.fresh, progress=progress_log(logger))
    # The job log's last line: where the results are (durable, see output_paths.py).
    logger.info("report: %s", result.report)


if __name__ == "__main__":
    main()
