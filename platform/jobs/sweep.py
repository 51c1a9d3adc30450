"""``learec sweep``: a Ray Tune search over a run config, with ASHA on a validation ranking metric.

``python -m learec.platform.jobs.sweep --config tune_configs/quick.yaml [--resume] [sweep.num_samples=4]``
is the entry point ``ray job submit`` runs. Everything lands in ``runs/<name>/sweeps/<sweep>/``:

    tune/          Tune's experiment (trial folders with TensorBoard event files, checkpoints, state)
    results.csv    one row per trial: sampled values, final and best validation metrics, iterations
    results.md     the same as a markdown table
    best.yaml      the best trial's run config, ready for ``learec train --config best.yaml``
    best/          the best trial's policy (servable), and test metrics of the best config over seeds
    plots/         validation metric vs each searched key; trial curves with ASHA's stops
    summary.json   what ``learec report`` reads

Trials are Tune function trainables driving ``runner.Training`` (docs/DESIGN-sweeps.md says why).
"""

from __future__ import annotations

import copy
import importlib.util
import logging
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learec.platform.jobs.config_file import set_dotted
from learec.platform.jobs.sweep_spec import SweepConfig, SweepSpec, load_sweep

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
TUNE_DIR = "tune"
MLFLOW_DIR = "mlruns"


@dataclass(frozen=True)
class TrialResources:
    """One trial's placement-group bundles and what the cluster can run of them at once."""

    bundles: tuple[dict[str, float], ...]
    max_concurrent: int

    @property
    def cpus(self) -> float:
        return sum(b.get("CPU", 0.0) for b in self.bundles)


def trial_resources(spec: SweepSpec, cluster: Mapping[str, float]) -> TrialResources:
    """Two bundles per trial: the trial process, and its offline pipeline (learners, prelearners, data).

    Tune gives the first bundle to the trial process itself; everything the trial starts must fit the
    others. The trial pins Ray Data to its placement group (``sweep_trial.keep_data_in_trial_group``),
    so the pipeline bundle holds the OfflinePreLearner actors, remote learners and the 1-CPU file
    listing (``data_cpus``): without it the listing never gets a CPU (RAY_NOTES §5). One pipeline bundle
    rather than one per actor, so the actor cannot take the slot the listing needed.
    """
    train, sweep = spec.run.train, spec.sweep
    gpus = float(cluster.get("GPU", 0.0))
    prelearners = train.data.num_prelearners or max(1, train.num_learners)
    head: dict[str, float] = {"CPU": sweep.trial_cpus}
    pipeline = {
        "CPU": train.num_learners * train.cpus_per_learner
        + prelearners * train.data.prelearner_cpus
        + sweep.data_cpus
    }
    cpus = head["CPU"] + pipeline["CPU"]
    fits = math.floor(float(cluster.get("CPU", 1.0)) / cpus + 1e-9)
    if gpus > 0 and sweep.gpus_per_trial > 0:
        head["GPU"] = sweep.gpus_per_trial
        fits = min(fits, math.floor(gpus / sweep.gpus_per_trial + 1e-9))
    if fits < 1:
        raise ValueError(
            f"one trial needs {cpus:g} CPUs but the cluster has {cluster.get('CPU', 0):g}: lower "
            "sweep.trial_cpus / sweep.data_cpus or start Ray with more logical CPUs (--num-cpus)"
        )
    wanted = sweep.max_concurrent or fits
    return TrialResources((head, pipeline), max(1, min(wanted, fits)))


def trial_fixed(spec: SweepSpec) -> dict[str, Any]:
    """The fixed run config trials train with: read tasks sized to the trial's data bundle.

    Ray Data gives each operator a share of its budget; a default 1-CPU read task inside the trial's
    placement group never fits it (``backpressured:tasks(ResourceBudget)`` forever), a fractional one does.
    """
    fixed = copy.deepcopy(spec.fixed)
    if spec.run.train.data.read_cpus is None:
        set_dotted(fixed, "train.data.read_cpus", spec.sweep.data_cpus / 2)
    return fixed


class SweepInterrupted(KeyboardInterrupt):
    """The driver was interrupted; Tune saved the experiment, ``--resume`` continues it."""


def total_trials(spec: SweepSpec) -> int:
    """Trials the sweep runs: each grid point ``num_samples`` times."""
    return spec.sweep.num_samples * math.prod(len(d.args) for d in spec.dimensions if d.kind == "grid")


def sweep_dir(spec: SweepSpec) -> Path:
    from learec.platform.jobs.output_paths import resolve_output

    runs = resolve_output(spec.run.runs_dir, "runs_dir").resolve()  # the same rule as RunDir.create
    return runs / spec.run.name / "sweeps" / spec.name


def prepare_inputs(spec: SweepSpec, progress: Progress) -> tuple[Path, Path | None]:
    """(prepared data folder, labels folder or None): given in the file, or made like ``learec run``."""
    from learec.platform.jobs import pipeline
    from learec.platform.jobs.run_dir import RunDir

    run, sweep = spec.run, spec.sweep
    needs_labels = (
        any(spec.run_config({d.key: v}).train.uses_labels for d in spec.dimensions for v in d.candidates())
        or run.train.uses_labels
    )
    if sweep.prepared:
        data_root = Path(sweep.prepared)
        if needs_labels and not sweep.labels:
            raise ValueError(
                "the search space uses LE switches: set sweep.labels to a labeled folder (`learec label`) "
                "or drop sweep.prepared so the sweep trains the LE and labels like `learec run`"
            )
        return data_root, Path(sweep.labels) if sweep.labels and needs_labels else None
    run_dir = RunDir.create(run.runs_dir, run.name)
    data = pipeline.stage_data(run, run_dir, progress)
    if not needs_labels:
        return Path(data.root), None
    if sweep.labels:
        return Path(data.root), Path(sweep.labels)
    le_ckpt = pipeline.stage_le(run, run_dir, data, pipeline._shop(run), progress)
    return Path(data.root), pipeline.stage_label(run, run_dir, data, le_ckpt, progress)


def search_algorithm(sweep: SweepConfig, max_concurrent: int) -> Any:
    """Random search (Tune's variant generator) or Optuna's TPE, running at most ``max_concurrent`` trials.

    Tune applies ``max_concurrent_trials`` only to a bare ``Searcher``, so the limit sits on the algorithm
    itself: the variant generator's own, or a ``ConcurrencyLimiter`` around Optuna. Both mirror their
    state for a safe resume (sweep_state.py).
    """
    from learec.platform.jobs.sweep_state import MirroredSearchGenerator, MirroredVariantGenerator

    if sweep.search_alg == "optuna":
        from ray.tune.search import ConcurrencyLimiter
        from ray.tune.search.optuna import OptunaSearch

        return MirroredSearchGenerator(ConcurrencyLimiter(OptunaSearch(seed=sweep.seed), max_concurrent))
    return MirroredVariantGenerator(random_state=sweep.seed, max_concurrent=max_concurrent)


def _tuner(spec: SweepSpec, trainable: Any, resources: TrialResources, out: Path, mlflow: bool) -> Any:
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler

    from learec.platform.jobs.sweep_trial import ITERATIONS, TrialsDone

    sweep = spec.sweep
    search_alg = search_algorithm(sweep, resources.max_concurrent)
    if sweep.scheduler == "asha":
        scheduler: Any = ASHAScheduler(
            time_attr=ITERATIONS,
            max_t=spec.run.train.iterations,
            grace_period=min(sweep.grace_period, spec.run.train.iterations),
            reduction_factor=sweep.reduction_factor,
        )
    else:
        scheduler = FIFOScheduler()
    callbacks: list[Any] = [TrialsDone(total_trials(spec))]
    if mlflow:
        if importlib.util.find_spec("mlflow") is None:
            raise ValueError('--mlflow needs the MLflow client: pip install "learec[mlflow]"')
        from learec.platform.jobs.sweep_tracking import mlflow_callback

        callbacks.append(mlflow_callback(out / MLFLOW_DIR, spec.name))
    return tune.Tuner(
        tune.with_resources(trainable, tune.PlacementGroupFactory(list(resources.bundles))),
        param_space=spec.param_space(),
        tune_config=tune.TuneConfig(
            metric=sweep.metric,
            mode=sweep.mode,
            num_samples=sweep.num_samples,
            search_alg=search_alg,
            scheduler=scheduler,
            # A trial runs in a fresh process unless reused, paying the torch + RLlib import again
            # (about 5 s on 2 cores, more than a short trial trains); every trial has the same resources.
            reuse_actors=True,
            trial_dirname_creator=lambda trial: f"trial_{trial.trial_id}",
        ),
        run_config=tune.RunConfig(
            name=TUNE_DIR,
            storage_path=str(out),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
            failure_config=tune.FailureConfig(max_failures=sweep.trial_retries),
            callbacks=callbacks,
            verbose=0,
        ),
    )


def run_sweep(
    spec: SweepSpec,
    resume: bool = False,
    mlflow: bool = False,
    address: str | None = None,
    progress: Progress | None = None,
    say: Callable[[str], None] | None = None,
) -> Any:
    """Run (or with ``resume`` continue) the sweep; then write the table, best config, plots and policy."""
    import ray
    from ray import tune

    from learec.platform.common import atomic
    from learec.platform.jobs import sweep_state, sweep_trial
    from learec.platform.jobs.config_file import dump_yaml
    from learec.platform.jobs.ray_runtime import init_ray
    from learec.platform.jobs.sweep_results import finish_sweep
    from learec.platform.jobs.sweep_trial import TrialContext, run_trial

    progress = progress or (lambda task, done, total: None)
    sweep_trial.PROGRESS[:] = [progress]
    say = say or log.info
    out = sweep_dir(spec)
    experiment = out / TUNE_DIR
    if resume and not tune.Tuner.can_restore(str(experiment)):
        raise FileNotFoundError(f"{experiment}: no sweep to resume; run it without --resume first")
    if not resume and experiment.exists():
        raise FileExistsError(f"{out} already holds this sweep: pass --resume, or --name for a new sweep")
    say(f"sweep folder {out}")
    data_root, labels = prepare_inputs(spec, progress)
    init_ray(num_cpus=spec.run.num_cpus, address=address or spec.run.ray_address)
    resources = trial_resources(spec, ray.cluster_resources())
    say(
        f"{spec.sweep.num_samples} trials, {resources.max_concurrent} at a time, {resources.cpus:g} CPUs each"
    )
    out.mkdir(parents=True, exist_ok=True)
    atomic.write_text(dump_yaml({**spec.fixed, "sweep": _sweep_section(spec)}), out / "sweep.yaml")
    ctx = TrialContext(trial_fixed(spec), str(data_root), str(labels) if labels else None)
    trainable = tune.with_parameters(run_trial, ctx=ctx)
    sweep_state.mirror_to(out / sweep_state.STATE_DIR)
    if resume:
        say("resuming from the stored experiment state")
        # A driver killed while Tune copied its state into the sweep folder left torn files there.
        sweep_state.restore_state(out / sweep_state.STATE_DIR, experiment)
        tuner = tune.Tuner.restore(
            str(experiment),
            trainable=tune.with_resources(trainable, tune.PlacementGroupFactory(list(resources.bundles))),
            resume_unfinished=True,
            resume_errored=True,
        )
    else:
        tuner = _tuner(spec, trainable, resources, out, mlflow)
    grid = tuner.fit()
    if grid.num_terminated + grid.num_errors < total_trials(
        spec
    ):  # Tune stopped on SIGINT and saved its state
        raise SweepInterrupted(f"sweep interrupted; `--resume` continues it from {experiment}")
    errors = [r for r in grid if r.error is not None]
    if errors:
        first = error_line(errors[0].error)
        raise ValueError(
            f"{len(errors)} trial(s) failed (first: {first}); see {errors[0].path}/error.txt, fix it and "
            "rerun with --resume"
        )
    say("writing the results table, best config, plots and policy; test metrics of the best config")
    return finish_sweep(spec, grid, out, Path(data_root), labels, progress)


def error_line(error: BaseException) -> str:
    """The last ``SomeError: message`` line of a trial's error (Tune wraps the real one), shortened."""
    lines = str(error).strip().splitlines()
    named = [ln for ln in lines if re.match(r"^[\w.]+(Error|Exception): ", ln)]
    return (named[-1] if named else lines[0] if lines else type(error).__name__)[:200]


def _sweep_section(spec: SweepSpec) -> dict[str, Any]:
    from learec.platform.common.fields import to_dict

    section = to_dict(spec.sweep)
    section["space"] = {d.key: {d.kind: list(d.args)} for d in spec.dimensions}
    return section


def main(argv: list[str] | None = None) -> None:
    """``python -m learec.platform.jobs.sweep --config FILE [--resume] [--mlflow] [key=value ...]``."""
    from learec.platform.jobs.job_args import job_parser
    from learec.platform.jobs.ray_runtime import apply_default_env

    parser = job_parser(__doc__.splitlines()[0])
    parser.add_argument("--resume", action="store_true", help="continue an interrupted sweep")
    parser.add_argument("--mlflow", action="store_true", help="also track trials in <sweep>/mlruns")
    args = parser.parse_args(argv)
    if args.config is None:
        parser.error("--config is required (a tune_configs/*.yaml file)")
    bad = [o for o in args.overrides if "=" not in o]
    if bad:
        parser.error(f"overrides must look like key=value, got {bad[0]!r}")
    apply_default_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    spec = load_sweep(args.config, dict(o.split("=", 1) for o in args.overrides))
    try:
        summary = run_sweep(spec, resume=args.resume, mlflow=args.mlflow)
    except SweepInterrupted as exc:
        log.warning("%s", exc)
        raise SystemExit(130) from None
    log.info("best trial %s: %s", summary["best"]["trial_id"], summary["best"]["metric"])


if __name__ == "__main__":
    main()
