"""SA2C's loss: SNQN's until warm-up, then the CE rows weighted by the clipped advantage
(``sa2c/params.py`` gives the objective); the lr drops to ``lr_after_warmup`` when warm-up ends."""

from __future__ import annotations

from typing import Any

import torch
from ray.rllib.core.columns import Columns

from learec.rllib_algos.common import losses
from learec.rllib_algos.common.torch.rec_rl_module import Q_VALUES
from learec.rllib_algos.common.torch.rec_torch_learner import RecTorchLearner


class SA2CTorchLearner(RecTorchLearner):
    def compute_loss_for_module(
        self, *, module_id: str, config: Any, batch: dict[str, Any], fwd_out: dict[str, Any]
    ) -> torch.Tensor:
        p, sa2c = config.params, config.algo_params
        terms = self.supervised_terms(p, batch, fwd_out)  # CE(a) [+ LEA: sum_g CE(a_g)]
        terms |= self.td_terms(p, batch, fwd_out)  # TD+ [+ LEA: sum_g TD(s, a_g, r_LE, s)]
        negatives = self.draw_negatives(batch, fwd_out, sa2c.n_negatives)  # [B, N]
        terms |= self.negative_td_terms(p, fwd_out, negatives)  # sum_j TD(s, a-_j, 0, s)
        actor = terms
        if self.num_updates >= sa2c.warmup_steps:
            actions = batch[Columns.ACTIONS].long()
            terms["advantage"] = losses.advantage(
                fwd_out[Q_VALUES], actions, negatives, sa2c.advantage_min, sa2c.advantage_max
            )
            actor = {**terms, "ce": terms["advantage"] * terms["ce"]}  # A * CE(a); LEA terms unweighted
        loss = self.supervised(p, actor) + sa2c.q_loss_weight * self.td(terms)
        return self.logged(module_id, terms, loss.mean())

    def after_update(self, module_id: str) -> None:
        sa2c = self.algo_params(module_id)
        if sa2c.lr_after_warmup > 0 and self.num_updates == sa2c.warmup_steps:
            self.set_lr(module_id, sa2c.lr_after_warmup)
