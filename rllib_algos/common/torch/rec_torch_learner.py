"""The torch Learner every learec algorithm builds on: the shared machinery, no objective.

It owns the double-Q coin flip (or the Polyak target), the negatives generator, the LE hooks and the
logging of named terms. Each algorithm's learner (``<algo>/torch/<algo>_torch_learner.py``) writes its
objective in ``compute_loss_for_module`` by composing the per-row terms (``[B]``) that
:meth:`supervised_terms`, :meth:`td_terms` and :meth:`negative_td_terms` return from ``losses.*``.
"""

from __future__ import annotations

import logging
from typing import Any

import torch
from ray.rllib.core.columns import Columns
from ray.rllib.core.learner.torch.torch_learner import TorchLearner

from learec.platform.data.schema import LE_POS_ACTIONS, LE_POS_REWARDS, LE_REWARD
from learec.rllib_algos.common import losses
from learec.rllib_algos.common.params import AlgoParams, QLearningParams, RecRLParams
from learec.rllib_algos.common.torch.rec_rl_module import (
    Q_NEXT_MAIN,
    Q_NEXT_TGT,
    Q_NOW_MAIN,
    Q_NOW_TGT,
    Q_VALUES,
    RecTorchRLModule,
)

log = logging.getLogger(__name__)

Terms = dict[str, torch.Tensor]  # name -> per-row loss term [B], logged as loss/<name>


class RecTorchLearner(TorchLearner):
    """Draws the double-Q coin flip and the negatives from ``torch.Generator`` s seeded by ``config.seed``.

    The coin flip generator has the same seed on every learner, so with several (DDP) learners all
    replicas pick the same learning network for each batch; negatives use a per-learner seed.
    """

    def build(self) -> None:
        super().build()
        seed = int(self.config.seed or 0)
        self.coin = torch.Generator().manual_seed(seed)
        self.negatives_rng = torch.Generator(device=self._device or "cpu").manual_seed(
            seed + 1 + int(self._learner_index)
        )
        self.num_updates = 0  # gradient steps taken by this learner (SA2C's warm-up clock)
        self._frozen: set[Any] = set()  # parameter refs of the network that sits out this batch

    def configure_optimizers_for_module(self, module_id: str, config: Any = None) -> None:
        # One Adam over both networks: Adam keeps per-parameter state and skips parameters without a
        # gradient, so this equals SQN's one optimizer per network. The learner sets the lr itself
        # (SA2C drops it after warm-up), hence no RLlib lr schedule.
        params = self.get_parameters(self.module[module_id])
        optimizer = torch.optim.Adam(params, lr=self.rec_params(module_id).lr)
        self.register_optimizer(module_id=module_id, optimizer=optimizer, params=params)

    def rec_module(self, module_id: str) -> RecTorchRLModule:
        return self.module[module_id].unwrapped()

    def rec_params(self, module_id: str) -> RecRLParams:
        return self.config.get_config_for_module(module_id).params

    def algo_params(self, module_id: str) -> AlgoParams:
        return self.config.get_config_for_module(module_id).algo_params

    def _update(self, batch: dict[str, Any]) -> Any:
        self._frozen = set()
        for module_id in self.module.keys():  # noqa: SIM118 (MultiRLModule has keys(), no __iter__)
            module = self.rec_module(module_id)
            if module.q_mode == "double":
                module.main_index = int(torch.randint(0, 2, (1,), generator=self.coin))
                _, target = module.networks()
                self._frozen |= {self.get_param_ref(p) for p in target.parameters()}
        out = super()._update(batch)
        self.num_updates += 1
        for module_id in self.module.keys():  # noqa: SIM118 (MultiRLModule has keys(), no __iter__)
            module, own = self.rec_module(module_id), self.algo_params(module_id)
            if module.q_mode == "polyak" and isinstance(own, QLearningParams):
                module.polyak_update(own.tau)
            self.after_update(module_id)
        return out

    def after_update(self, module_id: str) -> None:
        """Called after each gradient step (``num_updates`` already counts it); SA2C drops its lr here."""

    def set_lr(self, module_id: str, lr: float) -> None:
        for _, optimizer in self.get_optimizers_for_module(module_id):
            self._set_optimizer_lr(optimizer, lr)
        log.info("module %s: lr %g", module_id, lr)

    def compute_gradients(self, loss_per_module: dict[str, Any], **kwargs: Any) -> dict[Any, Any]:
        grads = super().compute_gradients(loss_per_module, **kwargs)
        # The target network of this batch must not move (not even by Adam's momentum on zero grads,
        # which DDP may hand back for unused parameters): drop its gradients so Adam skips it.
        kept = {}
        for ref, grad in grads.items():
            if ref in self._frozen or grad is None:
                self._params[ref].grad = None
            else:
                kept[ref] = grad
        return kept

    # the terms an objective composes -------------------------------------------------------------------
    def supervised_terms(self, params: RecRLParams, batch: dict[str, Any], fwd_out: dict[str, Any]) -> Terms:
        """``ce`` of the logged action and, with LE positives, ``lea_ce`` (their summed CE)."""
        logits = fwd_out[Columns.ACTION_DIST_INPUTS]  # [B, N]
        terms = {"ce": losses.ce(logits, batch[Columns.ACTIONS].long())}
        if params.lea_augment_k > 0:
            terms["lea_ce"] = losses.lea_ce(logits, self._le_positives(params, batch))
        return terms

    def td_terms(self, params: RecRLParams, batch: dict[str, Any], fwd_out: dict[str, Any]) -> Terms:
        """``td_pos`` of the logged transition (double-Q target, LE-shaped reward) and, with LE positives,
        ``lea_td`` (their TD transitions bootstrapping from ``s_t``, rewarded per ``lea_reward_source``)."""
        actions = batch[Columns.ACTIONS].long()  # [B]
        q = fwd_out[Q_VALUES]  # [B, N]
        terms = {}
        if params.lea_augment_k > 0:
            positives = self._le_positives(params, batch)
            terms["lea_td"] = losses.negative_td(
                q,
                positives,
                fwd_out[Q_NOW_MAIN],
                fwd_out[Q_NOW_TGT],
                params.gamma,
                self._lea_rewards(params, batch),
            )
        le_reward = self._column(batch, LE_REWARD, "le_reward") if params.le_reward != "none" else None
        reward = losses.shaped_reward(
            batch[Columns.REWARDS].float(), le_reward, params.le_reward, params.shape_coeff
        )
        q_sa = q.gather(-1, actions[:, None]).squeeze(-1)
        terms["td_pos"] = losses.double_q_td(
            q_sa, fwd_out[Q_NEXT_MAIN], fwd_out[Q_NEXT_TGT], reward, batch[Columns.TERMINATEDS], params.gamma
        )
        return terms

    def draw_negatives(self, batch: dict[str, Any], fwd_out: dict[str, Any], n: int) -> torch.Tensor:
        """``n`` uniform negatives per row from this learner's generator; ``-> [B, n]``."""
        n_items = fwd_out[Columns.ACTION_DIST_INPUTS].shape[-1]
        return losses.sample_negatives(batch[Columns.ACTIONS].long(), n, n_items, self.negatives_rng)

    @staticmethod
    def negative_td_terms(params: RecRLParams, fwd_out: dict[str, Any], negatives: torch.Tensor) -> Terms:
        """``td_neg``: SNQN's TD of the negatives (reward 0, bootstrapping from ``s_t``), summed per row."""
        return {
            "td_neg": losses.negative_td(
                fwd_out[Q_VALUES], negatives, fwd_out[Q_NOW_MAIN], fwd_out[Q_NOW_TGT], params.gamma
            )
        }

    @staticmethod
    def supervised(params: RecRLParams, terms: Terms) -> torch.Tensor:
        """``CE(a) + beta * sum_g CE(a_g)`` per row (the LEA term only when augmenting)."""
        if "lea_ce" in terms:
            return terms["ce"] + params.lea_ce_weight * terms["lea_ce"]
        return terms["ce"]

    @staticmethod
    def td(terms: Terms) -> torch.Tensor:
        """``TD+ [+ sum TD-] [+ sum_g TD(a_g)]`` per row: the TD terms present."""
        return sum((terms[name] for name in ("td_pos", "td_neg", "lea_td") if name in terms), 0.0)

    def logged(self, module_id: str, terms: Terms, loss: torch.Tensor) -> torch.Tensor:
        """Log the batch means of ``terms`` as ``loss/<name>`` and ``loss`` as ``loss/total``; return it."""
        means = {f"loss/{k}": v.detach().float().mean() for k, v in terms.items()}
        means["loss/total"] = loss.detach()
        self.metrics.log_dict(means, key=module_id, window=1)
        return loss

    def get_state(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        state = super().get_state(*args, **kwargs)
        state["num_updates"] = self.num_updates  # SA2C's warm-up clock survives a restore
        # The dice survive too (coin flip, negatives, dropout), so a restored run draws what an
        # uninterrupted one would have drawn next.
        state["rng"] = {
            "coin": self.coin.get_state().numpy(),
            "negatives": self.negatives_rng.get_state().numpy(),
            "torch": torch.get_rng_state().numpy(),
        }
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self.num_updates = int(state.get("num_updates", self.num_updates))
        rng = state.get("rng")
        if rng:  # checkpoints written before the dice were saved restore without them
            self.coin.set_state(torch.as_tensor(rng["coin"], dtype=torch.uint8))
            self.negatives_rng.set_state(torch.as_tensor(rng["negatives"], dtype=torch.uint8))
            torch.set_rng_state(torch.as_tensor(rng["torch"], dtype=torch.uint8))

    def _le_positives(self, params: RecRLParams, batch: dict[str, Any]) -> torch.Tensor:
        positives = self._column(batch, LE_POS_ACTIONS, "lea_augment_k").long()
        return losses.lea_targets(positives, params.lea_augment_k)  # [B, k]

    def _lea_rewards(self, params: RecRLParams, batch: dict[str, Any]) -> torch.Tensor | float:
        """The TD reward of each LE positive: ``lea_reward``, or its own LE reward on the logged scale."""
        if params.lea_reward_source == "constant":
            return params.lea_reward
        z = self._column(batch, LE_POS_REWARDS, "lea_reward_source").float()
        scale = self.config.lea_reward_scale
        z = losses.lea_targets(z, params.lea_augment_k)  # [B, k], aligned with the positives
        return losses.lea_le_rewards(z, params.lea_reward_source, scale.offset, scale.slope, scale.high)

    @staticmethod
    def _column(batch: dict[str, Any], name: str, switch: str) -> torch.Tensor:
        if name not in batch:
            raise ValueError(
                f"{switch} needs the {name!r} column; train on labeled transitions (learec label) "
                f"or switch {switch} off"
            )
        return batch[name]
