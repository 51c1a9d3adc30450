"""SA2C's RLlib config and algorithm: declarations only. The fields and the objective are in ``params.py``,
the loss in ``torch/sa2c_torch_learner.py``; the machinery is in ``common/``."""

from __future__ import annotations

from learec.rllib_algos.common.algorithm import RecRLAlgorithm
from learec.rllib_algos.common.config import RecRLConfig
from learec.rllib_algos.sa2c.params import SA2CParams


class SA2CConfig(RecRLConfig):
    params_class = SA2CParams
    learner_path = "learec.rllib_algos.sa2c.torch.sa2c_torch_learner:SA2CTorchLearner"
    algorithm_path = "learec.rllib_algos.sa2c.sa2c:SA2C"


class SA2C(RecRLAlgorithm):
    config_class = SA2CConfig
