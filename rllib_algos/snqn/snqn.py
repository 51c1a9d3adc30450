"""SNQN's RLlib config and algorithm: declarations only. The fields and the objective are in ``params.py``,
the loss in ``torch/snqn_torch_learner.py``; the machinery is in ``common/``."""

from __future__ import annotations

from learec.rllib_algos.common.algorithm import RecRLAlgorithm
from learec.rllib_algos.common.config import RecRLConfig
from learec.rllib_algos.snqn.params import SNQNParams


class SNQNConfig(RecRLConfig):
    params_class = SNQNParams
    learner_path = "learec.rllib_algos.snqn.torch.snqn_torch_learner:SNQNTorchLearner"
    algorithm_path = "learec.rllib_algos.snqn.snqn:SNQN"


class SNQN(RecRLAlgorithm):
    config_class = SNQNConfig
