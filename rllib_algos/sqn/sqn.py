"""SQN: self-supervised Q-learning (Xin et al., "Self-Supervised Reinforcement Learning for Recommender
Systems", SIGIR 2020, arXiv 2006.05779).

.. math::  L = \\frac{1}{B} \\sum_i \\Big[ \\mathrm{CE}(a_i) + w \\cdot \\tfrac12 \\big(r_i + \\gamma
           (1 - d_i) Q_{tgt}(s'_i, \\arg\\max_a Q_{main}(s'_i, a)) - Q_{main}(s_i, a_i)\\big)^2 \\Big]

Two full networks; a coin flip per batch picks the learning one (double Q-learning, ``double_q``).
Recommendations come from network 1's CE head. Defaults from the public code: gamma 0.5, w 1.0,
rewards 0.2 click / 1.0 purchase (in the transitions). LE hooks: ``le_state`` fuses the LE state into
the Q head's input, ``le_reward`` replaces or shapes r, ``lea_augment_k`` adds LE positives as extra
CE targets (weight beta) and TD transitions bootstrapping from ``s_i`` (LEA, SIGIR 2024).
"""

from __future__ import annotations

from learec.rllib_algos.common.algorithm import RecRLAlgorithm
from learec.rllib_algos.common.config import RecRLConfig
from learec.rllib_algos.common.params import RecRLParams


class SQNConfig(RecRLConfig):
    """Defaults: w 1.0, gamma 0.5, no negatives, double Q, lr 0.005, batch 256."""

    def __init__(self, algo_class: type | None = None) -> None:
        from learec.rllib_algos.sqn.torch.sqn_torch_learner import SQNTorchLearner

        self.learner_class_default = SQNTorchLearner
        super().__init__(
            algo_class=algo_class or SQN,
            params=RecRLParams.algorithm_defaults(),
        )

    def validate(self) -> None:
        super().validate()
        if self.params.n_negatives != 0:
            self._value_error("sqn draws no negatives: n_negatives must be 0 (use snqn for negatives)")


class SQN(RecRLAlgorithm):
    @classmethod
    def get_default_config(cls) -> SQNConfig:
        return SQNConfig()
