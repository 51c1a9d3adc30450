"""SNQN loss: CE + w * (TD+ + sum of negative TDs [+ TD of the LE positives])."""

from __future__ import annotations

from typing import Any

import torch

from learec.rllib_algos.common.torch.rec_torch_learner import RecTorchLearner


class SNQNTorchLearner(RecTorchLearner):
    def compute_loss_for_module(
        self, *, module_id: str, config: Any, batch: dict[str, Any], fwd_out: dict[str, Any]
    ) -> torch.Tensor:
        params = config.params
        terms = self.terms(module_id, params, batch, fwd_out)
        loss = (self.supervised(terms, params) + params.q_loss_weight * self.td(terms)).mean()
        self.log_terms(module_id, terms, loss)
        return loss
