"""CE's loss: the supervised term alone (``ce/params.py`` gives the objective)."""

from __future__ import annotations

from typing import Any

import torch

from learec.rllib_algos.common.torch.rec_torch_learner import RecTorchLearner


class CETorchLearner(RecTorchLearner):
    def compute_loss_for_module(
        self, *, module_id: str, config: Any, batch: dict[str, Any], fwd_out: dict[str, Any]
    ) -> torch.Tensor:
        p = config.params
        terms = self.supervised_terms(p, batch, fwd_out)  # CE(a) [+ LEA: sum_g CE(a_g)]
        return self.logged(module_id, terms, self.supervised(p, terms).mean())
