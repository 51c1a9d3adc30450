"""What `learec run` trains: the grid's cells, their LE switches, and DPO's reference cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from learec.platform.common.fields import replace
from learec.platform.jobs.config import ExperimentConfig, RunConfig
from learec.platform.jobs.grid import policy_source_spec, uses_le_environment
from learec.platform.jobs.pipeline import (
    ModelSpec,
    experiment_grid,
    read_sections,
    train_config_for,
    uses_labels,
)
from learec.platform.jobs.run_dir import RunDir


def run_config(**experiment) -> RunConfig:
    return RunConfig(experiment=ExperimentConfig(**{"backbones": ("gru4rec",), "seeds": (0,), **experiment}))


def test_dpo_cells_follow_the_ce_cell_they_start_from() -> None:
    grid = experiment_grid(run_config(algos=("dpo", "sqn"), variants=("base", "lea")))
    names = [s.model_id for s in grid]
    assert names == ["ce-base-gru4rec-s0", "dpo-base-gru4rec-s0", "dpo-lea-gru4rec-s0", "sqn-base-gru4rec-s0",
                     "sqn-lea-gru4rec-s0"]  # fmt: skip
    given = run_config(algos=("dpo",), variants=("base",))
    given = replace(given, train=replace(given.train, dpo=replace(given.train.dpo, reference="/p")))
    assert [s.algo for s in experiment_grid(given)] == ["dpo"]  # a given reference needs no CE cell


def test_dpo_reference_is_the_ce_export_of_the_same_backbone_and_seed(tmp_path: Path) -> None:
    cfg = run_config(algos=("ce", "dpo"), seeds=(1,))
    run = RunDir.create(tmp_path, "r")
    train = train_config_for(cfg, ModelSpec("dpo", "lea", "gru4rec", 1), run)
    assert train.dpo.reference == str(run.path("models", "ce-base-gru4rec-s1", "policy"))
    assert train.dpo.le_pairs(train.params.lea_augment_k)  # the lea variant: preferences from the LE
    base = train_config_for(cfg, ModelSpec("dpo", "base", "gru4rec", 1), run)
    assert not base.dpo.le_pairs(base.params.lea_augment_k) and not base.uses_labels


def test_cells_that_read_labels() -> None:
    cfg = run_config(algos=("ce", "sqn", "dpo"), variants=("base", "lea_affine"))
    wants = {s.model_id: uses_labels(cfg, s) for s in experiment_grid(cfg)}
    assert wants == {
        "ce-base-gru4rec-s0": False,
        "sqn-base-gru4rec-s0": False,
        "sqn-lea_affine-gru4rec-s0": True,
        "dpo-base-gru4rec-s0": False,
        "dpo-lea_affine-gru4rec-s0": True,
    }
    affine = train_config_for(cfg, ModelSpec("sqn", "lea_affine", "gru4rec", 0))
    assert affine.params.lea_reward_source == "le_affine" and affine.params.lea_augment_k == 3
    pairs = replace(cfg, train=replace(cfg.train, dpo=replace(cfg.train.dpo, pairs="le")))
    assert uses_labels(pairs, ModelSpec("dpo", "base", "gru4rec", 0))  # its own section reads the LE


def test_a_cell_is_keyed_by_the_sections_it_reads() -> None:
    cfg = run_config(algos=("sqn", "dpo"))
    sqn = train_config_for(cfg, ModelSpec("sqn", "base", "gru4rec", 0))
    tuned = replace(sqn, dpo=replace(sqn.dpo, beta=0.5), cql=replace(sqn.cql, alpha=2.0))
    assert read_sections(tuned) == read_sections(sqn)  # another algorithm's settings: same cell
    assert read_sections(replace(sqn, sqn=replace(sqn.sqn, tau=0.5))) != read_sections(sqn)
    assert read_sections(replace(sqn, epochs=2.0)) != read_sections(sqn)
    assert "dpo" not in read_sections(sqn) and "sqn" in read_sections(sqn) and "params" in read_sections(sqn)


def le_env_config(**experiment) -> RunConfig:
    base = {"algos": ("ce", "sqn"), "variants": ("base",), "seeds": (0, 1)}
    return run_config(**{**base, **experiment})


def test_ppo_and_generated_cells_come_after_the_cells_they_start_from() -> None:
    cfg = le_env_config(ppo_from=("ce",), generated=("le", "sqn"), generated_use=("generated", "mixed"))
    ids = [s.model_id for s in experiment_grid(cfg)]
    assert ids[:4] == [
        "ce-base-gru4rec-s0",
        "ce-base-gru4rec-s1",
        "sqn-base-gru4rec-s0",
        "sqn-base-gru4rec-s1",
    ]
    assert ids[4:6] == ["ppo-from_ce-gru4rec-s0", "ppo-from_ce-gru4rec-s1"]
    assert set(ids[6:]) == {f"sqn-{use}_{src}-gru4rec-s{seed}" for use in ("generated", "mixed")
                            for src in ("le", "sqn") for seed in (0, 1)}  # fmt: skip
    assert len(ids) == len(set(ids))
    by_id = {s.model_id: s for s in experiment_grid(cfg)}
    assert by_id["ppo-from_ce-gru4rec-s1"].label == "PPO from CE"
    assert by_id["sqn-mixed_le-gru4rec-s0"].label == "SQN on logged + generated (LE users)"
    assert by_id["sqn-generated_sqn-gru4rec-s1"].label == "SQN on generated (SQN slates)"
    # the policy a cell starts from / rolls out with: the base cell of the same backbone and seed
    assert policy_source_spec(by_id["ppo-from_ce-gru4rec-s1"]) == ModelSpec("ce", "base", "gru4rec", 1)
    assert policy_source_spec(by_id["sqn-mixed_sqn-gru4rec-s0"]) == ModelSpec("sqn", "base", "gru4rec", 0)
    assert policy_source_spec(by_id["sqn-mixed_le-gru4rec-s0"]) is None
    # neither kind reads the LE labels; a generated cell trains its algorithm's base variant
    assert not any(uses_labels(cfg, s) for s in experiment_grid(cfg) if s.kind != "logged")
    gen = train_config_for(cfg, by_id["sqn-generated_le-gru4rec-s0"])
    assert gen.algo == "sqn" and not gen.uses_labels


def test_a_run_without_le_environment_cells_has_the_old_grid() -> None:
    cfg = le_env_config()
    assert all(s.kind == "logged" for s in experiment_grid(cfg)) and not uses_le_environment(cfg)
    assert uses_le_environment(le_env_config(generated=("le",)))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ppo_from": ("sqn",), "algos": ("ce",)}, "experiment.ppo_from lists sqn, which experiment.algos"),
        ({"generated": ("dpo",)}, "experiment.generated lists dpo, which experiment.algos does not train"),
        ({"ppo_from": ("sqn",), "variants": ("lea",)}, "base variant, which experiment.variants lacks"),
        ({"generated": ("le",), "generated_use": ()}, "experiment.generated needs at least one"),
    ],
)
def test_bad_le_environment_cells_stop_with_one_sentence(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        le_env_config(**changes)


def test_the_le_environment_needs_a_trained_le_and_ppo_one_item_per_step() -> None:
    exp = ExperimentConfig(algos=("ce",), seeds=(0,), generated=("le",))
    with pytest.raises(ValueError, match=r"experiment.generated needs a trained LE .* le.steps is 0"):
        RunConfig(experiment=exp, le=replace(RunConfig().le, steps=0))
    exp = ExperimentConfig(algos=("ce",), seeds=(0,), ppo_from=("ce",))
    with pytest.raises(ValueError, match="set le_env.slate_size to 1"):
        RunConfig(experiment=exp, le_env=replace(RunConfig().le_env, slate_size=5))


def test_bad_le_environment_cell_from_the_command_line_is_one_line(tmp_path: Path) -> None:
    from learec.platform.jobs.config_file import build_config

    path = tmp_path / "run.yaml"
    path.write_text("experiment:\n  algos: [ce]\n  ppo_from: [sqn]\n")
    with pytest.raises(ValueError) as err:
        build_config(RunConfig, path)
    text = str(err.value)
    assert "experiment.ppo_from lists sqn" in text and "\n" not in text and str(path) in text
