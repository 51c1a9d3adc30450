"""``RecRLConfig``: the RLlib AlgorithmConfig of every learec algorithm (offline only).

The hyper-parameters live in one frozen :class:`RecRLParams` (``config.params``); ``training()``
accepts its fields by name and mirrors ``lr``, ``batch_size``, ``gamma`` and ``grad_clip`` onto
RLlib's own attributes, so there is a single source of truth.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ray.rllib.algorithms.algorithm_config import AlgorithmConfig, NotProvided
from ray.rllib.connectors.learner import (
    AddNextObservationsFromEpisodesToTrainBatch,
    AddObservationsFromEpisodesToBatch,
)
from ray.rllib.core.rl_module.rl_module import RLModuleSpec

from learec.platform.common.fields import replace, to_dict
from learec.rllib_algos.common.params import RecRLParams
from learec.rllib_algos.common.torch.rec_rl_module import RecTorchRLModule

PARAM_FIELDS = frozenset(f.name for f in dataclasses.fields(RecRLParams))


class RecRLConfig(AlgorithmConfig):
    """Offline config; subclasses set ``algo_class``, ``learner_class`` and their default params."""

    learner_class_default: type | None = None  # set by each algorithm's config

    def __init__(self, algo_class: type | None = None, params: RecRLParams | None = None) -> None:
        super().__init__(algo_class=algo_class)
        self._is_online = False  # private in RLlib; without it an EnvRunnerGroup is built (as MARWIL)
        # The algorithm's own defaults fill every field a user's params leave at None.
        self.default_params = params or RecRLParams.algorithm_defaults()
        self.params = self.default_params
        self.le_state_dim = 0  # width of the le_state column, read from the data by the runner
        self.materialize_data = False
        # The connectors are stateless and negatives are drawn in the loss, so mapped rows can be cached.
        self.materialize_mapped_data = True
        self.dataset_num_iters_per_learner = 1
        self._sync_params()

    def training(self, *, params: RecRLParams | Any = NotProvided, **kwargs: Any) -> RecRLConfig:
        """RLlib's ``training()`` plus every :class:`RecRLParams` field (or a whole ``params``)."""
        ours = {k: kwargs.pop(k) for k in list(kwargs) if k in PARAM_FIELDS}
        if "train_batch_size_per_learner" in kwargs:
            ours.setdefault("batch_size", kwargs.pop("train_batch_size_per_learner"))
        super().training(**kwargs)
        if params is not NotProvided:
            if not isinstance(params, RecRLParams):
                raise ValueError(f"params must be a RecRLParams, got {type(params).__name__}")
            self.params = params.with_defaults(self.default_params)
        if ours:
            self.params = replace(self.params, **ours).with_defaults(self.default_params)
        self._sync_params()
        return self

    def _sync_params(self) -> None:
        p = self.params
        self.lr = p.lr
        self.train_batch_size_per_learner = p.batch_size
        self.gamma = p.gamma
        self.grad_clip = p.grad_clip or None
        # The network that sits out a batch (and CE's unused Q head) has no gradient under DDP.
        self.torch_ddp_kwargs = {**self.torch_ddp_kwargs, "find_unused_parameters": True}

    def validate(self) -> None:
        super().validate()
        self.params.validate()
        if not self.params.resolved:
            self._value_error("params has unset algorithm-specific fields; pass them through training()")
        if self.num_learners == 0 and not self.dataset_num_iters_per_learner:
            self._value_error("dataset_num_iters_per_learner must be set when num_learners is 0")
        if self.le_state_dim < 0:
            self._value_error(f"le_state_dim must be >= 0, got {self.le_state_dim}")
        if self.params.le_state != "none" and self.le_state_dim == 0:
            self._value_error(
                f"le_state={self.params.le_state!r} needs le_state_dim (the width of the le_state column)"
            )

    def get_default_rl_module_spec(self) -> RLModuleSpec:
        return RLModuleSpec(module_class=RecTorchRLModule)

    def get_default_learner_class(self) -> type:
        if self.learner_class_default is None:
            raise ValueError(f"{type(self).__name__} names no learner; use an algorithm's config")
        return self.learner_class_default

    @property
    def _model_config_auto_includes(self) -> dict[str, Any]:
        return {"params": to_dict(self.params), "le_state_dim": self.le_state_dim}

    def build_learner_connector(self, input_observation_space, input_action_space, device=None):
        pipeline = super().build_learner_connector(
            input_observation_space=input_observation_space,
            input_action_space=input_action_space,
            device=device,
        )
        # NEXT_OBS is added here (as CQL/MARWIL do), not in the learner (ray-project/ray#47000).
        pipeline.insert_after(
            AddObservationsFromEpisodesToBatch, AddNextObservationsFromEpisodesToTrainBatch()
        )
        return pipeline
