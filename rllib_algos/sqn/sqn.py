"""SQN's RLlib config and algorithm: declarations only. The fields and the objective are in ``params.py``,
the loss in ``torch/sqn_torch_learner.py``; the machinery is in ``common/``."""

from __future__ import annotations

from learec.rllib_algos.common.algorithm import RecRLAlgorithm
from learec.rllib_algos.common.config import RecRLConfig
from learec.rllib_algos.sqn.params import SQNParams


class SQNConfig(RecRLConfig):
    params_class = SQNParams
    learner_path = "learec.rllib_algos.sqn.torch.sqn_torch_learner:SQNTorchLearner"
    algorithm_path = "learec.rllib_algos.sqn.sqn:SQN"


class SQN(RecRLAlgorithm):
    config_class = SQNConfig
