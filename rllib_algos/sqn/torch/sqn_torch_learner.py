"""SQN's loss: CE + w * TD of the logged transition (``sqn/params.py`` gives the objective)."""

from __future__ import annotations

from typing import Any

import torch

from learec.rllib_algos.common.torch.rec_torch_learner import RecTorchLearner


class SQNTorchLearner(RecTorchLearner):
    def compute_loss_for_module(
        self, *, module_id: str, config: Any, batch: dict[str, Any], fwd_out: dict[str, Any]
    ) -> torch.Tensor:
        p, sqn = config.params, config.algo_params
        terms = self.supervised_terms(p, batch, fwd_out)  # CE(a) [+ LEA: sum_g CE(a_g)]
        terms |= self.td_terms(p, batch, fwd_out)  # TD(s, a, r, s') [+ LEA: sum_g TD(s, a_g, r_LE, s)]
        loss = self.supervised(p, terms) + sqn.q_loss_weight * self.td(terms)
        return self.logged(module_id, terms, loss.mean())
