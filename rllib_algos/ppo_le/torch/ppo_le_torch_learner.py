"""PPO's learner plus the anchor: ``L_PPO + anchor_weight * KL(pi || pi_ref)`` (the objective: params.py)."""

from __future__ import annotations

from typing import Any

import torch
from ray.rllib.algorithms.ppo.torch.ppo_torch_learner import PPOTorchLearner
from ray.rllib.core.columns import Columns

from learec.rllib_algos.common import losses
from learec.rllib_algos.ppo_le.torch.ppo_le_rl_module import REF_LOGITS

ANCHOR_KL = "loss/anchor_kl"


class PPOLETorchLearner(PPOTorchLearner):
    def compute_loss_for_module(
        self, *, module_id: str, config: Any, batch: dict[str, Any], fwd_out: dict[str, Any]
    ) -> torch.Tensor:
        ppo = super().compute_loss_for_module(
            module_id=module_id, config=config, batch=batch, fwd_out=fwd_out
        )
        kl = losses.kl_to_reference(fwd_out[Columns.ACTION_DIST_INPUTS], fwd_out[REF_LOGITS])  # [B]
        if Columns.LOSS_MASK in batch:  # PPO's extra bootstrap step per episode is masked out
            mask = batch[Columns.LOSS_MASK]
            anchor = kl[mask].sum() / mask.sum().clamp(min=1)
        else:
            anchor = kl.mean()
        self.metrics.log_value((module_id, ANCHOR_KL), anchor.detach(), window=1)
        return ppo + config.anchor_weight * anchor
