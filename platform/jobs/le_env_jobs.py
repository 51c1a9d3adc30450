"""Jobs of the LE as a live environment: play a policy in it, generate trajectories, mix them into a
training split, train PPO in it.

Each is a thin layer over ``learec.platform.le.env`` and ``learec.rllib_algos.ppo_le`` with the usual output
guards (a folder is claimed before any work and written atomically).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from learec.platform.common import atomic, outputs

if TYPE_CHECKING:
    from learec.platform.data.prepare import PreparedData
    from learec.platform.jobs.config import RunConfig
    from learec.platform.le.env.config import LEEnvConfig, MixConfig
    from learec.platform.le.env.world import LEWorld

log = logging.getLogger(__name__)

LE_BEHAVIOUR = "le"  # --policy le: no recommender, users click what the LE finds (user-driven sessions)


def load_world(le_dir: Path, data_dir: Path, config: LEEnvConfig) -> tuple[LEWorld, PreparedData]:
    """The LE environment's world for an LE checkpoint and the prepared data it was trained on; sets this
    process's torch threads to ``config.threads``."""
    import torch

    from learec.platform.data.prepare import load_prepared
    from learec.platform.le.env.world import LEWorld

    if config.threads is not None:
        torch.set_num_threads(config.threads)
    data = load_prepared(outputs.resolve_path(data_dir))
    return LEWorld.build(outputs.resolve_path(le_dir), data.root, config), data


def slate_fn_for(world: LEWorld, policy: str | Path, k: int) -> tuple[Any, str]:
    """``(slate_fn, behaviour)``: an exported policy's top-k outside the history, or no slate (``le``)."""
    from learec.platform.le.env.play import no_slates, top_k_slates
    from learec.serve.policy import ExportedPolicy

    if str(policy) == LE_BEHAVIOUR:
        return no_slates(k), LE_BEHAVIOUR
    path = outputs.resolve_path(policy)
    loaded = ExportedPolicy.load(path)
    if list(loaded.raw_ids) != list(world.raw_ids):
        raise ValueError(
            f"the policy in {path} was trained on another item vocabulary than the LE environment's data: "
            "use a policy trained on this data folder"
        )
    return top_k_slates(loaded.score, k, world.pad_id), f"policy:{path}"


def play_policy(
    cfg: RunConfig, le_dir: Path, data_dir: Path, policy: str | Path, sessions: int, k: int, seed: int
) -> dict[str, float]:
    """A policy's purchase rate (and more, ``play_metrics``) over ``sessions`` sessions in the LE."""
    from learec.platform.le.env.play import play, play_metrics

    world, _ = load_world(le_dir, data_dir, cfg.le_env)
    world = world.with_slate_size(k)
    slate_fn, _ = slate_fn_for(world, policy, k)
    return play_metrics(play(world, slate_fn, sessions, seed=seed), k)


def rollout(
    cfg: RunConfig,
    le_dir: Path,
    data_dir: Path,
    policy: str | Path,
    sessions: int,
    out: Path,
    seed: int = 0,
    force: bool = False,
) -> Any:
    """``learec le rollout``: generated trajectories (a rollout folder, ``le/env/rollout.py``) at ``out``."""
    from learec.platform.le.env.rollout import KIND, write_rollout

    out = outputs.claim_output(out, KIND, replace=force)
    if sessions < 1:
        raise ValueError(f"--sessions must be >= 1, got {sessions}")
    world, data = load_world(le_dir, data_dir, cfg.le_env)
    slate_fn, behaviour = slate_fn_for(world, policy, world.config.slate_size)
    return write_rollout(world, slate_fn, behaviour, out, sessions, seed, data.stats)


def mix(data_dir: Path, generated: Sequence[Path], out: Path, config: MixConfig, force: bool = False) -> Any:
    """``learec le mix``: a prepared-data copy whose training split is generated (or logged + generated)."""
    from learec.platform.data.prepare import load_prepared
    from learec.platform.le.env.mixing import mix as mix_data
    from learec.platform.le.env.rollout import GeneratedData

    out = outputs.claim_output(out, "prepared-data", replace=force)
    data = load_prepared(outputs.resolve_path(data_dir))
    rollouts = [GeneratedData.open(outputs.resolve_path(g), data.n_items, data.state_len) for g in generated]
    return mix_data(data, rollouts, config, out)


def ppo(
    cfg: RunConfig,
    le_dir: Path,
    data_dir: Path,
    warm_start: Path,
    out: Path,
    address: str | None = None,
    force: bool = False,
    progress: Callable[..., None] | None = None,
) -> dict[str, Any]:
    """``learec le ppo``: PPO in the LE environment from a warm-start policy; checkpoint, exported policy and
    ``metrics.json`` (offline val/test ranking, the training history, the environment's calibration)."""
    from learec.platform.eval.protocol import evaluate
    from learec.platform.jobs.ray_runtime import init_ray, quiet_ray_logs
    from learec.platform.le.env.gym_env import register
    from learec.platform.le.env.world import env_config, share_world
    from learec.rllib_algos.ppo_le.runner import train_ppo
    from learec.serve.policy import ExportedPolicy

    if cfg.le_env.slate_size != 1:
        raise ValueError("PPO recommends one item per step: set le_env.slate_size to 1")
    out = outputs.claim_output(out, "model", replace=force)
    warm_start = outputs.resolve_path(warm_start)
    world, data = load_world(le_dir, data_dir, cfg.le_env)
    slate_fn_for(world, warm_start, 1)  # a policy for other items stops here, before Ray starts
    values = env_config(world.le.ckpt_dir, data.root, cfg.le_env, world.calibration)
    share_world(values, world)  # the driver's env runner reuses the loaded LE
    init_ray(num_cpus=cfg.num_cpus, address=address or cfg.ray_address)
    quiet_ray_logs()
    out.mkdir(parents=True, exist_ok=True)
    outputs.write_marker(out, "model")

    def on_iteration(it: int, metrics: dict[str, float]) -> None:
        if progress is not None:
            detail = ", ".join(f"{k} {v:.4g}" for k, v in sorted(metrics.items()) if k != "env_steps")
            progress("ppo in the LE", it, cfg.ppo.iterations, detail)

    result = train_ppo(cfg.ppo, register(), values, warm_start, out, data.raw_ids(), on_iteration)
    policy = ExportedPolicy.load(result.export_dir)
    popularity = data.popularity()
    metrics = {
        "val": evaluate(policy.score, data.transitions("val"), data.n_items, cfg.eval, popularity),
        "test": evaluate(policy.score, data.transitions("test"), data.n_items, cfg.eval, popularity),
        "history": result.history,
        "calibration": world.calibration.to_dict(),
    }
    atomic.write_json(metrics, out / "metrics.json")
    return {"export_dir": result.export_dir, "checkpoint_dir": result.checkpoint_dir, **metrics}
