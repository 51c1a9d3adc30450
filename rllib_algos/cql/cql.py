"""CQL's RLlib config and algorithm: declarations only. The fields and the objective are in ``params.py``,
the loss in ``torch/cql_torch_learner.py``; the machinery is in ``common/``."""

from __future__ import annotations

from learec.rllib_algos.common.algorithm import RecRLAlgorithm
from learec.rllib_algos.common.config import RecRLConfig
from learec.rllib_algos.cql.params import CQLParams


class CQLConfig(RecRLConfig):
    params_class = CQLParams
    learner_path = "learec.rllib_algos.cql.torch.cql_torch_learner:CQLTorchLearner"
    algorithm_path = "learec.rllib_algos.cql.cql:CQL"


class CQL(RecRLAlgorithm):
    config_class = CQLConfig
