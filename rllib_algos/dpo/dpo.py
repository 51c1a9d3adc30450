"""DPO's RLlib config and algorithm: declarations only. The fields and the objective are in ``params.py``,
the loss in ``torch/dpo_torch_learner.py``; the machinery is in ``common/``."""

from __future__ import annotations

from learec.rllib_algos.common.algorithm import RecRLAlgorithm
from learec.rllib_algos.common.config import RecRLConfig
from learec.rllib_algos.dpo.params import DPOParams


class DPOConfig(RecRLConfig):
    params_class = DPOParams
    learner_path = "learec.rllib_algos.dpo.torch.dpo_torch_learner:DPOTorchLearner"
    algorithm_path = "learec.rllib_algos.dpo.dpo:DPO"


class DPO(RecRLAlgorithm):
    config_class = DPOConfig
