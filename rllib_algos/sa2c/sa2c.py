"""SA2C: supervised advantage actor-critic (Xin et al., WSDM 2022, arXiv 2111.03474).

Until ``warmup_steps`` gradient steps the loss is SNQN's. Afterwards the CE (actor) rows are weighted by
the critic's advantage, and the learning rate may drop to ``lr_after_warmup`` (paper: 0.01 -> 0.001):

.. math::  L = \\frac{1}{B} \\sum_i \\Big[ A_i\\, \\mathrm{CE}(a_i) + w \\big(\\mathrm{TD}^+_i
           + \\sum_j \\mathrm{TD}^-_{ij}\\big) \\Big],\\quad
           A_i = \\mathrm{clip}\\Big(Q(s_i, a_i) - \\mathrm{mean}\\big(Q(s_i, a_i), Q(s_i, a^-_{i1..N})\\big),
           0, 10\\Big)

with ``A`` held constant (stop-gradient). The IPS factor of the paper's code defaults to 1
(``smooth`` 0) and is left out. LEA positives keep their beta-weighted, unweighted-by-A CE terms.
"""

from __future__ import annotations

from learec.rllib_algos.common.algorithm import RecRLAlgorithm
from learec.rllib_algos.common.config import RecRLConfig
from learec.rllib_algos.common.params import RecRLParams


class SA2CConfig(RecRLConfig):
    """Defaults: 10 negatives, warm-up 2,000 steps, advantage clip [0, 10], lr 0.005 then 0.001."""

    def __init__(self, algo_class: type | None = None) -> None:
        from learec.rllib_algos.sa2c.torch.sa2c_torch_learner import SA2CTorchLearner

        self.learner_class_default = SA2CTorchLearner
        params = RecRLParams.algorithm_defaults(n_negatives=10, lr_after_warmup=0.001)
        super().__init__(algo_class=algo_class or SA2C, params=params)

    def validate(self) -> None:
        super().validate()
        if self.params.n_negatives < 1:
            self._value_error("sa2c's advantage needs negatives: n_negatives must be >= 1")
        if self.params.q_loss_weight <= 0:
            self._value_error("sa2c needs a critic: q_loss_weight must be > 0")


class SA2C(RecRLAlgorithm):
    @classmethod
    def get_default_config(cls) -> SA2CConfig:
        return SA2CConfig()
