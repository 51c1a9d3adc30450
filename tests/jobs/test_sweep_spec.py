"""Sweep files: the shipped ones load; unknown keys, bad ranges and wrong types name the file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from learec.platform.jobs.config_file import ConfigError
from learec.platform.jobs.sweep import trial_fixed, trial_resources
from learec.platform.jobs.sweep_spec import load_sweep

TUNE_CONFIGS = Path(__file__).resolve().parents[2] / "tune_configs"

BASE = """\
name: t
train:
  algo: sqn
  iterations: 12
sweep:
  num_samples: 3
  space:
"""


def write(tmp_path: Path, space: str, base: str = BASE) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(base + textwrap.indent(textwrap.dedent(space), "    "), encoding="utf-8")
    return path


@pytest.mark.parametrize("path", sorted(TUNE_CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_sweep_files_load(path: Path) -> None:
    spec = load_sweep(path)
    assert spec.dimensions and all(d.key.startswith("train.") for d in spec.dimensions)
    assert spec.sweep.metric.startswith("val/"), "sweeps compare validation figures, never losses"
    for dim in spec.dimensions:  # every bound of the space is a valid run config
        for value in dim.candidates():
            spec.run_config({dim.key: value})


def test_space_becomes_tune_distributions(tmp_path: Path) -> None:
    from ray import tune

    path = write(
        tmp_path,
        """\
        train.params.lr: {loguniform: [1.0e-4, 1.0e-2]}
        train.params.gamma: {uniform: [0.1, 0.9]}
        train.params.batch_size: {quniform: [64, 256, 64]}
        train.params.lea_augment_k: {randint: [0, 4]}
        train.params.backbone.name: {choice: [gru4rec, sasrec]}
        train.sqn.double_q: {grid: [true, false]}
        """,
    )
    spec = load_sweep(path)
    space = spec.param_space()
    assert isinstance(space["train.params.lr"], tune.search.sample.Float)
    assert space["train.sqn.double_q"] == {"grid_search": [True, False]}
    assert spec.run_config({"train.params.lr": 0.003}).train.params.lr == 0.003
    assert spec.name == "s"


@pytest.mark.parametrize(
    ("space", "line", "text"),
    [
        ("train.params.lrr: {uniform: [0.1, 0.2]}\n", 8, "no field 'lrr'"),
        ("train.params.lr: {uniform: [0.2, 0.1]}\n", 8, "low < high"),
        ("train.params.lr: {loguniform: [0, 0.1]}\n", 8, "low > 0"),
        ("train.params.lr: {uniform: [0.1, 0.2]}\ntrain.params.gamma: {uniform: [0.5, 1.5]}\n", 9, "gamma"),
        ("train.params.batch_size: {choice: [64, big]}\n", 8, "must be an integer"),
        ("train.params.le_state: {choice: [none, glue]}\n", 8, "must be one of"),
        ("train.params.lr: {normal: [0.1, 0.2]}\n", 8, "unknown distribution"),
        ("train.params.lr: {randint: [1, 2.5]}\n", 8, "must be integers"),
        ("train.params.lr: 0.1\n", 8, "one distribution"),
        ("le.lora_r: {choice: [4, 8]}\n", 8, "only train.* keys"),
        ("train.params.backbone: {choice: [a]}\n", 8, "is a section"),
    ],
)
def test_bad_space_names_file_and_line(tmp_path: Path, space: str, line: int, text: str) -> None:
    path = write(tmp_path, space)
    with pytest.raises(ConfigError) as err:
        load_sweep(path)
    assert str(err.value).startswith(f"{path}:{line}:"), str(err.value)
    assert text in str(err.value)


def test_bad_sweep_settings_name_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path, "train.params.lr: {uniform: [0.1, 0.2]}\n", BASE.replace("num_samples: 3", "num_samples: x")
    )
    with pytest.raises(ConfigError, match=rf"^{path}:6: .*sweep.num_samples must be an integer"):
        load_sweep(path)
    path = write(
        tmp_path, "train.params.lr: {uniform: [0.1, 0.2]}\n", BASE.replace("num_samples: 3", "samples: 3")
    )
    with pytest.raises(ConfigError, match=rf"^{path}:6: unknown key sweep.samples"):
        load_sweep(path)
    path = write(
        tmp_path, "train.params.lr: {uniform: [0.1, 0.2]}\n", BASE.replace("iterations: 12", "iterations: 0")
    )
    with pytest.raises(ConfigError, match=rf"^{path}:4: .*iterations must be >= 1"):
        load_sweep(path)


def test_optuna_refuses_a_grid(tmp_path: Path) -> None:
    base = BASE.replace("  space:", "  search_alg: optuna\n  space:")
    path = write(tmp_path, "train.sqn.double_q: {grid: [true, false]}\n", base)
    with pytest.raises(ConfigError, match="optuna cannot search a grid"):
        load_sweep(path)


def test_overrides_win(tmp_path: Path) -> None:
    path = write(tmp_path, "train.params.lr: {uniform: [0.1, 0.2]}\n")
    spec = load_sweep(path, {"sweep.num_samples": "5", "sweep.name": "other", "train.iterations": "4"})
    assert (spec.sweep.num_samples, spec.name, spec.run.train.iterations) == (5, "other", 4)
    assert spec.fixed["train"]["iterations"] == "4"  # best.yaml keeps the value as given


def test_resources_leave_the_data_pipeline_room(tmp_path: Path) -> None:
    """A trial's bundle holds its process, prelearner and data tasks; concurrency fits the cluster."""
    spec = load_sweep(write(tmp_path, "train.params.lr: {uniform: [0.1, 0.2]}\n"))
    four = trial_resources(spec, {"CPU": 4.0})
    assert four.bundles == ({"CPU": 0.5}, {"CPU": 1.5}) and four.max_concurrent == 2
    assert trial_resources(spec, {"CPU": 2.0}).max_concurrent == 1
    gpus = trial_resources(spec, {"CPU": 64.0, "GPU": 4.0})
    assert gpus.bundles == ({"CPU": 0.5, "GPU": 1.0}, {"CPU": 1.5}) and gpus.max_concurrent == 4
    with pytest.raises(ValueError, match="needs 2 CPUs"):
        trial_resources(spec, {"CPU": 1.0})
    capped = load_sweep(
        write(tmp_path, "train.params.lr: {uniform: [0.1, 0.2]}\n"), {"sweep.max_concurrent": "1"}
    )
    assert trial_resources(capped, {"CPU": 16.0}).max_concurrent == 1
    assert trial_fixed(spec)["train"]["data"]["read_cpus"] == 0.5


@pytest.mark.parametrize("search_alg", ["random", "optuna"])
def test_search_algorithm_runs_at_most_max_concurrent_trials(search_alg: str) -> None:
    """Tune drops ``max_concurrent_trials`` for a search algorithm it is handed, so the limit must sit on
    the algorithm itself: the variant generator's own, or a ConcurrencyLimiter around Optuna."""
    from ray.tune.search import ConcurrencyLimiter
    from ray.tune.search.basic_variant import BasicVariantGenerator
    from ray.tune.search.optuna import OptunaSearch
    from ray.tune.search.search_generator import SearchGenerator

    from learec.platform.jobs.sweep import search_algorithm
    from learec.platform.jobs.sweep_spec import SweepConfig

    algorithm = search_algorithm(SweepConfig(search_alg=search_alg), max_concurrent=1)
    if search_alg == "random":
        assert isinstance(algorithm, BasicVariantGenerator) and algorithm.max_concurrent == 1
    else:
        assert isinstance(algorithm, SearchGenerator)
        limiter = algorithm.searcher
        assert isinstance(limiter, ConcurrencyLimiter) and limiter.max_concurrent == 1
        assert isinstance(limiter.searcher, OptunaSearch)


def test_state_mirror_restores_torn_tune_state(tmp_path: Path) -> None:
    """The searcher mirrors each saved state file; a resume puts them back over torn copies."""
    from ray.tune.utils.util import _load_newest_checkpoint

    from learec.platform.jobs import sweep_state
    from learec.platform.jobs.sweep import search_algorithm
    from learec.platform.jobs.sweep_spec import SweepConfig

    staging, mirror, experiment = tmp_path / "staging", tmp_path / "mirror", tmp_path / "tune"
    staging.mkdir()
    experiment.mkdir()
    (staging / "experiment_state-s1.json").write_text('{"trial_data": []}')
    (staging / "experiment_state-s0.json").write_text("{}")  # an older session's: not this save's
    algorithm = search_algorithm(SweepConfig(), max_concurrent=1)
    sweep_state.mirror_to(mirror)
    try:
        algorithm.save_to_dir(str(staging), session_str="s1")
    finally:
        sweep_state._mirror.clear()
    assert sorted(p.name for p in mirror.iterdir()) == [
        "basic-variant-state-s1.json",
        "experiment_state-s1.json",
    ]

    for name in ("basic-variant-state-s1.json", "experiment_state-s1.json"):  # a kill mid-copy
        (experiment / name).write_bytes(b"")
    restored = sweep_state.restore_state(mirror, experiment)
    assert restored == ["basic-variant-state-s1.json", "experiment_state-s1.json"]
    assert (experiment / "experiment_state-s1.json").read_text() == '{"trial_data": []}'
    assert _load_newest_checkpoint(str(experiment), "basic-variant-state-*.json")["max_concurrent"] == 1
    assert sweep_state.restore_state(tmp_path / "absent", experiment) == []
