"""``RecRLConfig``: the RLlib AlgorithmConfig of every learec algorithm (offline only).

It holds two frozen dataclasses: ``params`` (:class:`RecRLParams`, shared by every algorithm) and
``algo_params`` (the algorithm's own section, ``params_class``). ``training()`` accepts the fields of
both by name and mirrors ``lr``, ``batch_size``, ``gamma`` and ``grad_clip`` onto RLlib's own
attributes, so there is a single source of truth.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from typing import Any

from ray.rllib.algorithms.algorithm_config import AlgorithmConfig, NotProvided
from ray.rllib.connectors.learner import (
    AddNextObservationsFromEpisodesToTrainBatch,
    AddObservationsFromEpisodesToBatch,
)
from ray.rllib.core.rl_module.rl_module import RLModuleSpec

from learec.platform.common.fields import replace, to_dict
from learec.rllib_algos.common.lea_rewards import LeaRewardScale
from learec.rllib_algos.common.params import AlgoParams, RecRLParams
from learec.rllib_algos.common.torch.rec_rl_module import RecTorchRLModule

SHARED_FIELDS = frozenset(f.name for f in dataclasses.fields(RecRLParams))
RLLIB_TRAINING_ARGS = frozenset(inspect.signature(AlgorithmConfig.training).parameters) - {"self"}


class RecRLConfig(AlgorithmConfig):
    """Offline config; each algorithm's subclass declares its ``params_class``, learner and algorithm."""

    params_class: type[AlgoParams] = AlgoParams
    learner_path = ""  # "module:LearnerClass", imported when RLlib builds the learner
    algorithm_path = ""  # "module:AlgorithmClass", the default ``algo_class``

    def __init__(self, algo_class: type | None = None) -> None:
        super().__init__(algo_class=algo_class or (self.algorithm_path and _load(self.algorithm_path)))
        self._is_online = False  # private in RLlib; without it an EnvRunnerGroup is built (as MARWIL)
        self.params = RecRLParams()
        self.algo_params = self.params_class()
        self.le_state_dim = 0  # width of the le_state column, read from the data by the runner
        # LE positives' rewards -> logged scale (lea_rewards.py), fitted on the data by the runner
        self.lea_reward_scale: LeaRewardScale | None = None
        self.materialize_data = False
        # The connectors are stateless and negatives are drawn in the loss, so mapped rows can be cached.
        self.materialize_mapped_data = True
        self.dataset_num_iters_per_learner = 1
        self._sync_params()

    def training(
        self,
        *,
        params: RecRLParams | Any = NotProvided,
        algo_params: AlgoParams | Any = NotProvided,
        **kwargs: Any,
    ) -> RecRLConfig:
        """RLlib's ``training()`` plus whole ``params``/``algo_params`` or any of their fields by name."""
        own_fields = {f.name for f in dataclasses.fields(self.params_class)}
        shared = {k: kwargs.pop(k) for k in list(kwargs) if k in SHARED_FIELDS}
        own = {k: kwargs.pop(k) for k in list(kwargs) if k in own_fields}
        unknown = sorted(set(kwargs) - RLLIB_TRAINING_ARGS)
        if unknown:
            raise ValueError(
                f"{unknown[0]} is neither a shared field (RecRLParams) nor one of "
                f"{self.params_class.__name__}: {', '.join(sorted(own_fields)) or 'none'}"
            )
        if "train_batch_size_per_learner" in kwargs:
            shared.setdefault("batch_size", kwargs.pop("train_batch_size_per_learner"))
        super().training(**kwargs)
        if params is not NotProvided:
            if not isinstance(params, RecRLParams):
                raise ValueError(f"params must be a RecRLParams, got {type(params).__name__}")
            self.params = params
        if algo_params is not NotProvided:
            if not isinstance(algo_params, self.params_class):
                raise ValueError(
                    f"algo_params must be a {self.params_class.__name__}, got {type(algo_params).__name__}"
                )
            self.algo_params = algo_params
        if shared:
            self.params = replace(self.params, **shared)
        if own:
            self.algo_params = replace(self.algo_params, **own)
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
        if self.num_learners == 0 and not self.dataset_num_iters_per_learner:
            self._value_error("dataset_num_iters_per_learner must be set when num_learners is 0")
        if self.le_state_dim < 0:
            self._value_error(f"le_state_dim must be >= 0, got {self.le_state_dim}")
        lea, constant = self.params.lea_augment_k > 0, self.params.lea_reward_source == "constant"
        if lea and constant and self.params.lea_reward is None:
            self._value_error(
                "lea_augment_k > 0 needs lea_reward (the reward of an LE positive); the run config sets it "
                "to prep.reward_click, set it yourself when building a config in Python"
            )
        if lea and not constant and self.lea_reward_scale is None:
            self._value_error(
                f"lea_reward_source={self.params.lea_reward_source!r} needs lea_reward_scale; the runner "
                "fits it on the labeled transitions (lea_rewards.read_reward_scale), set it when building "
                "a config in Python"
            )
        if self.params.le_state != "none" and self.le_state_dim == 0:
            self._value_error(
                f"le_state={self.params.le_state!r} needs le_state_dim (the width of the le_state column)"
            )

    def get_default_rl_module_spec(self) -> RLModuleSpec:
        return RLModuleSpec(module_class=RecTorchRLModule)

    def get_default_learner_class(self) -> type:
        if not self.learner_path:
            raise ValueError(f"{type(self).__name__} names no learner; use an algorithm's config")
        return _load(self.learner_path)

    @property
    def _model_config_auto_includes(self) -> dict[str, Any]:
        # What the shared RLModule builds follows from the algorithm's section (see AlgoParams).
        return {
            "params": to_dict(self.params),
            "le_state_dim": self.le_state_dim,
            "q_mode": self.algo_params.q_mode,
            "negatives_per_row": self.algo_params.negatives_per_row,
        }

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


def _load(path: str) -> type:
    """The class at ``"module:Name"`` (imported late: an algorithm module imports this one)."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)
