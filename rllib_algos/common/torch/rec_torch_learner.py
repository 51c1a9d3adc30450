"""The torch Learner shared by all learec algorithms: coin flip, negatives, LE hooks, named terms.

The default loss, ``mean(supervised + w * TD)``, is CE's, SQN's and SNQN's (they differ only in their
params: CE has ``w = 0`` and no Q head, SNQN draws negatives); an algorithm whose loss has another shape
(SA2C) overrides ``compute_loss_for_module``, composing the per-row terms that
:meth:`RecTorchLearner.terms` returns (``ce``, ``td_pos``, ``td_neg``, ``lea_ce``, ``lea_td``).
"""

from __future__ import annotations

import logging
from typing import Any

import torch
from ray.rllib.core.columns import Columns
from ray.rllib.core.learner.torch.torch_learner import TorchLearner

from learec.platform.data.schema import LE_POS_ACTIONS, LE_REWARD
from learec.rllib_algos.common import losses
from learec.rllib_algos.common.params import RecRLParams
from learec.rllib_algos.common.torch.rec_rl_module import (
    Q_NEXT_MAIN,
    Q_NEXT_TGT,
    Q_NOW_MAIN,
    Q_NOW_TGT,
    Q_VALUES,
    RecTorchRLModule,
)

log = logging.getLogger(__name__)

NEGATIVES = "negatives"  # [B, n] the negatives drawn for this batch (SA2C's advantage reuses them)


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

    def _update(self, batch: dict[str, Any]) -> Any:
        self._frozen = set()
        for module_id in self.module.keys():  # noqa: SIM118 (MultiRLModule has keys(), no __iter__)
            module, params = self.rec_module(module_id), self.rec_params(module_id)
            if module.net2 is None:
                continue
            if params.double_q:
                module.main_index = int(torch.randint(0, 2, (1,), generator=self.coin))
                _, target = module.networks()
                self._frozen |= {self.get_param_ref(p) for p in target.parameters()}
        out = super()._update(batch)
        self.num_updates += 1
        for module_id in self.module.keys():  # noqa: SIM118 (MultiRLModule has keys(), no __iter__)
            module, params = self.rec_module(module_id), self.rec_params(module_id)
            if module.net2 is not None and not params.double_q:
                module.polyak_update(params.tau)
            if params.lr_after_warmup > 0 and self.num_updates == params.warmup_steps:
                for optimizer in self.get_optimizers_for_module(module_id):
                    self._set_optimizer_lr(optimizer[1], params.lr_after_warmup)
                log.info("module %s: warm-up over, lr %g", module_id, params.lr_after_warmup)
        return out

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

    def terms(
        self, module_id: str, params: RecRLParams, batch: dict[str, Any], fwd_out: dict[str, Any]
    ) -> dict[str, torch.Tensor]:
        """Per-row loss terms ``[B]`` this module's params ask for, plus ``negatives`` ``[B, n]``."""
        actions = batch[Columns.ACTIONS].long()  # [B]
        logits = fwd_out[Columns.ACTION_DIST_INPUTS]  # [B, N]
        out = {"ce": losses.ce(logits, actions)}
        q = fwd_out.get(Q_VALUES)
        k = params.lea_augment_k
        if k > 0:
            positives = losses.lea_targets(self._column(batch, LE_POS_ACTIONS, "lea_augment_k").long(), k)
            out |= losses.lea_terms(
                logits,
                q,
                positives,
                fwd_out.get(Q_NOW_MAIN),
                fwd_out.get(Q_NOW_TGT),
                params.lea_reward,
                params.gamma,
            )
        if q is None:
            return out
        le_reward = batch.get(LE_REWARD) if params.le_reward != "none" else None
        if params.le_reward != "none" and le_reward is None:
            self._column(batch, LE_REWARD, "le_reward")
        reward = losses.shaped_reward(
            batch[Columns.REWARDS].float(), le_reward, params.le_reward, params.shape_coeff
        )
        q_sa = q.gather(-1, actions[:, None]).squeeze(-1)
        out["td_pos"] = losses.double_q_td(
            q_sa, fwd_out[Q_NEXT_MAIN], fwd_out[Q_NEXT_TGT], reward, batch[Columns.TERMINATEDS], params.gamma
        )
        if params.n_negatives > 0:
            neg = losses.sample_negatives(actions, params.n_negatives, logits.shape[-1], self.negatives_rng)
            out[NEGATIVES] = neg
            out["td_neg"] = losses.negative_td(q, neg, fwd_out[Q_NOW_MAIN], fwd_out[Q_NOW_TGT], params.gamma)
        return out

    def compute_loss_for_module(
        self, *, module_id: str, config: Any, batch: dict[str, Any], fwd_out: dict[str, Any]
    ) -> torch.Tensor:
        """``mean(CE(a) [+ beta sum_g CE(a_g)] + w * (TD+ [+ sum TD-] [+ sum_g TD(a_g)]))``.

        The TD sum is empty (0) without a Q head, so CE's loss is the supervised term alone.
        """
        params = config.params
        terms = self.terms(module_id, params, batch, fwd_out)
        loss = (self.supervised(terms, params) + params.q_loss_weight * self.td(terms)).mean()
        self.log_terms(module_id, terms, loss)
        return loss

    @staticmethod
    def supervised(terms: dict[str, torch.Tensor], params: RecRLParams) -> torch.Tensor:
        """``CE(a) + beta * sum_g CE(a_g)`` per row (the LEA term only when augmenting)."""
        if "lea_ce" in terms:
            return terms["ce"] + params.lea_ce_weight * terms["lea_ce"]
        return terms["ce"]

    @staticmethod
    def td(terms: dict[str, torch.Tensor]) -> torch.Tensor | float:
        """``TD+ [+ sum TD-] [+ sum_g TD(a_g)]`` per row: negatives and LE positives when present (0 with no
        Q head)."""
        return sum((terms[name] for name in ("td_pos", "td_neg", "lea_td") if name in terms), 0.0)

    def get_state(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        state = super().get_state(*args, **kwargs)
        state["num_updates"] = self.num_updates  # SA2C's warm-up clock survives a restore
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self.num_updates = int(state.get("num_updates", self.num_updates))

    def log_terms(self, module_id: str, terms: dict[str, torch.Tensor], total: torch.Tensor) -> None:
        """Batch means of the named terms as ``loss/<name>``, plus ``loss/total``."""
        means = {f"loss/{k}": v.detach().float().mean() for k, v in terms.items() if k != NEGATIVES}
        means["loss/total"] = total.detach()
        self.metrics.log_dict(means, key=module_id, window=1)

    @staticmethod
    def _column(batch: dict[str, Any], name: str, switch: str) -> torch.Tensor:
        if name not in batch:
            raise ValueError(
                f"{switch} needs the {name!r} column; train on labeled transitions (learec label) "
                f"or switch {switch} off"
            )
        return batch[name]
