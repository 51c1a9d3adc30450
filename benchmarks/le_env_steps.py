"""LE environment steps/s: one session per LE pass vs many, and on RLlib env runners, side by side.

World: the default synthetic shop (``learec run``'s data) and a default tiny LE trained on it (about 30 s),
or ``--le CKPT --data DIR`` to reuse a run's. Every variant steps sessions with the same uniformly random
single-item actions (env runners: the warm-start-sized PPO actor samples them, as in PPO training):

- ``single``: ``LEEnv`` (one session, one batched LE pass per step of that session);
- ``sync_vector_n``: gymnasium's ``SyncVectorEnv`` over n ``LEEnv`` (RLlib's ``sync`` mode: n LE passes per
  step);
- ``vector_n``: ``LEVectorEnv`` with n sessions (``vector_entry_point`` mode: one LE pass a step), n = 1..256;
- ``runners_r``: r remote RLlib SingleAgentEnvRunner actors (0.5 CPU each) with ``LEVectorEnv`` of 64
  sessions, sampling in parallel with the PPO module; ``runners_0`` is the in-process (local) env runner.

    python benchmarks/le_env_steps.py [--le CKPT --data DIR | --world-dir DIR] [--seconds 8] [--threads 1]
        [--out benchmarks/results/le_env_steps.json]

``vector_64_threads2`` repeats ``vector_64`` with 2 torch threads (the others run with ``--threads``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


def build_world_dirs(root: Path) -> tuple[Path, Path]:
    """The default shop, prepared, and a default tiny LE trained on it."""
    from learec.platform.data.prepare import PrepConfig, prepare
    from learec.platform.le.config import LEConfig
    from learec.platform.le.trainer import train_le
    from learec.platform.sim.shop import SyntheticShop

    data = prepare(SyntheticShop().generate().to_raw(), PrepConfig(), root / "data")
    le = train_le(LEConfig(threads=2), data.transitions("train"), data.items(), root / "le",
                  heldout_transitions=data.transitions("val"))  # fmt: skip
    return data.root, Path(le)


def timed_steps(step: Any, sessions: int, seconds: float) -> dict[str, float]:
    """Call ``step()`` (which steps ``sessions`` sessions once) for about ``seconds``; env steps/s."""
    step()  # warm-up
    calls, started, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        step()
        calls += 1
    wall, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    return {
        "sessions_per_call": sessions,
        "env_steps": calls * sessions,
        "wall_s": wall,
        "cpu_s": cpu_s,
        "env_steps_per_s": calls * sessions / wall,
        "env_steps_per_cpu_s": calls * sessions / max(cpu_s, 1e-9),
    }


def bench_local(world: Any, seconds: float, sizes: list[int]) -> dict[str, Any]:
    import gymnasium as gym

    from learec.platform.le.env.gym_env import LEEnv, LEVectorEnv

    rng = np.random.default_rng(0)
    out: dict[str, Any] = {}
    single = LEEnv(world)
    single.reset(seed=0)

    def step_single() -> None:
        _, _, term, trunc, _ = single.step(int(rng.integers(world.n_items)))
        if term or trunc:
            single.reset()

    out["single"] = timed_steps(step_single, 1, seconds)
    print("single", round(out["single"]["env_steps_per_s"], 1), flush=True)
    sync = gym.vector.SyncVectorEnv([lambda: LEEnv(world) for _ in range(16)])
    sync.reset(seed=0)
    out["sync_vector_16"] = timed_steps(lambda: sync.step(rng.integers(world.n_items, size=16)), 16, seconds)
    print("sync_vector_16", round(out["sync_vector_16"]["env_steps_per_s"], 1), flush=True)
    for n in sizes:
        vec = LEVectorEnv(world, n)
        vec.reset(seed=0)
        step = lambda vec=vec, n=n: vec.step(rng.integers(world.n_items, size=n))  # noqa: E731
        out[f"vector_{n}"] = timed_steps(step, n, seconds)
        print(f"vector_{n}", round(out[f"vector_{n}"]["env_steps_per_s"], 1), flush=True)
    threads = torch.get_num_threads()
    other = 2 if threads != 2 else 1
    torch.set_num_threads(other)  # the same 64 sessions with the other thread count, for the contention note
    vec = LEVectorEnv(world, 64)
    vec.reset(seed=0)
    name = f"vector_64_threads{other}"
    out[name] = timed_steps(lambda: vec.step(rng.integers(world.n_items, size=64)), 64, seconds)
    print(name, round(out[name]["env_steps_per_s"], 1), flush=True)
    torch.set_num_threads(threads)
    return out


def bench_runners(world: Any, le_dir: Path, data_dir: Path, policy: Path, seconds: float) -> dict[str, Any]:
    import ray
    from ray.rllib.env.single_agent_env_runner import SingleAgentEnvRunner

    from learec.platform.jobs.ray_runtime import init_ray
    from learec.platform.le.env.gym_env import register
    from learec.platform.le.env.world import env_config, share_world
    from learec.rllib_algos.ppo_le.params import PPOLEParams
    from learec.rllib_algos.ppo_le.ppo_le import build_config

    values = env_config(le_dir, data_dir, world.config, world.calibration)
    share_world(values, world)
    init_ray(num_cpus=4)
    name = register()
    out: dict[str, Any] = {}
    chunk = 512  # env steps per sample() call and runner
    for n_runners in (0, 1, 2):
        params = PPOLEParams(num_env_runners=max(n_runners, 1), envs_per_runner=64, cpus_per_env_runner=0.5)
        config = build_config(params, name, values, policy)
        if n_runners == 0:
            runner = SingleAgentEnvRunner(config=config)
            runner.sample(num_timesteps=chunk)  # warm-up
            calls, started = 0, time.perf_counter()
            while time.perf_counter() - started < seconds:
                runner.sample(num_timesteps=chunk)
                calls += 1
            wall = time.perf_counter() - started
            runner.stop()
        else:
            actor = ray.remote(num_cpus=0.5)(SingleAgentEnvRunner)
            runners = [actor.remote(config=config, worker_index=i + 1, num_workers=n_runners)
                       for i in range(n_runners)]  # fmt: skip
            ray.get([r.sample.remote(num_timesteps=chunk) for r in runners])  # builds env + module, warm-up
            calls, started = 0, time.perf_counter()
            while time.perf_counter() - started < seconds:
                ray.get([r.sample.remote(num_timesteps=chunk) for r in runners])
                calls += 1
            wall = time.perf_counter() - started
            for r in runners:
                ray.kill(r)
        steps = calls * chunk * max(n_runners, 1)
        out[f"runners_{n_runners}"] = {
            "env_runners": n_runners,
            "sessions_per_runner": 64,
            "env_steps": steps,
            "wall_s": wall,
            "env_steps_per_s": steps / wall,
        }
        print(f"runners_{n_runners}", round(steps / wall, 1), flush=True)
    ray.shutdown()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--le", type=Path, default=None, help="LE checkpoint (default: train one)")
    parser.add_argument("--data", type=Path, default=None, help="its prepared data (with --le)")
    parser.add_argument("--seconds", type=float, default=8.0, help="timing window per variant")
    parser.add_argument("--sizes", default="1,16,64,256", help="sessions per LEVectorEnv")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the driver (le_env.threads)")
    parser.add_argument("--world-dir", type=Path, default=None, help="keep the built world here (reused)")
    parser.add_argument("--out", default="benchmarks/results/le_env_steps.json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from learec.platform.le.env.config import LEEnvConfig
    from learec.platform.le.env.world import LEWorld

    with tempfile.TemporaryDirectory() as tmp:
        root = args.world_dir or Path(tmp)
        if args.le is not None:
            data_dir, le_dir = args.data, args.le
        elif (root / "le").is_dir():
            data_dir, le_dir = root / "data", root / "le"
        else:
            started = time.perf_counter()
            data_dir, le_dir = build_world_dirs(root)
            print(f"world built in {time.perf_counter() - started:.1f} s", flush=True)
        world = LEWorld.build(le_dir, data_dir, LEEnvConfig())
        policy = untrained_policy(world, Path(tmp) / "policy")
        sizes = [int(x) for x in args.sizes.split(",")]
        results: dict[str, Any] = {
            "machine": {
                "cpu_threads": args.threads,
                "torch": torch.__version__,
                "python": platform.python_version(),
                "load_avg_before": os.getloadavg(),
            },
            "world": {
                "n_items": world.n_items,
                "start_states": len(world.start_states),
                "catalogue_candidates": world.catalogue_candidates,
                "calibration": world.calibration.to_dict(),
                "le_backbone": world.le.config.backbone,
            },
            "seconds_per_variant": args.seconds,
            "local": bench_local(world, args.seconds, sizes),
            "env_runners": bench_runners(world, Path(le_dir), Path(data_dir), policy, args.seconds),
        }
        results["machine"]["load_avg_after"] = os.getloadavg()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


def untrained_policy(world: Any, out: Path) -> Path:
    """A policy of the default backbone over the world's items (random weights: sampling cost only)."""
    from learec.rllib_algos.common.backbone_config import BackboneConfig
    from learec.rllib_algos.common.policy_format import served_network, write_policy

    torch.manual_seed(0)
    backbone = BackboneConfig()
    network = served_network(backbone, world.n_items, world.state_len)
    return write_policy(out, network, backbone, list(world.raw_ids), {"algo": "untrained"})


if __name__ == "__main__":
    main()
