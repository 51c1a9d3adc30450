r"""SQN: self-supervised Q-learning (Xin et al., "Self-Supervised Reinforcement Learning for Recommender
Systems", SIGIR 2020, arXiv 2006.05779).

.. math::  L = \frac{1}{B} \sum_i \Big[ \mathrm{CE}(a_i) + w \cdot \tfrac12 \big(r_i + \gamma
           (1 - d_i) Q_{tgt}(s'_i, \arg\max_a Q_{main}(s'_i, a)) - Q_{main}(s_i, a_i)\big)^2 \Big]

Two full networks; a coin flip per batch picks the learning one (double Q-learning, ``double_q``).
Recommendations come from network 1's CE head. Defaults from the public code: gamma 0.5, w 1.0,
rewards 0.2 click / 1.0 purchase (in the transitions). LE hooks (``train.params``): ``le_state`` fuses
the LE state into the Q head's input, ``le_reward`` replaces or shapes r, ``lea_augment_k`` adds LE
positives as extra CE targets (weight beta) and TD transitions bootstrapping from ``s_i`` (LEA, SIGIR 2024).
"""

from __future__ import annotations

from dataclasses import dataclass

from learec.rllib_algos.common.params import QLearningParams


@dataclass(frozen=True)
class SQNParams(QLearningParams):
    """``train.sqn``: w (``q_loss_weight``, 1.0), ``double_q`` (on) and the Polyak ``tau`` (0.01)."""
