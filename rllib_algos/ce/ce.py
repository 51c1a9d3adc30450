"""CE's RLlib config and algorithm: declarations only. The fields and the objective are in ``params.py``,
the loss in ``torch/ce_torch_learner.py``; the machinery is in ``common/``."""

from __future__ import annotations

from learec.rllib_algos.ce.params import CEParams
from learec.rllib_algos.common.algorithm import RecRLAlgorithm
from learec.rllib_algos.common.config import RecRLConfig


class CEConfig(RecRLConfig):
    params_class = CEParams
    learner_path = "learec.rllib_algos.ce.torch.ce_torch_learner:CETorchLearner"
    algorithm_path = "learec.rllib_algos.ce.ce:CE"


class CE(RecRLAlgorithm):
    config_class = CEConfig
