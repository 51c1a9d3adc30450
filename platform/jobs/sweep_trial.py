"""One Tune trial: the run config with the sampled values, trained by the ``Training`` of ``learec train``.

The trial validates every ``train.eval_every`` iterations (unset: every epoch) on the **val** split (the
test split is never read during a sweep; ASHA, not ``train.patience``, decides when a trial stops),
reports HR/NDCG@k for clicks and purchases as ``val/<metric>@<k>/<event>`` next to the losses, and
checkpoints the RLlib algorithm with each report, so ASHA can stop it between reports and
``Tuner.restore`` can continue it after an interrupted sweep.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ray.tune import Callback

VAL_PREFIX = "val/"
ITERATIONS = "iterations"  # RLlib training iterations done: ASHA's time axis


@dataclass(frozen=True)
class TrialContext:
    """What every trial shares (picklable; handed to trials by ``tune.with_parameters``)."""

    fixed: dict[str, Any]  # the sweep file's run-config mapping, without ``sweep:``
    data_root: str
    labels_dir: str | None


# Where TrialsDone reports: set by the driver, not pickled with the experiment (a progress bar holds locks).
PROGRESS: list[Callable[[str, int, int], None]] = []


class TrialsDone(Callback):
    """Reports trials finished (run to the end or stopped by ASHA) out of ``total`` to ``PROGRESS``."""

    def __init__(self, total: int) -> None:
        self.total = total

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        done = sum(t.status == "TERMINATED" for t in trials) + 1  # this one is marked after the hook
        for progress in PROGRESS:
            progress("trials", min(done, self.total), self.total)


def trial_metrics(iteration: int, losses: Mapping[str, float], val: Mapping[str, float]) -> dict[str, Any]:
    return {ITERATIONS: iteration, **losses, **{f"{VAL_PREFIX}{k}": float(v) for k, v in val.items()}}


def trial_run_config(fixed: Mapping[str, Any], config: Mapping[str, Any]) -> Any:
    """The RunConfig of one trial: the fixed mapping with the sampled dotted keys set."""
    from learec.platform.common.fields import from_dict
    from learec.platform.jobs.config import RunConfig
    from learec.platform.jobs.config_file import set_dotted

    values = copy.deepcopy(dict(fixed))
    for key, value in config.items():
        set_dotted(values, key, value)
    return from_dict(RunConfig, values)


def keep_data_in_trial_group() -> None:
    """Run this trial's Ray Data tasks and actors in the trial's placement group.

    Ray Data schedules with ``SPREAD`` by default, which leaves the placement group: its read task and
    OfflinePreLearner actor then wait for CPUs that the trials' groups hold, forever. Pinned, they use
    the data bundles ``sweep.trial_resources`` adds to the group.
    """
    import ray
    from ray.data import DataContext
    from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

    group = ray.util.get_current_placement_group()
    if group is None:
        return
    strategy = PlacementGroupSchedulingStrategy(group, placement_group_capture_child_tasks=True)
    # Tasks with large arguments use DEFAULT, which the group's child-task capture already keeps inside.
    DataContext.get_current().scheduling_strategy = strategy


def run_trial(config: dict[str, Any], ctx: TrialContext) -> None:
    """Tune function trainable; ``config`` maps dotted run-config keys to the sampled values."""
    import torch
    from ray import tune

    from learec.platform.data.prepare import load_prepared
    from learec.platform.eval.protocol import evaluate
    from learec.platform.jobs.ray_runtime import quiet_ray_logs
    from learec.platform.jobs.train import _train_inputs
    from learec.rllib_algos.common.runner import Training

    torch.set_num_threads(1)
    quiet_ray_logs()
    keep_data_in_trial_group()
    cfg = trial_run_config(ctx.fixed, config)
    data = load_prepared(Path(ctx.data_root))
    labels = Path(ctx.labels_dir) if ctx.labels_dir and cfg.train.uses_labels else None
    trial_dir = Path(tune.get_context().get_trial_dir())
    training = Training(
        cfg.train, _train_inputs(data, labels), data.n_items, data.state_len, trial_dir / "rllib"
    )
    try:
        checkpoint = tune.get_checkpoint()
        if checkpoint is not None:
            with checkpoint.as_directory() as folder:
                training.restore(Path(folder))
        val_rows = data.transitions("val")
        every = training.eval_interval or training.iterations
        while not training.done:
            losses: dict[str, float] = {}
            for _ in range(min(every, training.iterations - training.iteration)):
                losses = training.step()
            val = evaluate(training.scorer(), val_rows, data.n_items, cfg.eval)
            with tempfile.TemporaryDirectory(prefix="learec-ckpt-") as tmp:
                training.save(Path(tmp))
                tune.report(
                    trial_metrics(training.iteration, losses, val),
                    checkpoint=tune.Checkpoint.from_directory(tmp),
                )
    finally:
        training.stop()
