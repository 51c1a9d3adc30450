"""LEWorld: what every simulated session shares: the loaded LE, the logged start states and the calibration.

Built once per process (``world_for`` caches it), then shared by any number of environments: loading an
LE and calibrating it costs seconds, stepping a session milliseconds.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from learec.platform.common.fields import from_dict, replace, to_dict
from learec.platform.le.env.calibration import Calibration, calibrate
from learec.platform.le.env.config import LEEnvConfig
from learec.platform.le.pairs import transition_arrays

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LEWorld:
    le: Any  # LanguageEnvironment
    config: LEEnvConfig
    calibration: Calibration
    start_states: np.ndarray  # [M, L] int64 logged training states, left-padded with n_items
    n_items: int
    state_len: int
    raw_ids: tuple[str, ...]

    @property
    def pad_id(self) -> int:
        return self.n_items

    @property
    def leave_prob(self) -> float:
        """``le_env.leave_prob`` when set, else the one learned from the logs."""
        return self.config.leave_prob if self.config.leave_prob is not None else self.calibration.leave_prob

    @property
    def catalogue_candidates(self) -> int:
        """The outside option's size, cut so that every state still has that many items to offer."""
        return min(self.config.catalogue_candidates, self.n_items - self.state_len - self.config.slate_size)

    def spaces(self) -> tuple[gym.Space, gym.Space]:
        """The RLlib modules' observation space; one item (Discrete) or a slate of ``slate_size`` items."""
        from learec.rllib_algos.common.offline_input import spaces

        obs, item = spaces(self.n_items, self.state_len)
        if self.config.slate_size == 1:
            return obs, item
        return obs, gym.spaces.MultiDiscrete(np.full(self.config.slate_size, self.n_items, dtype=np.int64))

    def with_slate_size(self, k: int) -> LEWorld:
        """The same world (LE, calibration, start states) showing slates of ``k`` items."""
        if k == self.config.slate_size:
            return self
        config = replace(self.config, slate_size=k)
        return LEWorld.from_parts(self.le, config, self.calibration, None, self.n_items, self.state_len,
                                  self.raw_ids, start_states=self.start_states)  # fmt: skip

    @classmethod
    def build(
        cls,
        le_dir: str | Path,
        data_dir: str | Path,
        config: LEEnvConfig | None = None,
        calibration: Calibration | None = None,
    ) -> LEWorld:
        """Load the LE at ``le_dir`` for the prepared data at ``data_dir`` and calibrate (unless given)."""
        from learec.platform.data.prepare import load_prepared
        from learec.platform.le.environment import LanguageEnvironment

        config = config or LEEnvConfig()
        data = load_prepared(Path(data_dir))
        raw_ids = data.raw_ids()
        le = LanguageEnvironment.load(le_dir, expected_raw_ids=raw_ids)
        train = data.transitions("train")
        if calibration is None:
            calibration = calibrate(le, data.events("train"), train, config)
        return cls.from_parts(le, config, calibration, train, data.n_items, data.state_len, raw_ids)

    @classmethod
    def from_parts(
        cls,
        le: Any,
        config: LEEnvConfig,
        calibration: Calibration,
        train_transitions: Any,
        n_items: int,
        state_len: int,
        raw_ids: list[str] | tuple[str, ...],
        start_states: np.ndarray | None = None,
    ) -> LEWorld:
        """A world from a loaded LE; start states from ``train_transitions`` (``schema.transitions_schema``)
        unless ``start_states`` gives them."""
        if le.n_items != n_items:
            raise ValueError(f"the LE scores {le.n_items} items but the data has {n_items}: retrain the LE")
        room = n_items - state_len - config.slate_size
        if room < 1:
            raise ValueError(
                f"le_env: {n_items} items leave no catalogue item to click beside a state of {state_len} "
                f"and a slate of {config.slate_size}; lower le_env.slate_size"
            )
        if start_states is None:
            arrays = transition_arrays(train_transitions, "training transitions")
            start_states = arrays.states[arrays.lengths >= config.start_min_len]
            if not len(start_states):
                raise ValueError(
                    f"no training state holds {config.start_min_len} items or more; "
                    "lower le_env.start_min_len"
                )
        if start_states.shape[1] != state_len:
            raise ValueError(
                f"training states hold {start_states.shape[1]} items, the data says state_len={state_len}"
            )
        starts = np.ascontiguousarray(start_states, np.int64)
        return cls(le, config, calibration, starts, n_items, state_len, tuple(raw_ids))


# env_config keys RLlib passes to the creator (every value JSON-able, so env runners rebuild the world)
LE_KEY, DATA_KEY, CONFIG_KEY, CALIBRATION_KEY = "le", "data", "config", "calibration"

_WORLDS: dict[str, LEWorld] = {}  # one world per (LE, data, config, calibration) in each process


def env_config(
    le_dir: str | Path, data_dir: str | Path, config: LEEnvConfig, calibration: Calibration | None = None
) -> dict[str, Any]:
    """The ``env_config`` of the registered environment: absolute paths and plain dicts."""
    return {
        LE_KEY: str(Path(le_dir).resolve()),
        DATA_KEY: str(Path(data_dir).resolve()),
        CONFIG_KEY: to_dict(config),
        CALIBRATION_KEY: calibration.to_dict() if calibration is not None else None,
    }


def _cache_key(values: Mapping[str, Any]) -> tuple[str, LEEnvConfig, Calibration | None]:
    missing = [k for k in (LE_KEY, DATA_KEY) if not values.get(k)]
    if missing:
        raise ValueError(f"env_config of the LE environment lacks {missing[0]!r} (use world.env_config)")
    config = from_dict(LEEnvConfig, values.get(CONFIG_KEY) or {}, where="env_config.config")
    cal_values = values.get(CALIBRATION_KEY)
    calibration = Calibration.from_dict(dict(cal_values)) if cal_values else None
    key = json.dumps(
        [str(values[LE_KEY]), str(values[DATA_KEY]), to_dict(config), cal_values], sort_keys=True, default=str
    )
    return key, config, calibration


def world_for(values: Mapping[str, Any]) -> LEWorld:
    """The world an ``env_config`` describes, built once per process."""
    key, config, calibration = _cache_key(values)
    if key not in _WORLDS:
        _WORLDS[key] = LEWorld.build(values[LE_KEY], values[DATA_KEY], config, calibration)
    return _WORLDS[key]


def share_world(values: Mapping[str, Any], world: LEWorld) -> None:
    """Let environments built in this process from ``values`` use ``world`` (already loaded)."""
    _WORLDS[_cache_key(values)[0]] = world


def state_lengths(states: np.ndarray, pad_id: int) -> np.ndarray:
    """History lengths of left-padded states (the non-pad ids), as the RLlib modules derive them."""
    return (np.asarray(states) != pad_id).sum(axis=1).astype(np.int64)
