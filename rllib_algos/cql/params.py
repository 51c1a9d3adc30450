r"""Discrete CQL: SQN's objective plus the conservative penalty of CQL(H) (Kumar et al., "Conservative
Q-Learning for Offline Reinforcement Learning", NeurIPS 2020, arXiv 2006.04779, eq. 4 with the
log-sum-exp regulariser, its discrete-action form).

.. math::  L = \frac{1}{B} \sum_i \Big[ \mathrm{CE}(a_i) + w \big( \mathrm{TD}^+_i
           + \alpha \big( \log \textstyle\sum_a \exp Q_{main}(s_i, a) - Q_{main}(s_i, a_i) \big) \big) \Big]

``TD+`` is SQN's double-Q TD loss of the logged transition. The penalty pushes down the Q value of every
item in proportion to its softmax weight and pushes up the logged one, so items the logs never show
cannot win the Q head by extrapolation: the failure CQL names in offline RL, and one a catalogue-sized
action space invites. ``alpha`` = 0 is SQN. LE hooks work as in SQN.
"""

from __future__ import annotations

from dataclasses import dataclass

from learec.platform.common.fields import opt
from learec.rllib_algos.common.params import QLearningParams


@dataclass(frozen=True)
class CQLParams(QLearningParams):
    """``train.cql``: SQN's fields plus ``alpha``, the weight of the conservative penalty (1.0)."""

    alpha: float = opt(
        1.0, "alpha: weight of the CQL(H) penalty logsumexp_a Q(s,a) - Q(s,a_logged); 0 is SQN", ge=0
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.q_loss_weight <= 0:
            raise ValueError("cql penalises the Q head: q_loss_weight must be > 0")
