r"""SNQN: SQN with negative sampling (Xin et al., "Supervised Advantage Actor-Critic for Recommender
Systems", WSDM 2022, arXiv 2111.03474).

.. math::  L = \frac{1}{B} \sum_i \Big[ \mathrm{CE}(a_i) + w \big( \mathrm{TD}^+_i
           + \sum_{j=1}^{N} \tfrac12 (\gamma\, Q_{tgt}(s_i, \arg\max_a Q_{main}(s_i, a))
           - Q_{main}(s_i, a^-_{ij}))^2 \big) \Big]

``N`` = 10 negatives per row drawn uniformly from all items (redrawn if equal to the positive); they
have reward 0, bootstrap from the current state and are never done-masked. Served from network 1's
CE head (the ``Code/SNQN.py`` copy ranks with the Q head, which cannot serve a fused LE state).
"""

from __future__ import annotations

from dataclasses import dataclass

from learec.rllib_algos.common.params import NegativeSamplingParams


@dataclass(frozen=True)
class SNQNParams(NegativeSamplingParams):
    """``train.snqn``: SQN's fields plus ``n_negatives`` (10)."""
