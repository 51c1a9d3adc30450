"""The RLModule of every learec algorithm: one or two :class:`RecNetwork` s over item-id states.

``net1`` is always built and its CE head is the served policy. With a Q head (``q_mode`` of the
algorithm's section not ``none``) ``net2`` is a second, full network: in ``double`` mode both learn and
a coin flip per batch (drawn by the learner and written to :attr:`RecTorchRLModule.main_index`) picks
the one that gets the gradient and the one that evaluates the target (SQN's public code); in ``polyak``
mode ``net2`` is a Polyak copy of ``net1``. The Q heads, ``net2`` and the LE fusion are non-inference:
serving needs only the CE head.
"""

from __future__ import annotations

from typing import Any

import torch
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.apis import InferenceOnlyAPI
from ray.rllib.core.rl_module.torch import TorchRLModule

from learec.platform.common.fields import from_dict
from learec.platform.data.schema import LE_STATE
from learec.rllib_algos.common.heads import RecNetwork
from learec.rllib_algos.common.params import RecRLParams

Q_VALUES = "q_values"  # [B, N] learning network's Q(s, .), with gradient
Q_NEXT_MAIN = "q_next_main"  # [B, N] learning network's Q(s', .), no gradient (selects a*)
Q_NEXT_TGT = "q_next_tgt"  # [B, N] target network's Q(s', .), no gradient (evaluates a*)
Q_NOW_MAIN = "q_now_main"  # [B, N] learning network's Q(s, .), no gradient (extra actions bootstrap)
Q_NOW_TGT = "q_now_tgt"  # [B, N] target network's Q(s, .), no gradient


def params_from_model_config(model_config: dict[str, Any]) -> RecRLParams:
    raw = model_config.get("params")
    if raw is None:
        raise ValueError("model_config lacks 'params'; build the module through a RecRLConfig")
    return raw if isinstance(raw, RecRLParams) else from_dict(RecRLParams, raw, where="model_config.params")


class RecTorchRLModule(TorchRLModule, InferenceOnlyAPI):
    """Observations are left-padded item-id states ``[B, L]`` (pad id = ``n_items``), actions items."""

    def setup(self) -> None:
        self.params = params_from_model_config(self.model_config)
        self.n_items = int(self.action_space.n)
        self.state_len = int(self.observation_space.shape[0])
        le_state_dim = int(self.model_config.get("le_state_dim", 0))
        self.q_mode = self.model_config.get("q_mode", "none")
        # Negatives and LE positives bootstrap from the current state: the target's Q(s_t) is needed.
        self.bootstraps_now = (
            self.model_config.get("negatives_per_row", 0) > 0 or self.params.lea_augment_k > 0
        )
        with_q = self.q_mode != "none" and not self.inference_only
        net_kwargs = {"with_q": with_q, "le_state": self.params.le_state, "le_state_dim": le_state_dim}
        self.net1 = RecNetwork(self.params.backbone, self.n_items, self.state_len, **net_kwargs)
        self.net2 = None
        if with_q:
            self.net2 = RecNetwork(self.params.backbone, self.n_items, self.state_len, **net_kwargs)
            if self.q_mode == "polyak":  # a Polyak target starts as an exact copy
                self.net2.load_state_dict(self.net1.state_dict())
                self.net2.requires_grad_(False)
        self.main_index = 0  # set by the learner before each update; 0 -> net1 learns

    def get_non_inference_attributes(self) -> list[str]:
        return ["net2", "net1.q_head", "net1.fusion"]

    def networks(self) -> tuple[RecNetwork, RecNetwork | None]:
        """``(learning, target)`` networks for the current batch."""
        if self.net2 is None or self.main_index == 0:
            return self.net1, self.net2
        return self.net2, self.net1

    def _forward(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {Columns.ACTION_DIST_INPUTS: self.net1.scores(batch[Columns.OBS])}

    def _forward_train(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        main, tgt = self.networks()
        obs = batch[Columns.OBS]  # [B, L]
        le = batch.get(LE_STATE) if self.params.le_state != "none" else None
        out = main(obs, le)
        result: dict[str, Any] = {Columns.ACTION_DIST_INPUTS: out.logits}
        if tgt is None:
            return result
        result[Q_VALUES] = out.q
        with torch.no_grad():
            nxt = batch[Columns.NEXT_OBS]
            # The next state's LE embedding is not in the labels: s_t's stands in for s_{t+1}.
            result[Q_NEXT_MAIN] = main(nxt, le, with_logits=False).q
            if self.bootstraps_now:
                b = obs.shape[0]
                both = torch.cat([obs, nxt], dim=0)
                le2 = torch.cat([le, le], dim=0) if le is not None else None
                q_t = tgt(both, le2, with_logits=False).q
                result[Q_NOW_TGT], result[Q_NEXT_TGT] = q_t[:b], q_t[b:]
                result[Q_NOW_MAIN] = out.q.detach()
            else:
                result[Q_NEXT_TGT] = tgt(nxt, le, with_logits=False).q
        return result

    @torch.no_grad()
    def polyak_update(self, tau: float) -> None:
        """``net2 <- tau * net1 + (1 - tau) * net2`` (``polyak`` mode only)."""
        for p_tgt, p in zip(self.net2.parameters(), self.net1.parameters(), strict=True):
            p_tgt.mul_(1.0 - tau).add_(p, alpha=tau)
