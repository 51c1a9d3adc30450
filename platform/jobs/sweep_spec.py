"""Sweep files (``tune_configs/*.yaml``): a run config plus a ``sweep:`` section with the search space.

Everything outside ``sweep:`` is a plain run config (``name``, ``data``, ``prep``, ``train``, ...) holding the
fixed settings; ``sweep.space`` maps dotted run-config keys to a distribution::

    sweep:
      space:
        train.params.lr: {loguniform: [1.0e-4, 1.0e-2]}   # Adam step size
        train.params.backbone.name: {choice: [gru4rec, sasrec]}

Each sampled value is checked against the run config's own fields before anything starts, so an unknown
key, a bad range or a wrong type is an error naming the file and line. The best trial's config is the
same file without ``sweep:`` and with the best values set: a ready-to-train run config.
Kept free of Ray imports: ``to_tune`` imports Tune only when called.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from learec.platform.common.fields import Checked, from_dict, opt
from learec.platform.jobs.config import RunConfig
from learec.platform.jobs.config_file import ConfigError, build_config, read_yaml, set_dotted

SECTION = "sweep"
SPACE = "space"
# name -> number of arguments (None: a non-empty list of values)
DISTRIBUTIONS: dict[str, int | None] = {
    "loguniform": 2,
    "uniform": 2,
    "quniform": 3,
    "randint": 2,
    "choice": None,
    "grid": None,
}
SEARCHABLE_PREFIX = "train."  # trials rerun training only; data, LE and labels are shared by all trials


@dataclass(frozen=True)
class SweepConfig(Checked):
    """How Tune searches; the search space itself is ``space`` (see the module docstring)."""

    name: str | None = opt(None, "sweep folder under runs/<name>/sweeps/; none: the file's stem")
    space: Any = opt(
        None, "dotted run-config key -> {loguniform|uniform|quniform|randint|choice|grid: [...]}"
    )
    metric: str = opt("val/ndcg@10/purchase", "validation metric ASHA and the best trial use (never a loss)")
    mode: Literal["max", "min"] = opt("max", "whether a larger metric is better")
    num_samples: int = opt(8, "trials to sample (each grid point is tried this many times)", ge=1)
    search_alg: Literal["random", "optuna"] = opt("random", "random search, or Optuna's TPE")
    scheduler: Literal["asha", "fifo"] = opt("asha", "asha stops weak trials early; fifo runs all to the end")
    grace_period: int = opt(10, "training iterations every trial runs before ASHA may stop it", ge=1)
    reduction_factor: float = opt(2.0, "ASHA keeps 1/reduction_factor of the trials at each rung", gt=1)
    seed: int = opt(0, "seed of the search algorithm (same seed, same configs)")
    max_concurrent: int = opt(0, "trials at once; 0: as many as the cluster's free resources allow", ge=0)
    trial_cpus: float = opt(0.5, "CPUs of the trial process (driver-side learner and validation)", gt=0)
    data_cpus: float = opt(
        1.0,
        "CPUs reserved per trial for Ray Data's file listing (1 CPU) and read tasks (half of this each); "
        ">= 1, or the pipeline never starts inside the trial's placement group",
        ge=1,
    )
    trial_retries: int = opt(
        2,
        "times Tune restarts a failed trial from its last checkpoint before the sweep reports it (a lost "
        "node or a transient Ray Data actor failure should not cost the sweep)",
        ge=0,
    )
    gpus_per_trial: float = opt(1.0, "GPUs per trial when the cluster has GPUs (ignored without)", ge=0)
    test_seeds: tuple[int, ...] = opt((0, 1, 2), "seeds the best config is retrained with for test metrics")
    prepared: str | None = opt(None, "prepared data folder; none: prepare it like `learec run` into the run")
    labels: str | None = opt(
        None, "labeled transitions folder; none: train the LE and label like `learec run`"
    )

    def __post_init__(self) -> None:
        super().__post_init__()  # declared ranges (opt ge/gt); rules on values below
        if not self.test_seeds:
            raise ValueError("sweep.test_seeds must list at least one seed")
        if self.name is not None and (not self.name or "/" in self.name or self.name.startswith(".")):
            raise ValueError(f"sweep.name {self.name!r} must be a plain folder name")
        if self.space is not None and not isinstance(self.space, Mapping):
            raise ValueError("sweep.space must map dotted keys to distributions")


@dataclass(frozen=True)
class SweepFileConfig(RunConfig):
    """A run config with a ``sweep`` section (what a ``tune_configs/*.yaml`` file holds)."""

    sweep: SweepConfig = opt(SweepConfig(), "the Tune search over this run config")


@dataclass(frozen=True)
class Dimension:
    """One searched key: ``train.params.lr`` drawn from ``loguniform(1e-4, 1e-2)``."""

    key: str
    kind: str
    args: tuple[Any, ...]

    def candidates(self) -> list[Any]:
        """Values that bound what the distribution can draw (checked against the run config)."""
        if self.kind in ("choice", "grid"):
            return list(self.args)
        if self.kind == "randint":  # Tune's randint excludes the upper bound
            return [self.args[0], self.args[1] - 1]
        return [self.args[0], self.args[1]]

    def to_tune(self) -> Any:
        from ray import tune

        if self.kind == "grid":
            return tune.grid_search(list(self.args))
        if self.kind == "choice":
            return tune.choice(list(self.args))
        return getattr(tune, self.kind)(*self.args)

    @property
    def log_scale(self) -> bool:
        return self.kind == "loguniform"


@dataclass(frozen=True)
class SweepSpec:
    """A loaded sweep file: the fixed run config, how to search, and what."""

    path: Path
    run: RunConfig
    sweep: SweepConfig
    dimensions: tuple[Dimension, ...]
    fixed: dict[str, Any]  # the file's run-config mapping (no ``sweep:``), as written: best.yaml's base

    @property
    def name(self) -> str:
        return self.sweep.name or self.path.stem

    def param_space(self) -> dict[str, Any]:
        return {d.key: d.to_tune() for d in self.dimensions}

    def run_values(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The fixed run-config mapping with sampled ``values`` (dotted keys) set."""
        merged = copy.deepcopy(self.fixed)
        for key, value in values.items():
            set_dotted(merged, key, value)
        return merged

    def run_config(self, values: Mapping[str, Any]) -> RunConfig:
        return from_dict(RunConfig, self.run_values(values))


def _leaf_annotation(key: str) -> Any:
    """The type of dotted run-config ``key``; a ValueError when it names no leaf field."""
    cls: Any = RunConfig
    parts = key.split(".")
    for i, part in enumerate(parts):
        hints = typing.get_type_hints(cls)
        if part not in hints or part == SECTION:
            where = ".".join(parts[:i]) or "the run config"
            known = ", ".join(f.name for f in dataclasses.fields(cls) if f.name != SECTION)
            raise ValueError(f"unknown key {key}: {where} has no field {part!r} (known: {known})")
        cls = hints[part]
        is_section = dataclasses.is_dataclass(cls)
        if i < len(parts) - 1 and not is_section:
            raise ValueError(f"unknown key {key}: {'.'.join(parts[: i + 1])} is a value, not a section")
        if i == len(parts) - 1 and is_section:
            raise ValueError(f"{key} is a section; search one of its fields ({key}.<field>)")
    return cls


def _dimension(key: str, spec: Any) -> Dimension:
    if not key.startswith(SEARCHABLE_PREFIX):
        raise ValueError(f"{key}: only train.* keys can be searched (trials share the data, LE and labels)")
    _leaf_annotation(key)
    if not isinstance(spec, Mapping) or len(spec) != 1:
        raise ValueError(f"{key} must be one distribution such as {{loguniform: [1.0e-4, 1.0e-2]}}")
    ((kind, args),) = spec.items()
    if kind not in DISTRIBUTIONS:
        raise ValueError(f"{key}: unknown distribution {kind!r}; known: {', '.join(DISTRIBUTIONS)}")
    if not isinstance(args, list) or not args:
        raise ValueError(f"{key}: {kind} takes a list, e.g. {kind}: [a, b]")
    arity = DISTRIBUTIONS[kind]
    if arity is None:
        if len({repr(a) for a in args}) != len(args):
            raise ValueError(f"{key}: {kind} lists a value twice")
        return Dimension(key, kind, tuple(args))
    if len(args) != arity:
        raise ValueError(f"{key}: {kind} takes {arity} numbers, got {len(args)}")
    want = int if kind == "randint" else (int, float)
    if any(isinstance(a, bool) or not isinstance(a, want) or not math.isfinite(a) for a in args):
        kind_of = "integers" if kind == "randint" else "numbers"
        raise ValueError(f"{key}: {kind} bounds must be {kind_of}, got {args}")
    low, high = args[0], args[1]
    if not low < high:
        raise ValueError(f"{key}: {kind} needs low < high, got [{low}, {high}]")
    if kind == "loguniform" and low <= 0:
        raise ValueError(f"{key}: loguniform needs low > 0, got {low}")
    if kind == "quniform" and not args[2] > 0:
        raise ValueError(f"{key}: quniform step must be > 0, got {args[2]}")
    return Dimension(key, kind, tuple(args))


def load_sweep(path: str | Path, overrides: Mapping[str, Any] | None = None) -> SweepSpec:
    """Read and check a sweep file; ``overrides`` are dotted keys (``sweep.num_samples``) that win."""
    path = Path(path)
    full = build_config(SweepFileConfig, path, overrides)
    values, lines = read_yaml(path)
    fixed = {k: v for k, v in values.items() if k != SECTION}
    for key, value in (overrides or {}).items():
        if not key.startswith(f"{SECTION}."):
            set_dotted(fixed, key, value)
    space = full.sweep.space or {}
    if not space:
        raise ConfigError(f"{path}:{lines.get(SECTION, 1)}: sweep.space is empty; add at least one key")
    run = from_dict(RunConfig, fixed)
    dimensions = []
    for key, spec in space.items():
        where = f"{path}:{lines.get(f'{SECTION}.{SPACE}.{key}', lines.get(SECTION, 1))}"
        try:
            dim = _dimension(str(key), spec)
            for value in dim.candidates():  # the run config's own checks: types, ranges, choices
                merged = copy.deepcopy(fixed)
                set_dotted(merged, dim.key, value)
                from_dict(RunConfig, merged)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{where}: sweep.space.{key}: {exc}") from None
        dimensions.append(dim)
    if full.sweep.search_alg == "optuna" and any(d.kind == "grid" for d in dimensions):
        raise ConfigError(f"{path}: sweep.search_alg optuna cannot search a grid; use choice instead")
    sweep = dataclasses.replace(full.sweep, space=None)
    return SweepSpec(path, run, sweep, tuple(dimensions), fixed)
