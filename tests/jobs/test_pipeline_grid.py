"""What `learec run` trains: the grid's cells, their LE switches, and DPO's reference cell."""

from __future__ import annotations

from pathlib import Path

from learec.platform.common.fields import replace
from learec.platform.jobs.config import ExperimentConfig, RunConfig
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
