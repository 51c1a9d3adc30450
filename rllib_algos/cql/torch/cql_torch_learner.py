"""CQL's loss: SQN's plus alpha * (logsumexp_a Q(s, a) - Q(s, a_logged)) (``cql/params.py``)."""

from __future__ import annotations

from typing import Any

import torch
from ray.rllib.core.columns import Columns

from learec.rllib_algos.common import losses
from learec.rllib_algos.common.torch.rec_rl_module import Q_VALUES
from learec.rllib_algos.common.torch.rec_torch_learner import RecTorchLearner


class CQLTorchLearner(RecTorchLearner):
    def compute_loss_for_module(
        self, *, module_id: str, config: Any, batch: dict[str, Any], fwd_out: dict[str, Any]
    ) -> torch.Tensor:
        p, cql = config.params, config.algo_params
        terms = self.supervised_terms(p, batch, fwd_out)  # CE(a) [+ LEA: sum_g CE(a_g)]
        terms |= self.td_terms(p, batch, fwd_out)  # TD(s, a, r, s') [+ LEA: sum_g TD(s, a_g, r_LE, s)]
        terms["cql"] = losses.conservative_penalty(fwd_out[Q_VALUES], batch[Columns.ACTIONS].long())
        loss = self.supervised(p, terms) + cql.q_loss_weight * (self.td(terms) + cql.alpha * terms["cql"])
        return self.logged(module_id, terms, loss.mean())
