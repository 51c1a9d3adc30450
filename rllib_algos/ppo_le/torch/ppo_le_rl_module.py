"""The RLModule of PPO in the LE environment: the warm-start policy as the actor, a value head, a frozen
reference copy for the anchor.

- ``actor``: the served network of ``policy_format`` (backbone + CE head), loaded from the warm-start
  policy, so the exported actor is a standard policy and its scores before training equal the warm start's.
- ``reference``: a frozen copy of the warm-start actor (learner only): ``pi_ref`` of the KL anchor.
- ``critic_encoder`` (``value_encoder = separate``; learner only): a copy of the warm-start encoder feeding
  ``value_head``; with ``shared`` the value head reads the actor's encoder state.

Env runners build the inference-only module (the actor alone).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import torch
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.apis import InferenceOnlyAPI, ValueFunctionAPI
from ray.rllib.core.rl_module.torch import TorchRLModule
from torch import nn

from learec.platform.common.fields import from_dict
from learec.rllib_algos.common.backbone_config import BackboneConfig
from learec.rllib_algos.common.heads import lengths_from_pad
from learec.rllib_algos.common.policy_format import read_policy, served_network

REF_LOGITS = "ref_logits"  # [B, N] reference policy's logits, no gradient
WARM_START_KEY, VALUE_ENCODER_KEY = "warm_start", "value_encoder"


class PPOLETorchRLModule(TorchRLModule, ValueFunctionAPI, InferenceOnlyAPI):
    """Observations: left-padded item-id states ``[B, L]`` (pad = ``n_items``); actions: one item."""

    def setup(self) -> None:
        warm = self.model_config.get(WARM_START_KEY)
        if not warm:
            raise ValueError("PPO in the LE environment needs model_config['warm_start']: an exported policy")
        stored = read_policy(Path(warm))
        self.backbone = from_dict(BackboneConfig, stored.config["backbone"], where=f"{warm}: backbone")
        n_items, state_len = int(self.action_space.n), int(self.observation_space.shape[0])
        net = stored.network
        if (net.n_items, net.state_len) != (n_items, state_len):
            raise ValueError(
                f"warm-start policy {warm} scores {net.n_items} items over states of {net.state_len}, the "
                f"LE environment has {n_items} items and states of {state_len}: use a policy trained on "
                "this data"
            )
        self.n_items = n_items
        self.actor = served_network(self.backbone, n_items, state_len)
        self.actor.load_state_dict(net.state_dict())
        self.shared_value = self.model_config.get(VALUE_ENCODER_KEY, "separate") == "shared"
        if self.inference_only:
            return
        self.reference = copy.deepcopy(self.actor).requires_grad_(False).eval()
        self.critic_encoder = None if self.shared_value else copy.deepcopy(self.actor.encoder)
        self.value_head = nn.Linear(self.backbone.hidden, 1)
        nn.init.zeros_(self.value_head.weight)  # V starts at the bias (0): no noise in the first advantages
        nn.init.zeros_(self.value_head.bias)

    def get_non_inference_attributes(self) -> list[str]:
        return ["reference", "critic_encoder", "value_head"]

    def train(self, mode: bool = True) -> PPOLETorchRLModule:
        super().train(mode)
        if getattr(self, "reference", None) is not None:
            self.reference.eval()  # pi_ref is a fixed distribution: no dropout, whatever the mode
        return self

    def _forward(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {Columns.ACTION_DIST_INPUTS: self.actor.scores(batch[Columns.OBS])}

    def _forward_train(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        obs = batch[Columns.OBS]
        z = self.actor.state(obs)  # [B, H]
        out: dict[str, Any] = {Columns.ACTION_DIST_INPUTS: self.actor.ce_head(z)}
        if self.shared_value:
            out[Columns.EMBEDDINGS] = z
        with torch.no_grad():
            out[REF_LOGITS] = self.reference.scores(obs)
        return out

    def compute_values(self, batch: dict[str, Any], embeddings: Any | None = None) -> torch.Tensor:
        """``V(s)``: ``[B]`` (or ``[B, T]``) from the value head."""
        obs = batch[Columns.OBS]
        if self.shared_value:
            z = embeddings if embeddings is not None else self.actor.state(obs)
        else:
            seq = obs.long()
            flat = seq.reshape(-1, seq.shape[-1])
            z = self.critic_encoder(flat, lengths_from_pad(flat, self.n_items)).reshape(*seq.shape[:-1], -1)
        return self.value_head(z).squeeze(-1)
