"""SNQN: SQN with negative sampling (Xin et al., "Supervised Advantage Actor-Critic for Recommender
Systems", WSDM 2022, arXiv 2111.03474).

.. math::  L = \\frac{1}{B} \\sum_i \\Big[ \\mathrm{CE}(a_i) + w \\big( \\mathrm{TD}^+_i
           + \\sum_{j=1}^{N} \\tfrac12 (\\gamma\\, Q_{tgt}(s_i, \\arg\\max_a Q_{main}(s_i, a))
           - Q_{main}(s_i, a^-_{ij}))^2 \\big) \\Big]

``N`` = 10 negatives per row drawn uniformly from all items (redrawn if equal to the positive); they
have reward 0, bootstrap from the current state and are never done-masked. Served from network 1's
CE head (the ``Code/SNQN.py`` copy ranks with the Q head, which cannot serve a fused LE state).
"""

from __future__ import annotations

from learec.rllib_algos.common.algorithm import RecRLAlgorithm
from learec.rllib_algos.common.config import RecRLConfig
from learec.rllib_algos.common.params import RecRLParams


class SNQNConfig(RecRLConfig):
    """Defaults: 10 negatives, w 1.0, gamma 0.5, double Q, lr 0.005, batch 256."""

    def __init__(self, algo_class: type | None = None) -> None:
        from learec.rllib_algos.snqn.torch.snqn_torch_learner import SNQNTorchLearner

        self.learner_class_default = SNQNTorchLearner
        super().__init__(
            algo_class=algo_class or SNQN,
            params=RecRLParams.algorithm_defaults(n_negatives=10),
        )

    def validate(self) -> None:
        super().validate()
        if self.params.n_negatives < 1:
            self._value_error("snqn needs negatives: n_negatives must be >= 1 (use sqn without them)")


class SNQN(RecRLAlgorithm):
    @classmethod
    def get_default_config(cls) -> SNQNConfig:
        return SNQNConfig()
