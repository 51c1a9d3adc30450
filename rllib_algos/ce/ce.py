"""CE: the supervised-only baseline on the same backbone (no Q head).

.. math::  L = \\frac{1}{B} \\sum_i \\Big[ -\\log \\pi_{CE}(a_i \\mid s_i)
           + \\beta \\sum_{g=1}^{k} -\\log \\pi_{CE}(a^g_i \\mid s_i) \\Big]

The second term exists only with ``lea_augment_k > 0`` (LEA's extra CE targets, Wang et al., SIGIR 2024).
Every SQN-family table carries this model (``notes/LEA.md`` §8: a tuned CE model is a strong baseline).
"""

from __future__ import annotations

from learec.rllib_algos.common.algorithm import RecRLAlgorithm
from learec.rllib_algos.common.config import RecRLConfig
from learec.rllib_algos.common.params import RecRLParams


class CEConfig(RecRLConfig):
    """Defaults: no Q head (``q_loss_weight`` 0), lr 0.005, batch 256."""

    def __init__(self, algo_class: type | None = None) -> None:
        from learec.rllib_algos.ce.torch.ce_torch_learner import CETorchLearner

        self.learner_class_default = CETorchLearner
        super().__init__(
            algo_class=algo_class or CE,
            params=RecRLParams.algorithm_defaults(q_loss_weight=0.0),
        )

    def validate(self) -> None:
        super().validate()
        if self.params.q_loss_weight != 0:
            self._value_error("ce trains no Q head: q_loss_weight must be 0 (use sqn for CE + TD)")


class CE(RecRLAlgorithm):
    @classmethod
    def get_default_config(cls) -> CEConfig:
        return CEConfig()
