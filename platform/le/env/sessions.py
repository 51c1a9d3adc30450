"""The simulated user of the LE environment, stepped for many sessions with one batched LE pass per step.

Each step, for every stepped session with state ``s`` (last L items) and slate ``a_1..a_k`` (``-1``: an
empty slot; repeated items count once):

1. The LE scores the slate, ``r_j = r_LE(s, a_j)`` (the reward model's normalised reward, as in labeling),
   and proposes its ``K`` best catalogue items ``c_1..c_K`` outside the history and the slate with their
   rewards (``LanguageEnvironment.positive_actions``: state-model candidates re-scored by the reward
   model). These are the outside option: what the user finds without the recommender, by the LE's taste.
2. **Click**: one of the ``k + K`` options, with probability
   ``softmax_j((r_j + slate_boost) / T)`` over the slate items and ``r(c_m) / T`` over the catalogue ones
   (``T`` = ``choice_temperature``; the boost is the pull of being shown).
3. **Purchase**: the clicked item is bought with ``sigmoid(w0 + w1 * r(clicked))`` (``calibration.py``).
4. The state gains the clicked item, twice when it was bought and the logs record a purchase as an extra
   event on the clicked item (``purchase_event = extra``), exactly as the logged transitions do.
5. The user leaves with probability ``leave_prob`` (terminated); after ``max_steps`` steps the session is
   cut (truncated).

**Reward**: the normalised LE reward of the recommended item; of a slate, its best item's (0 for an empty
slate).

Each session draws from its own generator in a fixed order (the start state at reset; ``k + K`` Gumbel
draws, a purchase and a leave uniform per step), and the LE's results do not depend on the batch, so a
session's course depends only on its seed and its actions, never on which sessions share the batch: ``n``
sessions seeded ``s .. s+n-1`` in one batch reproduce ``n`` single environments seeded the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from learec.platform.le.env.world import LEWorld, state_lengths

EMPTY = -1  # an empty slate slot


@dataclass(frozen=True)
class StepOutcome:
    """What happened in each stepped session (arrays over the stepped rows, in their order)."""

    clicked: np.ndarray  # [B] int64 clicked item
    from_slate: np.ndarray  # [B] bool: the click was on a recommended item
    bought: np.ndarray  # [B] bool
    purchase_prob: np.ndarray  # [B] float64 p(buy) of the clicked item
    slate_click_prob: np.ndarray  # [B] float64 probability that the user clicks a slate item
    expected_slate_purchases: np.ndarray  # [B] float64 sum_j p(click j) p(buy j) over the slate
    reward: np.ndarray  # [B] float32
    terminated: np.ndarray  # [B] bool: the user left
    truncated: np.ndarray  # [B] bool: max_steps reached


def append_item(states: np.ndarray, items: np.ndarray, where: np.ndarray) -> None:
    """Shift ``items`` into the left-padded ``states [B, L]`` in place, in the rows where ``where`` holds.

    The oldest slot drops out; padding stays on the left, as in the logged transitions.
    """
    rows = np.flatnonzero(where)
    if len(rows):
        states[rows, :-1] = states[rows, 1:]
        states[rows, -1] = items[rows]


class Sessions:
    """``n`` simulated sessions over one world; :meth:`reset` and :meth:`step` take session indices."""

    def __init__(self, world: LEWorld, n: int) -> None:
        if n < 1:
            raise ValueError(f"the number of sessions must be >= 1, got {n}")
        self.world = world
        self.n = n
        self.states = np.full((n, world.state_len), world.pad_id, dtype=np.int64)  # [n, L]
        self.steps = np.zeros(n, dtype=np.int64)
        self._rngs = [np.random.default_rng() for _ in range(n)]

    def reset(self, index: int, seed: int | None = None) -> np.ndarray:
        """Start session ``index`` from a logged training state; a ``seed`` restarts its generator."""
        if seed is not None:
            self._rngs[index] = np.random.default_rng(seed)
        starts = self.world.start_states
        self.states[index] = starts[int(self._rngs[index].integers(len(starts)))]
        self.steps[index] = 0
        return self.states[index].copy()

    def check_slates(self, slates: np.ndarray) -> np.ndarray:
        """``[B, k]`` int64 slates with repeats emptied; a ValueError for ids outside the catalogue."""
        slates = np.array(slates, dtype=np.int64, ndmin=2)
        if slates.ndim != 2 or slates.shape[1] > self.world.config.slate_size:
            raise ValueError(
                f"slates must be [B, k] with k <= slate_size={self.world.config.slate_size}, "
                f"got {slates.shape}"
            )
        if slates.size and (slates.min() < EMPTY or slates.max() >= self.world.n_items):
            raise ValueError(f"slate items must be item ids in 0..{self.world.n_items - 1} (or -1 for none)")
        for j in range(1, slates.shape[1]):
            repeat = (slates[:, j : j + 1] == slates[:, :j]).any(axis=1) & (slates[:, j] != EMPTY)
            slates[repeat, j] = EMPTY
        return slates

    def step(self, rows: np.ndarray, slates: np.ndarray) -> StepOutcome:
        """Show ``slates [B, k]`` to sessions ``rows [B]``: one LE pass for all of them (see module doc)."""
        world, cfg, cal = self.world, self.world.config, self.world.calibration
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        slates = self.check_slates(slates)
        if len(slates) != len(rows):
            raise ValueError(f"got {len(slates)} slates for {len(rows)} sessions")
        b, k = slates.shape
        n_cand = world.catalogue_candidates
        states = self.states[rows]  # [B, L] copy
        lengths = state_lengths(states, world.pad_id)
        valid = slates != EMPTY  # [B, k]
        cat_items, cat_r = world.le.positive_actions(states, lengths, n_cand, exclude=slates)  # [B, K]
        slate_r = np.zeros((b, k), dtype=np.float64)
        if valid.any():
            slate_r = world.le.reward(states, lengths, np.maximum(slates, 0)).astype(np.float64)  # [B, k]

        # Per-session draws, in a fixed order: k + K Gumbel, then the purchase and the leave uniforms.
        gumbel = np.empty((b, k + n_cand))
        uniforms = np.empty((b, 2))
        for i, row in enumerate(rows):
            rng = self._rngs[row]
            gumbel[i] = rng.gumbel(size=k + n_cand)
            uniforms[i] = rng.random(2)

        rewards = np.concatenate([slate_r, cat_r.astype(np.float64)], axis=1)  # [B, k + K]
        boost = np.where(valid, cfg.slate_boost, 0.0)
        logits = np.concatenate([np.where(valid, slate_r + boost, -np.inf), cat_r], axis=1)
        logits = logits / cfg.choice_temperature
        choice = np.argmax(logits + gumbel, axis=1)  # [B] Gumbel-max: a draw from softmax(logits)
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)

        from_slate = choice < k
        options = np.concatenate([slates, cat_items], axis=1)  # [B, k + K]
        clicked = options[np.arange(b), choice]
        p_buy = cal.purchase_probability(rewards[np.arange(b), choice])
        bought = uniforms[:, 0] < p_buy
        slate_buy = np.where(valid, cal.purchase_probability(slate_r), 0.0)

        append_item(states, clicked, np.ones(b, dtype=bool))
        if cal.purchase_event == "extra":
            append_item(states, clicked, bought)
        self.states[rows] = states
        self.steps[rows] += 1
        terminated = uniforms[:, 1] < world.leave_prob
        truncated = ~terminated & (self.steps[rows] >= cfg.max_steps)
        reward = np.where(valid, slate_r, -np.inf).max(axis=1, initial=-np.inf)
        return StepOutcome(
            clicked=clicked,
            from_slate=from_slate,
            bought=bought,
            purchase_prob=p_buy,
            slate_click_prob=probs[:, :k].sum(axis=1),
            expected_slate_purchases=(probs[:, :k] * slate_buy).sum(axis=1),
            reward=np.where(valid.any(axis=1), reward, 0.0).astype(np.float32),
            terminated=terminated,
            truncated=truncated,
        )
