"""Play many sessions in the LE environment with a recommender (or none) and keep what the users did.

The rollout (generated trajectories) and the evaluation (purchase rate in the LE) both run on
:func:`play`: a pool of ``batch`` sessions stepped together, a finished session's slot taken by the next
one. Session ``j`` is seeded from ``(seed, j)`` alone, so the result does not depend on ``batch``, and two
recommenders played with the same seed meet the same start states and the same dice (common random
numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from learec.platform.le.env.sessions import EMPTY, Sessions
from learec.platform.le.env.world import LEWorld, state_lengths

SlateFn = Callable[[np.ndarray], np.ndarray]  # states [B, L] left-padded -> slates [B, k] (-1: empty slot)
ScoreFn = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (states [B, L], lengths [B]) -> [B, n_items]

_PLAY = 0x91A7  # seed stream tag


def top_k_slates(score_fn: ScoreFn, k: int, pad_id: int) -> SlateFn:
    """Slates of a scoring policy: its ``k`` best items outside the state (as serving's exclude_consumed)."""

    def slates(states: np.ndarray) -> np.ndarray:
        scores = np.array(score_fn(states, state_lengths(states, pad_id)), dtype=np.float64)  # [B, n]
        rows, cols = np.nonzero(states != pad_id)
        scores[rows, states[rows, cols]] = -np.inf
        top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return np.where(np.isfinite(np.take_along_axis(scores, top, axis=1)), top, EMPTY)

    return slates


def no_slates(k: int) -> SlateFn:
    """No recommender: every slot empty, so users click what the LE would find on their own."""

    def slates(states: np.ndarray) -> np.ndarray:
        return np.full((len(states), k), EMPTY, dtype=np.int64)

    return slates


@dataclass(frozen=True)
class Played:
    """Every step of ``n_sessions`` sessions, sorted by (session, step)."""

    n_sessions: int
    start_states: np.ndarray  # [N, L] the logged state each session started from
    session: np.ndarray  # [S] session index 0..N-1 of each step
    step: np.ndarray  # [S] 0-based step within the session
    clicked: np.ndarray  # [S] int64
    from_slate: np.ndarray  # [S] bool
    bought: np.ndarray  # [S] bool
    purchase_prob: np.ndarray  # [S] p(buy) of the clicked item
    slate_click_prob: np.ndarray  # [S]
    expected_slate_purchases: np.ndarray  # [S]
    reward: np.ndarray  # [S] float32

    @property
    def n_steps(self) -> int:
        return len(self.session)


def session_seeds(seed: int, n_sessions: int) -> list[int]:
    """One generator seed per session, from ``seed`` alone."""
    state = np.random.SeedSequence([int(seed), _PLAY]).generate_state(n_sessions, dtype=np.uint64)
    return [int(s) for s in state]


def play(world: LEWorld, slate_fn: SlateFn, n_sessions: int, seed: int = 0, batch: int = 256) -> Played:
    """Run ``n_sessions`` sessions to their end, ``batch`` at a time, showing ``slate_fn``'s slates."""
    if n_sessions < 1 or batch < 1:
        raise ValueError(f"n_sessions and batch must be >= 1, got {n_sessions} and {batch}")
    seeds = session_seeds(seed, n_sessions)
    pool = Sessions(world, min(batch, n_sessions))
    owner = np.full(pool.n, -1, dtype=np.int64)  # session index in each slot, -1 when idle
    starts = np.empty((n_sessions, world.state_len), dtype=np.int64)
    nxt = 0

    def start(slot: int) -> None:
        nonlocal nxt
        if nxt >= n_sessions:
            owner[slot] = -1
            return
        starts[nxt] = pool.reset(slot, seeds[nxt])
        owner[slot] = nxt
        nxt += 1

    for slot in range(pool.n):
        start(slot)
    columns: dict[str, list[np.ndarray]] = {name: [] for name in _STEP_FIELDS}
    while (owner >= 0).any():
        live = np.flatnonzero(owner >= 0)
        out = pool.step(live, slate_fn(pool.states[live].copy()))
        columns["session"].append(owner[live].copy())
        columns["step"].append(pool.steps[live] - 1)
        for name in _STEP_FIELDS[2:]:
            columns[name].append(np.asarray(getattr(out, name)))
        for slot in live[out.terminated | out.truncated]:
            start(int(slot))
    cat = {name: np.concatenate(parts) for name, parts in columns.items()}
    order = np.lexsort((cat["step"], cat["session"]))
    return Played(n_sessions, starts, **{name: values[order] for name, values in cat.items()})


_STEP_FIELDS = (
    "session",
    "step",
    "clicked",
    "from_slate",
    "bought",
    "purchase_prob",
    "slate_click_prob",
    "expected_slate_purchases",
    "reward",
)


def play_metrics(played: Played, k: int) -> dict[str, float]:
    """Per step (= per slate shown): ``purchase_rate`` purchases of recommended items (what the shop's
    online evaluation counts), ``expected_purchase_rate`` the same in expectation over the user's dice,
    ``click_rate`` clicks on recommended items, ``any_purchase_rate`` purchases of any clicked item,
    ``mean_reward`` the LE reward; per session: ``steps_per_session``, ``purchases_per_session``."""
    steps = max(played.n_steps, 1)
    slate_buys = played.bought & played.from_slate
    return {
        "purchase_rate": float(slate_buys.sum() / steps),
        "expected_purchase_rate": float(played.expected_slate_purchases.sum() / steps),
        "click_rate": float(played.from_slate.sum() / steps),
        "expected_click_rate": float(played.slate_click_prob.sum() / steps),
        "any_purchase_rate": float(played.bought.sum() / steps),
        "mean_reward": float(played.reward.sum() / steps),
        "steps_per_session": played.n_steps / played.n_sessions,
        "purchases_per_session": float(slate_buys.sum() / played.n_sessions),
        "n_sessions": float(played.n_sessions),
        "k": float(k),
    }
