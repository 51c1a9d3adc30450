"""DPO's loss (``dpo/params.py`` gives the objective) and its frozen reference policy.

The reference is read from an exported policy folder in :meth:`DPOTorchLearner.build`: a plain attribute of
the learner, not of the RLModule, so it is never in the optimiser, the checkpoint or the export; it runs in
eval mode without gradient. The policy (network 1's backbone + CE head) starts from its weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from ray.rllib.core.columns import Columns

from learec.platform.common.fields import from_dict
from learec.platform.data.schema import LE_POS_ACTIONS
from learec.rllib_algos.common import losses
from learec.rllib_algos.common.backbone_config import BackboneConfig
from learec.rllib_algos.common.heads import RecNetwork
from learec.rllib_algos.common.policy_format import read_policy
from learec.rllib_algos.common.torch.rec_torch_learner import RecTorchLearner


class DPOTorchLearner(RecTorchLearner):
    def build(self) -> None:
        super().build()
        self.references: dict[str, RecNetwork] = {}
        for module_id in self.module.keys():  # noqa: SIM118 (MultiRLModule has keys(), no __iter__)
            reference = self._load_reference(module_id)
            self.rec_module(module_id).net1.load_state_dict(reference.state_dict())
            self.references[module_id] = reference

    def compute_loss_for_module(
        self, *, module_id: str, config: Any, batch: dict[str, Any], fwd_out: dict[str, Any]
    ) -> torch.Tensor:
        p, dpo = config.params, config.algo_params
        logits = fwd_out[Columns.ACTION_DIST_INPUTS]  # [B, N]
        with torch.no_grad():
            ref_logits = self.references[module_id].scores(batch[Columns.OBS])  # [B, N]
        won, lost = self._pair(dpo.le_pairs(p.lea_augment_k), batch, logits.shape[-1])
        logp = (losses.log_probs(logits, won), losses.log_probs(logits, lost))
        ref_logp = (losses.log_probs(ref_logits, won), losses.log_probs(ref_logits, lost))
        margin = losses.dpo_margin(*logp, *ref_logp, dpo.beta).detach()
        terms = {
            "dpo": losses.dpo(*logp, *ref_logp, dpo.beta),
            "ce": losses.ce(logits, batch[Columns.ACTIONS].long()),  # the anchor (weight ce_weight)
            "reward_margin": margin,  # diagnostics, not in the loss
            "pref_accuracy": (margin > 0).float(),
        }
        loss = terms["dpo"] + dpo.ce_weight * terms["ce"]
        return self.logged(module_id, terms, loss.mean())

    def _pair(self, le_pairs: bool, batch: dict[str, Any], n_items: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(preferred ``[B]``, dispreferred ``[B]``) items of each row (``dpo/params.py``, ``pairs``)."""
        actions = batch[Columns.ACTIONS].long()
        if le_pairs:
            positives = self._column(batch, LE_POS_ACTIONS, "train.dpo.pairs").long()  # [B, K], best first
            excluded = losses.item_mask(n_items, batch[Columns.OBS], positives, actions[:, None])
            return positives[:, 0], losses.sample_outside(excluded, self.negatives_rng)
        excluded = losses.item_mask(n_items, actions[:, None])
        return actions, losses.sample_outside(excluded, self.negatives_rng)

    def _load_reference(self, module_id: str) -> RecNetwork:
        """The frozen reference: checked to be the same network as the policy (it starts from its weights)."""
        path = Path(self.algo_params(module_id).reference_dir())
        stored = read_policy(path)
        module, backbone = self.rec_module(module_id), self.rec_params(module_id).backbone
        theirs = from_dict(BackboneConfig, stored.config["backbone"], where=f"{path}/config.json: backbone")
        shape = (stored.network.n_items, stored.network.state_len)
        if theirs != backbone or shape != (module.n_items, module.state_len):
            raise ValueError(
                f"{path}: the reference policy ({theirs.name}, hidden {theirs.hidden}, {shape[0]} items, "
                f"states of {shape[1]}) is not the network DPO trains ({backbone.name}, hidden "
                f"{backbone.hidden}, {module.n_items} items, states of {module.state_len}); DPO starts from "
                "the reference's weights, so give train.params.backbone the reference's settings"
            )
        return stored.network.to(self._device or "cpu").eval().requires_grad_(False)
