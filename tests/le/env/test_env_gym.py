"""The LE environment as gymnasium environments: spaces, seeding, vector = single, rewards, episode ends."""

from __future__ import annotations

import numpy as np
import pytest

from learec.platform.data import schema
from learec.platform.le.env.config import LEEnvConfig
from learec.platform.le.env.gym_env import LEEnv, LEVectorEnv
from learec.platform.le.env.world import state_lengths


def _replace(world, **changes):
    from learec.platform.common.fields import replace
    from learec.platform.le.env.world import LEWorld

    config = replace(world.config, **changes)
    return LEWorld.from_parts(world.le, config, world.calibration, None, world.n_items, world.state_len,
                              world.raw_ids, start_states=world.start_states)  # fmt: skip


def test_spaces_are_the_rllib_modules_spaces(world) -> None:
    from learec.rllib_algos.common.offline_input import spaces

    env = LEEnv(world)
    obs_space, act_space = spaces(world.n_items, world.state_len)
    assert env.observation_space == obs_space
    assert env.action_space == act_space
    obs, info = env.reset(seed=0)
    assert obs.shape == (schema.STATE_LEN,) and obs.dtype == np.int64
    assert env.observation_space.contains(obs)
    assert state_lengths(obs[None], world.pad_id)[0] >= world.config.start_min_len
    slate_env = LEEnv(_replace(world, slate_size=3))
    assert slate_env.action_space.shape == (3,)
    assert slate_env.action_space.contains(np.array([0, 1, 2]))


def test_gymnasium_env_checker_accepts_it(world) -> None:
    from gymnasium.utils.env_checker import check_env

    check_env(LEEnv(world), skip_render_check=True)


def _run(env: LEEnv, seed: int, actions: list[int]) -> list[tuple]:
    out = [tuple(env.reset(seed=seed)[0])]
    for a in actions:
        obs, reward, term, trunc, info = env.step(a)
        out.append((tuple(obs), reward, term, trunc, info["clicked"], info["bought"]))
        if term or trunc:
            out.append(tuple(env.reset()[0]))
    return out


def test_same_seed_same_sessions_other_seed_others(world) -> None:
    actions = list(np.random.default_rng(0).integers(0, world.n_items, size=10))
    first = _run(LEEnv(world), 7, actions)
    again = _run(LEEnv(world), 7, actions)
    other = _run(LEEnv(world), 8, actions)
    assert first == again
    assert first != other


def test_vector_env_equals_single_envs_at_the_same_seeds(world) -> None:
    n, steps, seed = 3, 10, 11
    world = _replace(world, leave_prob=0.3)  # short sessions: the comparison covers autoresets
    rng = np.random.default_rng(1)
    actions = rng.integers(0, world.n_items, size=(steps, n))
    vec = LEVectorEnv(world, n)
    obs_v, _ = vec.reset(seed=seed)
    singles = [LEEnv(world) for _ in range(n)]
    obs_s = np.stack([e.reset(seed=seed + i)[0] for i, e in enumerate(singles)])
    np.testing.assert_array_equal(obs_v, obs_s)
    ended = np.zeros(n, dtype=bool)
    resets = 0
    for t in range(steps):
        obs_v, rew_v, term_v, trunc_v, _ = vec.step(actions[t])
        for i, env in enumerate(singles):
            if ended[i]:  # next-step autoreset: the vector env resets the session and ignores its action
                obs, rew, term, trunc = env.reset()[0], 0.0, False, False
                resets += 1
            else:
                obs, rew, term, trunc, _ = env.step(int(actions[t, i]))
            np.testing.assert_array_equal(obs_v[i], obs)
            assert rew_v[i] == pytest.approx(rew, abs=1e-5)
            assert (term_v[i], trunc_v[i]) == (term, trunc)
            ended[i] = term or trunc
    assert resets > 0, "the comparison should cover autoresets; raise steps"


def test_reward_is_the_le_reward_of_the_recommended_item(world) -> None:
    env = LEEnv(world)
    obs, _ = env.reset(seed=3)
    action = int((obs[-1] + 1) % world.n_items)
    expected = world.le.reward(obs[None], state_lengths(obs[None], world.pad_id), np.array([action]))[0]
    _, reward, *_ = env.step(action)
    assert reward == pytest.approx(float(expected), abs=1e-6)

    slate_world = _replace(world, slate_size=3)
    env = LEEnv(slate_world)
    obs, _ = env.reset(seed=3)
    slate = np.array([1, 5, 9])
    rewards = world.le.reward(obs[None], state_lengths(obs[None], world.pad_id), slate[None])[0]
    _, reward, *_ = env.step(slate)
    assert reward == pytest.approx(float(rewards.max()), abs=1e-6)


def test_next_state_appends_the_click_and_a_purchase_like_the_logs(world) -> None:
    import dataclasses

    assert world.calibration.purchase_event == "extra"  # the shop logs a purchase as a second event
    for intercept, bought in ((30.0, True), (-30.0, False)):  # users who always / never buy
        cal = dataclasses.replace(world.calibration, purchase_intercept=intercept, purchase_slope=0.0)
        env = LEEnv(dataclasses.replace(world, calibration=cal))
        for seed in range(4):
            obs, _ = env.reset(seed=seed)
            nxt, _, _, _, info = env.step(0)
            c = info["clicked"]
            assert 0 <= c < world.n_items and info["bought"] is bought
            tail = [c, c] if bought else [c]
            np.testing.assert_array_equal(nxt, np.concatenate([obs[len(tail) :], tail]))
    replace_world = dataclasses.replace(
        world, calibration=dataclasses.replace(cal, purchase_event="replace", purchase_intercept=30.0)
    )
    env = LEEnv(replace_world)
    obs, _ = env.reset(seed=0)
    nxt, _, _, _, info = env.step(0)
    assert info["bought"]
    np.testing.assert_array_equal(nxt, np.concatenate([obs[1:], [info["clicked"]]]))  # one event


def test_every_session_ends(world) -> None:
    env = LEEnv(world)
    rng = np.random.default_rng(0)
    lengths = []
    for seed in range(10):
        env.reset(seed=seed)
        for t in range(1, world.config.max_steps + 1):
            _, _, term, trunc, _ = env.step(int(rng.integers(world.n_items)))
            if term or trunc:
                assert trunc == (not term and t == world.config.max_steps)
                lengths.append(t)
                break
    assert len(lengths) == 10 and max(lengths) <= world.config.max_steps
    leave_now = LEEnv(_replace(world, leave_prob=1.0))
    leave_now.reset(seed=0)
    assert leave_now.step(0)[2] is True  # terminated: the user left


def test_user_clicks_shown_items_more_with_a_larger_boost(world) -> None:
    from learec.platform.le.env.play import play, play_metrics, top_k_slates

    def slate_click_rate(boost: float) -> float:
        w = _replace(world, slate_boost=boost, slate_size=5)
        scores = lambda s, n: np.tile(np.arange(w.n_items, dtype=float), (len(s), 1))  # noqa: E731
        return play_metrics(play(w, top_k_slates(scores, 5, w.pad_id), 60, seed=0), 5)["expected_click_rate"]

    assert slate_click_rate(3.0) > slate_click_rate(0.0) > 0.0


def test_config_rejects_what_the_catalogue_cannot_hold(world) -> None:
    with pytest.raises(ValueError, match="slate_size"):
        _replace(world, slate_size=world.n_items)
    with pytest.raises(ValueError, match="leave_prob"):
        LEEnvConfig(leave_prob=0.0)
