"""SNQN's loss: SQN's plus the TD of N uniform negatives with reward 0 (``snqn/params.py``)."""

from __future__ import annotations

from typing import Any

import torch

from learec.rllib_algos.common.torch.rec_torch_learner import RecTorchLearner


class SNQNTorchLearner(RecTorchLearner):
    def compute_loss_for_module(
        self, *, module_id: str, config: Any, batch: dict[str, Any], fwd_out: dict[str, Any]
    ) -> torch.Tensor:
        p, snqn = config.params, config.algo_params
        terms = self.supervised_terms(p, batch, fwd_out)  # CE(a) [+ LEA: sum_g CE(a_g)]
        terms |= self.td_terms(p, batch, fwd_out)  # TD+ [+ LEA: sum_g TD(s, a_g, r_LE, s)]
        negatives = self.draw_negatives(batch, fwd_out, snqn.n_negatives)  # [B, N]
        terms |= self.negative_td_terms(p, fwd_out, negatives)  # sum_j TD(s, a-_j, 0, s)
        loss = self.supervised(p, terms) + snqn.q_loss_weight * self.td(terms)
        return self.logged(module_id, terms, loss.mean())
