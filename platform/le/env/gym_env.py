"""The LE environment as gymnasium environments, single and vectorised, and its registration with Ray.

- :class:`LEEnv`: one session (``gym.Env``).
- :class:`LEVectorEnv`: ``num_envs`` sessions stepped together (``gym.vector.VectorEnv``), one batched LE
  pass per step for all of them, with gymnasium's default next-step autoreset (a session that ended is
  reset by the following ``step``, whose action for it is ignored), which RLlib's SingleAgentEnvRunner
  expects.

Observation: the state, ``L`` item ids left-padded with ``n_items`` (the RLlib modules' observation space);
action: an item (``Discrete(n_items)``) or, with ``slate_size = k > 1``, a slate (``MultiDiscrete([n] * k)``).
The user model is documented in ``sessions.py``.

RLlib (new API stack) builds the vector environment directly through the vector entry point of a registered
creator: ``config.environment(ENV_NAME, env_config=world.env_config(...))`` and
``config.env_runners(num_envs_per_env_runner=n, gym_env_vectorize_mode="vector_entry_point")``; its
SingleAgentEnvRunner then calls the creator with ``num_envs`` in the env config, and :func:`make_env` returns
a :class:`LEVectorEnv`. In ``sync`` mode it gets ``n`` :class:`LEEnv` instead (one LE pass per session).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

from learec.platform.le.env.sessions import Sessions, StepOutcome
from learec.platform.le.env.world import LEWorld, world_for

ENV_NAME = "learec-le"
NUM_ENVS_KEY = "num_envs"  # what RLlib's vector entry point adds to the env config


def action_slates(world: LEWorld, actions: Any, batch: int) -> np.ndarray:
    """Actions of ``batch`` sessions (items ``[B]`` or slates ``[B, k]``) as ``[B, k]`` int64 slates."""
    a = np.asarray(actions, dtype=np.int64)
    k = world.config.slate_size
    if a.size != batch * k:
        raise ValueError(f"expected {batch} action(s) of {k} item(s), got an array of shape {a.shape}")
    return a.reshape(batch, k)


def step_info(out: StepOutcome, i: int) -> dict[str, Any]:
    """One session's step details (what the user did) for ``info``."""
    return {
        "clicked": int(out.clicked[i]),
        "from_slate": bool(out.from_slate[i]),
        "bought": bool(out.bought[i]),
        "purchase_prob": float(out.purchase_prob[i]),
        "slate_click_prob": float(out.slate_click_prob[i]),
        "expected_slate_purchases": float(out.expected_slate_purchases[i]),
    }


class LEEnv(gym.Env):
    """One simulated session in the LE environment."""

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, world: LEWorld) -> None:
        self.world = world
        self.observation_space, self.action_space = world.spaces()
        self._sessions = Sessions(world, 1)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        super().reset(seed=seed)
        return self._sessions.reset(0, seed), {}

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        out = self._sessions.step(np.zeros(1, np.int64), action_slates(self.world, action, 1))
        obs = self._sessions.states[0].copy()
        return obs, float(out.reward[0]), bool(out.terminated[0]), bool(out.truncated[0]), step_info(out, 0)


class LEVectorEnv(gym.vector.VectorEnv):
    """``num_envs`` sessions stepped together: one batched LE pass per step for every live session."""

    metadata: dict[str, Any] = {"autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, world: LEWorld, num_envs: int) -> None:
        self.world = world
        self.num_envs = int(num_envs)
        self.single_observation_space, self.single_action_space = world.spaces()
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._sessions = Sessions(world, self.num_envs)
        self._ended = np.zeros(self.num_envs, dtype=bool)

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict]:
        """Reset every session; ``seed`` s seeds session i with ``s + i`` (as gymnasium's sync vector env)."""
        if seed is None:
            seeds: list[int | None] = [None] * self.num_envs
        elif isinstance(seed, int | np.integer):
            seeds = [int(seed) + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise ValueError(f"got {len(seeds)} seeds for {self.num_envs} sessions")
        for i, s in enumerate(seeds):
            self._sessions.reset(i, s)
        self._ended[:] = False
        return self._sessions.states.copy(), {}

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
        slates = action_slates(self.world, actions, self.num_envs)
        rewards = np.zeros(self.num_envs, dtype=np.float32)
        terminated = np.zeros(self.num_envs, dtype=bool)
        truncated = np.zeros(self.num_envs, dtype=bool)
        infos: dict[str, Any] = {}
        for i in np.flatnonzero(self._ended):  # next-step autoreset: the action is ignored
            self._sessions.reset(int(i))
        live = np.flatnonzero(~self._ended)
        if len(live):
            out = self._sessions.step(live, slates[live])
            rewards[live], terminated[live], truncated[live] = out.reward, out.terminated, out.truncated
            for j, i in enumerate(live):
                infos = self._add_info(infos, step_info(out, j), int(i))
        self._ended = terminated | truncated
        return self._sessions.states.copy(), rewards, terminated, truncated, infos


def make_env(env_config: Mapping[str, Any]) -> gym.Env | gym.vector.VectorEnv:
    """The env creator registered with Ray: a :class:`LEVectorEnv` when the config names ``num_envs``."""
    world = world_for(env_config)
    n = env_config.get(NUM_ENVS_KEY)
    return LEVectorEnv(world, int(n)) if n is not None else LEEnv(world)


def register() -> str:
    """Register :func:`make_env` with Ray Tune's registry (each process that builds envs needs it; RLlib's
    env runners get it from the driver's registry). Returns the name to pass to ``config.environment``."""
    from ray.tune.registry import register_env

    register_env(ENV_NAME, make_env)
    return ENV_NAME
