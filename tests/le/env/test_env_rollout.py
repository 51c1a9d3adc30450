"""Generated trajectories: rollouts write valid transitions; mixing makes a prepared folder readers accept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from learec.platform.data import schema
from learec.platform.le.env.config import MixConfig
from learec.platform.le.env.play import no_slates, play, play_metrics, top_k_slates
from learec.platform.le.env.rollout import GeneratedData, generated_tables, write_rollout


def _stats(world_dirs) -> dict:
    from learec.platform.data.prepare import load_prepared

    return load_prepared(world_dirs.data).stats


@pytest.fixture(scope="module")
def rollout_dir(world, world_dirs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rollout") / "gen"
    write_rollout(world, no_slates(1), "le", out, 40, seed=0, data_stats=_stats(world_dirs), batch=16)
    return out


def test_play_does_not_depend_on_the_batch(world) -> None:
    scores = lambda s, n: np.tile(np.arange(world.n_items, dtype=float), (len(s), 1))  # noqa: E731
    slate_fn = top_k_slates(scores, 1, world.pad_id)
    a, b = play(world, slate_fn, 12, seed=5, batch=12), play(world, slate_fn, 12, seed=5, batch=5)
    np.testing.assert_array_equal(a.clicked, b.clicked)
    np.testing.assert_array_equal(a.session, b.session)
    np.testing.assert_allclose(a.reward, b.reward, atol=1e-5)
    assert play_metrics(a, 1)["steps_per_session"] <= world.config.max_steps


def test_rollout_transitions_follow_the_transitions_contract(rollout_dir: Path, world) -> None:
    data = GeneratedData.open(rollout_dir, world.n_items, world.state_len)
    tr = data.transitions()
    schema.check_columns(tr, schema.transitions_schema(world.state_len), "generated")
    ev = data.events()
    assert tr.num_rows == ev.num_rows == data.info["transitions"]
    states = np.stack(tr.column(schema.STATE).to_numpy(zero_copy_only=False))
    nxt = np.stack(tr.column(schema.NEXT_STATE).to_numpy(zero_copy_only=False))
    actions = tr.column(schema.ACTION).to_numpy()
    session = tr.column(schema.SESSION_ID).to_numpy()
    done = tr.column(schema.DONE).to_numpy(zero_copy_only=False)
    is_buy = tr.column(schema.IS_BUY).to_numpy()
    np.testing.assert_array_equal(nxt[:, -1], actions)  # next state = state + action
    np.testing.assert_array_equal(nxt[:, :-1], states[:, 1:])
    same = session[1:] == session[:-1]
    np.testing.assert_array_equal(nxt[:-1][same], states[1:][same])  # a session's rows chain up
    assert done[np.append(~same, True)].all() and not done[np.append(same, False)].any()
    assert (tr.column(schema.LEN_STATE).to_numpy() >= world.config.start_min_len).all()  # logged start
    buy_rows = np.flatnonzero(is_buy == 1)
    assert (actions[buy_rows] == actions[buy_rows - 1]).all()  # a purchase repeats its click (shop logs)
    assert len(np.unique(session)) == 40


def test_rollout_folder_is_guarded(rollout_dir: Path, world, world_dirs) -> None:
    with pytest.raises(FileExistsError):
        from learec.platform.common import outputs

        outputs.claim_output(rollout_dir, "le-rollout")
    with pytest.raises(ValueError, match="items"):
        GeneratedData.open(rollout_dir, n_items=world.n_items + 1)
    with pytest.raises(ValueError, match="not a learec rollout"):
        GeneratedData.open(world_dirs.data)


def test_policy_rollout_marks_clicks_on_recommended_items(world, world_dirs, policy_dir) -> None:
    from learec.serve.policy import ExportedPolicy

    played = play(world, top_k_slates(ExportedPolicy.load(policy_dir).score, 1, world.pad_id), 20, seed=1)
    assert played.from_slate.any() and not played.from_slate.all()
    events, transitions = generated_tables(played, world, 0.2, 1.0)
    assert transitions.num_rows == events.num_rows == played.n_steps + int(played.bought.sum())


@pytest.mark.parametrize("train_from", ["generated", "both"])
def test_mixed_data_is_a_prepared_folder(
    train_from: str, rollout_dir: Path, world_dirs, tmp_path: Path
) -> None:
    from learec.platform.data.prepare import load_prepared
    from learec.platform.jobs import le_env_jobs

    logged = load_prepared(world_dirs.data)
    mixed = le_env_jobs.mix(
        world_dirs.data, [rollout_dir], tmp_path / "mixed", MixConfig(train_from=train_from)
    )
    again = load_prepared(mixed.root)  # the one reader of the layout accepts it
    gen_rows = GeneratedData.open(rollout_dir).transitions().num_rows
    logged_rows = logged.transitions("train").num_rows
    train = again.transitions("train")
    assert train.num_rows == gen_rows + (logged_rows if train_from == "both" else 0)
    assert again.transitions("test").equals(logged.transitions("test"))
    assert again.raw_ids() == logged.raw_ids()
    assert again.popularity().sum() == again.events("train").num_rows
    ids = train.column(schema.SESSION_ID).to_numpy()
    assert (np.diff(ids) >= 0).all()  # still grouped and ordered by session
    assert again.stats["mix"]["train_from"] == train_from
    with pytest.raises(FileExistsError):
        le_env_jobs.mix(world_dirs.data, [rollout_dir], tmp_path / "mixed", MixConfig())


def test_generated_fraction_samples_sessions(rollout_dir: Path, world_dirs, tmp_path: Path) -> None:
    from learec.platform.data.prepare import load_prepared
    from learec.platform.le.env.mixing import mix

    half = mix(
        load_prepared(world_dirs.data),
        [GeneratedData.open(rollout_dir)],
        MixConfig(train_from="generated", generated_fraction=0.5),
        tmp_path / "half",
    )
    assert len(np.unique(half.transitions("train").column(schema.SESSION_ID).to_numpy())) == 20
    assert isinstance(half.transitions("train"), pa.Table)


def test_cli_rollout_and_mix_answer_bad_input_in_one_line(world_dirs, tmp_path: Path) -> None:
    from support import learec

    args = ["le", "rollout", "--le", str(world_dirs.le), "--data", str(world_dirs.data), "--sessions", "3"]
    bad = learec(*args, "--out", str(tmp_path / "r"), "--policy", str(tmp_path / "no-policy"))
    assert bad.returncode == 2 and "not an exported policy" in bad.stderr
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    ok = learec(*args, "--out", str(tmp_path / "r"), "--le-env-slate-size", "2")
    assert ok.returncode == 0, ok.stderr
    assert GeneratedData.open(tmp_path / "r").info["sessions"] == 3
    mixed = learec("le", "mix", "--data", str(world_dirs.data), "--generated", str(world_dirs.data),
                   "--out", str(tmp_path / "m"))  # fmt: skip
    assert mixed.returncode == 2 and "not a learec rollout folder" in mixed.stderr
