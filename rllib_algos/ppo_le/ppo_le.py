"""RLlib's PPO config for the LE environment: declarations and the one place ``PPOLEParams`` become RLlib
settings. The objective is in ``params.py``, the module and the anchor term in ``torch/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.core.rl_module.rl_module import RLModuleSpec

from learec.rllib_algos.ppo_le.params import PPOLEParams
from learec.rllib_algos.ppo_le.torch.ppo_le_rl_module import (
    VALUE_ENCODER_KEY,
    WARM_START_KEY,
    PPOLETorchRLModule,
)


class PPOLEConfig(PPOConfig):
    """PPO with the learec module and learner; ``anchor_weight`` is the KL anchor's beta."""

    def __init__(self, algo_class: type | None = None) -> None:
        super().__init__(algo_class=algo_class)
        self.anchor_weight = 0.1

    def get_default_learner_class(self) -> type:
        from learec.rllib_algos.ppo_le.torch.ppo_le_torch_learner import PPOLETorchLearner

        return PPOLETorchLearner

    def validate(self) -> None:
        super().validate()
        if self.anchor_weight < 0:
            self._value_error(f"anchor_weight must be >= 0, got {self.anchor_weight}")


def build_config(
    params: PPOLEParams, env_name: str, env_config: dict[str, Any], warm_start: Path
) -> PPOLEConfig:
    """The RLlib config of ``params`` in the registered LE environment ``env_name``."""
    config = (
        PPOLEConfig()
        .environment(env_name, env_config=env_config)
        .env_runners(
            num_env_runners=params.num_env_runners,
            num_envs_per_env_runner=params.envs_per_runner,
            gym_env_vectorize_mode="vector_entry_point",  # one batched LE pass per step for all sessions
            num_cpus_per_env_runner=params.cpus_per_env_runner,
            rollout_fragment_length="auto",
        )
        .learners(num_learners=0)
        .training(
            lr=params.lr,
            gamma=params.gamma,
            lambda_=params.gae_lambda,
            clip_param=params.clip_param,
            vf_loss_coeff=params.vf_loss_coeff,
            entropy_coeff=params.entropy_coeff,
            grad_clip=params.grad_clip or None,
            use_kl_loss=False,  # PPO's own KL is to the previous policy; the anchor replaces it
            num_epochs=params.num_epochs,
            minibatch_size=params.minibatch_size,
            train_batch_size_per_learner=params.train_batch_size,
        )
        .rl_module(
            rl_module_spec=RLModuleSpec(
                module_class=PPOLETorchRLModule,
                model_config={
                    WARM_START_KEY: str(Path(warm_start).resolve()),
                    VALUE_ENCODER_KEY: params.value_encoder,
                },
            )
        )
        .debugging(seed=params.seed)
        .reporting(min_time_s_per_iteration=0, min_sample_timesteps_per_iteration=0)
    )
    config.anchor_weight = params.anchor_weight
    return config
