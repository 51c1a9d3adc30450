"""Train one learec algorithm on transitions Parquet with RLlib, checkpoint it and export the policy.

The entry point of the training job (the CLI and the pipeline reach it through it) and of sweep trials,
which drive ``Training`` step by step between validations. Ray must already be running (``init_ray``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import torch

from learec.platform.common.fields import to_dict
from learec.rllib_algos.common.early_stopping import BestOnVal
from learec.rllib_algos.common.heads import RecNetwork
from learec.rllib_algos.common.lea_rewards import read_reward_scale
from learec.rllib_algos.common.offline_input import (
    check_input,
    offline_data_kwargs,
    parquet_files,
    spaces,
)
from learec.rllib_algos.common.params import RecRLParams
from learec.rllib_algos.common.policy_format import load_served
from learec.rllib_algos.common.train_config import TrainConfig

log = logging.getLogger(__name__)

ScoreFn = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (state [B, L], len_state [B]) -> [B, n_items]
MODULE_ID = "default_policy"


@dataclass(frozen=True)
class FitResult:
    checkpoint_dir: Path
    export_dir: Path
    history: list[tuple[int, dict[str, float]]]  # (iteration, {"loss/ce": ..., ...})
    metrics: dict[str, Any]  # final losses and, with a val_fn, the last validation metrics


def build_config(cfg: TrainConfig, files: Sequence[str], n_items: int, state_len: int) -> Any:
    """The RLlib AlgorithmConfig of ``cfg`` over ``files``."""
    from learec.rllib_algos.registry import config_class

    config = config_class(cfg.algo)().training(params=cfg.params, algo_params=cfg.algo_params)
    params = config.params
    le_state_dim = check_input(files, params, config.algo_params)
    obs_space, act_space = spaces(n_items, state_len)
    config = (
        config.environment(observation_space=obs_space, action_space=act_space)
        .learners(
            num_learners=cfg.num_learners,
            num_cpus_per_learner=cfg.cpus_per_learner if cfg.num_learners else "auto",
        )
        .offline_data(**offline_data_kwargs(files, params, cfg.num_learners, cfg.data, config.algo_params))
        .debugging(seed=cfg.seed)
        .reporting(min_time_s_per_iteration=0, min_sample_timesteps_per_iteration=0)
    )
    config.le_state_dim = le_state_dim
    if params.lea_augment_k > 0 and params.lea_reward_source != "constant":
        config.lea_reward_scale = read_reward_scale(files)
    return config


@contextlib.contextmanager
def results_dir(path: Path) -> Iterator[None]:
    """Point RLlib's Trainable log directory into ``path`` instead of ``~/ray_results``.

    Ray 2.60 offers no argument for it outside Tune (RAY_NOTES §2), so the module constant the
    Trainable reads is swapped for the duration of the build.
    """
    from ray.tune.trainable import trainable

    path.mkdir(parents=True, exist_ok=True)
    old = trainable.DEFAULT_STORAGE_PATH
    trainable.DEFAULT_STORAGE_PATH = str(path)
    try:
        yield
    finally:
        trainable.DEFAULT_STORAGE_PATH = old


def losses_of(result: dict[str, Any]) -> dict[str, float]:
    """The ``loss/*`` metrics of one ``Algorithm.train()`` result."""
    learner = result.get("learners", {}).get(MODULE_ID, {})
    return {k: float(v) for k, v in learner.items() if k.startswith("loss/")}


def local_scorer(algo: Any, n_items: int, state_len: int, params: RecRLParams) -> RecNetwork:
    """The served network (``policy_format``) on the driver with the learners' current network 1."""
    weights = algo.learner_group.get_weights(module_ids=[MODULE_ID])[MODULE_ID]
    net1 = {k[len("net1.") :]: np.asarray(v) for k, v in weights.items() if k.startswith("net1.")}
    return load_served(params.backbone, n_items, state_len, net1)


def _save_replacing(training: Training, path: Path) -> Path:
    """``training.save`` into ``path`` through a sibling temp folder, so ``path`` is never half-written."""
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    training.save(tmp)
    return _promote(tmp, path)


def _promote(src: Path, dst: Path) -> Path:
    """Move the checkpoint folder ``src`` to ``dst``, replacing what was there."""
    shutil.rmtree(dst, ignore_errors=True)
    src.rename(dst)
    return dst


def score_fn(net: RecNetwork) -> ScoreFn:
    """The network's serving scores as an evaluation ``ScoreFn`` (lengths come from the padding)."""

    @torch.inference_mode()
    def score(states: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        return net.scores(torch.as_tensor(np.asarray(states), dtype=torch.long)).numpy()

    return score


def iterations_per_epoch(config: TrainConfig, files: Sequence[str], batch_size: int) -> int:
    """Iterations of one pass over the rows of ``files`` (one batch per learner each)."""
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    return max(1, math.ceil(rows / (batch_size * max(1, config.num_learners))))


def planned_iterations(config: TrainConfig, files: Sequence[str], batch_size: int) -> int:
    """Training iterations of ``config``: ``iterations`` when set, else ``epochs`` passes over ``files``."""
    if config.iterations is not None:
        return config.iterations
    return max(1, math.ceil(config.epochs * iterations_per_epoch(config, files, batch_size)))


def validation_interval(config: TrainConfig, files: Sequence[str], batch_size: int) -> int:
    """Iterations between validations: ``eval_every``, or one epoch when it is unset (0: at the end only)."""
    if config.eval_every is not None:
        return config.eval_every
    return iterations_per_epoch(config, files, batch_size)


class Training:
    """One RLlib training run as steps: build, ``step()``, ``scorer()``, ``save``/``restore``, ``export``.

    ``fit`` drives it to the end; a Tune trial drives it a few iterations at a time, validating and
    checkpointing between reports, and restores it after an interrupted sweep. Call ``stop()`` when done.
    """

    STATE_FILE = "training_state.json"  # iteration counter and loss history beside the RLlib checkpoint

    def __init__(
        self,
        config: TrainConfig,
        train_path: Path | list[Path],
        n_items: int,
        state_len: int,
        logs_dir: Path,
    ) -> None:
        self.config = config
        self.n_items, self.state_len = n_items, state_len
        files = parquet_files(train_path)
        rl_config = build_config(config, files, n_items, state_len)
        self.params: RecRLParams = rl_config.params
        self.iterations = planned_iterations(config, files, self.params.batch_size)
        self.eval_interval = validation_interval(config, files, self.params.batch_size)
        self.iteration = 0
        self.history: list[tuple[int, dict[str, float]]] = []
        torch.manual_seed(config.seed)
        # Ray Data's context is per process: a Tune trial actor builds its own offline data, so the
        # file-order guarantee (same batches at the same seed, run after run) is set where the data is.
        import ray.data

        ray.data.DataContext.get_current().execution_options.preserve_order = True
        with results_dir(Path(logs_dir)):
            self.algo = rl_config.build_algo()

    @property
    def done(self) -> bool:
        return self.iteration >= self.iterations

    def step(self) -> dict[str, float]:
        """One training iteration; returns its ``loss/*`` metrics."""
        losses = losses_of(self.algo.train())
        self.iteration += 1
        self.history.append((self.iteration, losses))
        return losses

    def scorer(self) -> ScoreFn:
        """Scores of the current weights (network 1 on the driver), for validation."""
        return score_fn(local_scorer(self.algo, self.n_items, self.state_len, self.params))

    def save(self, path: Path) -> Path:
        """RLlib checkpoint of the algorithm plus this run's counters, in ``path``."""
        path = Path(path)
        checkpoint = Path(self.algo.save_to_path(str(path)))
        state = {"iteration": self.iteration, "history": self.history}
        (checkpoint / self.STATE_FILE).write_text(json.dumps(state), encoding="utf-8")
        return checkpoint

    def restore(self, path: Path) -> None:
        """Continue from a ``save``: weights, optimiser state, iteration counter and loss history."""
        from ray.rllib.utils.checkpoints import Checkpointable

        path = Path(path)
        # Algorithm.restore_from_path then syncs weights to its EnvRunnerGroup, which an offline
        # algorithm does not have (AttributeError on None); the generic Checkpointable restore loads
        # every component (learner group with weights and optimiser state) without that step.
        Checkpointable.restore_from_path(self.algo, str(path))
        state = json.loads((path / self.STATE_FILE).read_text(encoding="utf-8"))
        self.iteration = int(state["iteration"])
        self.history = [(int(i), dict(losses)) for i, losses in state["history"]]
        self._skip_seen_batches()

    def _skip_seen_batches(self) -> None:
        """Move the data stream past the batches trained on before the checkpoint.

        The offline data restarts from its first file after a restore; a learner in the driver reads one
        batch per iteration in file order (``preserve_order``, no shuffle buffer), so drawing
        ``iteration`` batches puts it where the uninterrupted run was, and the run continues exactly.
        Remote learners read per-learner iterators that cannot be positioned; they restart the stream.
        """
        c = self.algo.config
        if c.num_learners > 0 or c.dataset_num_iters_per_learner != 1 or self.config.data.shuffle_buffer:
            log.info("remote learners restart the data stream from its start after a restore")
            return
        for _ in range(self.iteration):
            self.algo.offline_data.sample(
                num_samples=c.train_batch_size_per_learner, num_shards=0, return_iterator=False
            )

    def train_config_dict(self) -> dict[str, Any]:
        """The training config as written beside an export."""
        return to_dict(self.config)

    def stop(self) -> None:
        self.algo.stop()


def fit(
    config: TrainConfig,
    train_path: Path | list[Path],
    n_items: int,
    state_len: int,
    out_dir: Path,
    raw_ids: list[str],
    on_iteration: Callable[[int, dict], None] | None = None,
    val_fn: Callable[[ScoreFn], dict] | None = None,
) -> FitResult:
    """Train ``config.algo``, checkpoint to ``out_dir/checkpoint``, export to ``out_dir/policy``.

    With ``val_fn`` the weights are validated every ``Training.eval_interval`` iterations and at the end;
    with ``config.patience`` > 0 training stops after that many validations without a better
    ``config.select_metric``, and the best weights seen (not the last) are checkpointed and exported.
    """
    from learec.rllib_algos.common.export import export_policy

    out_dir = Path(out_dir)
    training = Training(config, train_path, n_items, state_len, out_dir / "ray_logs")
    tracker = BestOnVal(config.select_metric, config.patience) if val_fn is not None else None
    best_dir, final_dir = out_dir / "checkpoint.best", out_dir / "checkpoint"
    shutil.rmtree(best_dir, ignore_errors=True)  # left by a run killed mid-way: never promote it
    val: dict[str, Any] = {}
    best_val: dict[str, Any] = {}
    try:
        while not training.done:
            losses = training.step()
            it = training.iteration
            if on_iteration is not None:
                on_iteration(it, losses)
            interval = training.eval_interval
            if tracker is None or not interval or it % interval or training.done:
                continue
            val = dict(val_fn(training.scorer()))
            log.info("iteration %d: %s", it, val)
            if config.patience and tracker.update(val, it):
                best_val = val
                _save_replacing(training, best_dir)
            elif tracker.exhausted:
                log.info(
                    "early stop at iteration %d: best %s %.4f at %d",
                    it,
                    tracker.key,
                    tracker.best,
                    tracker.best_iteration,
                )
                break
        if val_fn is not None:
            val = dict(val_fn(training.scorer()))
        if tracker is not None and config.patience and not tracker.update(val, training.iteration):
            checkpoint, val = _promote(best_dir, final_dir), best_val  # an earlier validation was better
        else:
            checkpoint = _save_replacing(training, final_dir)
        shutil.rmtree(best_dir, ignore_errors=True)
    finally:
        training.stop()
    history = training.history
    metrics = {**(history[-1][1] if history else {}), **val, "iterations": training.iterations}
    if tracker is not None and tracker.best_iteration is not None:
        metrics.update(best_iteration=tracker.best_iteration, stopped_iteration=training.iteration)
    export_dir = export_policy(checkpoint, out_dir / "policy", raw_ids, training.train_config_dict(), metrics)
    return FitResult(checkpoint, export_dir, history, metrics)
