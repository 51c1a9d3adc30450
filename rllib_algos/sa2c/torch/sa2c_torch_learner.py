"""SA2C loss: SNQN until warm-up, then the CE rows weighted by the clipped advantage."""

from __future__ import annotations

from typing import Any

import torch
from ray.rllib.core.columns import Columns

from learec.rllib_algos.common import losses
from learec.rllib_algos.common.torch.rec_rl_module import Q_VALUES
from learec.rllib_algos.common.torch.rec_torch_learner import NEGATIVES, RecTorchLearner


class SA2CTorchLearner(RecTorchLearner):
    def compute_loss_for_module(
        self, *, module_id: str, config: Any, batch: dict[str, Any], fwd_out: dict[str, Any]
    ) -> torch.Tensor:
        params = config.params
        terms = self.terms(module_id, params, batch, fwd_out)
        td = self.td(terms)
        if self.num_updates >= params.warmup_steps:
            adv = losses.advantage(
                fwd_out[Q_VALUES],
                batch[Columns.ACTIONS].long(),
                terms[NEGATIVES],
                params.advantage_min,
                params.advantage_max,
            )
            terms["advantage"] = adv
            actor = adv * terms["ce"]
            if "lea_ce" in terms:
                actor = actor + params.lea_ce_weight * terms["lea_ce"]
        else:
            actor = self.supervised(terms, params)
        loss = (actor + params.q_loss_weight * td).mean()
        self.log_terms(module_id, terms, loss)
        return loss
