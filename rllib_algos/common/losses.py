"""The loss terms (SQN family, CQL, DPO) as pure functions (no RLlib, no modules, no state).

Every function returns one value per row (``[B]``); the learners combine and average them, so each
term can be logged by name and SA2C can weight the CE rows. Conventions follow the public SQN code
(``notes/LEA.md`` §6): per-row TD loss ``0.5 * delta**2`` with the target treated as a constant.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def ce(logits: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the logged action under the supervised head; ``[B, N], [B] -> [B]``."""
    return F.cross_entropy(logits, actions, reduction="none")


def double_q_td(
    q_sa: torch.Tensor,
    q_next_main: torch.Tensor,
    q_next_tgt: torch.Tensor,
    reward: torch.Tensor,
    done: torch.Tensor,
    gamma: float,
) -> torch.Tensor:
    """Double Q-learning TD loss per row (trfl ``double_qlearning``).

    ``a* = argmax_a Q_main(s', a)`` selects with the learning network, ``Q_tgt(s', a*)`` evaluates with
    the other one; the bootstrap is zeroed where ``done`` (the session ended). Shapes: ``q_sa [B]``,
    ``q_next_* [B, N]``, ``reward [B]``, ``done [B]`` (bool or 0/1) -> ``[B]``.
    """
    a_star = q_next_main.argmax(-1, keepdim=True)  # [B, 1]
    boot = q_next_tgt.gather(-1, a_star).squeeze(-1) * (1.0 - done.float())  # [B]
    target = (reward + gamma * boot).detach()
    return 0.5 * (target - q_sa).pow(2)


def negative_td(
    q: torch.Tensor,
    negatives: torch.Tensor,
    q_now_main: torch.Tensor,
    q_now_tgt: torch.Tensor,
    gamma: float,
    reward: torch.Tensor | float = 0.0,
) -> torch.Tensor:
    """SNQN's TD loss of extra actions, summed over them per row; ``-> [B]``.

    Each extra action ``a_j`` (``negatives [B, M]``) forms a transition ``(s_t, a_j, r, s_t)``: it
    bootstraps from the **current** state, is never done-masked, and has reward 0 for SNQN negatives
    (``reward`` may be a scalar or ``[B]`` / ``[B, M]``; LEA positives pass their own reward).
    """
    q_sa = q.gather(-1, negatives)  # [B, M]
    a_star = q_now_main.argmax(-1, keepdim=True)  # [B, 1]
    boot = q_now_tgt.gather(-1, a_star)  # [B, 1], same for every extra action of the row
    r = torch.as_tensor(reward, dtype=q.dtype, device=q.device)
    if r.dim() == 1:
        r = r[:, None]
    target = (r + gamma * boot).detach()  # [B, M]
    return (0.5 * (target - q_sa).pow(2)).sum(-1)


def sample_negatives(actions: torch.Tensor, n: int, n_items: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` uniform items per row, redrawn where equal to the row's positive; ``[B] -> [B, n]``."""
    if n_items < 2:
        raise ValueError(f"n_items must be >= 2 to sample negatives, got {n_items}")
    neg = torch.randint(0, n_items, (actions.shape[0], n), generator=generator, device=actions.device)
    clash = neg == actions[:, None]
    while clash.any():
        neg[clash] = torch.randint(
            0, n_items, (int(clash.sum()),), generator=generator, device=actions.device
        )
        clash = neg == actions[:, None]
    return neg


def advantage(
    q: torch.Tensor, actions: torch.Tensor, negatives: torch.Tensor, low: float, high: float
) -> torch.Tensor:
    """SA2C advantage ``Q(s,a+) - mean(Q(s,a+), Q(s,a-_1..N))``, clipped and without gradient; ``-> [B]``."""
    q = q.detach()
    q_pos = q.gather(-1, actions[:, None])  # [B, 1]
    q_all = torch.cat([q_pos, q.gather(-1, negatives)], dim=-1)  # [B, 1 + N]
    return (q_pos.squeeze(-1) - q_all.mean(-1)).clamp(low, high)


def conservative_penalty(q: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """CQL(H)'s regulariser ``logsumexp_a Q(s, a) - Q(s, a_logged)`` per row; ``[B, N], [B] -> [B]``.

    Never negative (a log-sum-exp bounds each of its terms); its gradient lowers every item's Q in
    proportion to its softmax weight and raises the logged item's.
    """
    return torch.logsumexp(q, dim=-1) - q.gather(-1, actions[:, None]).squeeze(-1)


def shaped_reward(
    reward: torch.Tensor, le_reward: torch.Tensor | None, mode: str, coeff: float
) -> torch.Tensor:
    """The reward the TD term sees: logged (``none``), LE (``replace``) or ``r + coeff * le_reward``."""
    if mode == "none":
        return reward
    if le_reward is None:
        raise ValueError(f"le_reward={mode!r} needs the le_reward column in the transitions")
    if mode == "replace":
        return le_reward.to(reward.dtype)
    if mode == "shape":
        return reward + coeff * le_reward.to(reward.dtype)
    raise ValueError(f"le_reward must be none, replace or shape; got {mode!r}")


def lea_targets(le_pos_actions: torch.Tensor, k: int) -> torch.Tensor:
    """The first ``k`` LE positives of each row; ``[B, K] -> [B, k]`` (exactly k per labeled row)."""
    if k > le_pos_actions.shape[-1]:
        raise ValueError(
            f"lea_augment_k={k} but the labels carry only {le_pos_actions.shape[-1]} positive actions "
            "per row; relabel with more positives or lower lea_augment_k"
        )
    return le_pos_actions[:, :k]


def lea_le_rewards(z: torch.Tensor, source: str, offset: float, slope: float, high: float) -> torch.Tensor:
    """The TD reward of each LE positive from its normalised LE reward ``z`` (``[B, k] -> [B, k]``), on the
    logged scale (``common/lea_rewards.py``): ``le_affine`` ``clip(offset + slope * z, 0, high)``,
    ``le_sigmoid`` ``high * sigmoid(z)``."""
    if source == "le_affine":
        return (offset + slope * z).clamp(0.0, high)
    if source == "le_sigmoid":
        return high * torch.sigmoid(z)
    raise ValueError(f"lea_reward_source must be le_affine or le_sigmoid here, got {source!r}")


def lea_ce(logits: torch.Tensor, positives: torch.Tensor) -> torch.Tensor:
    """LEA's supervised term: ``sum_g CE(a_g)`` over the LE positives ``[B, k]`` of each row; ``-> [B]``.

    Their TD term is :func:`negative_td` with the positives' reward: a generated positive has no logged
    next state, so like SNQN's negatives it bootstraps from the current state and is not done-masked
    (the counterfactual state "history + a_g" would need a backbone pass per positive and is not in the
    logs); this is our reconstruction, see ``notes/LEA.md`` §4.
    """
    b, k = positives.shape
    rows = logits.unsqueeze(1).expand(b, k, logits.shape[-1]).reshape(b * k, -1)  # [B*k, N]
    return ce(rows, positives.reshape(-1)).view(b, k).sum(-1)


def kl_to_reference(logits: torch.Tensor, ref_logits: torch.Tensor) -> torch.Tensor:
    """``KL(pi || pi_ref)`` per row over the whole catalogue, both softmax policies; ``[B, N] x2 -> [B]``.

    The anchor of an online learner to a frozen reference policy: it grows as the learner puts mass where
    the reference has little, the direction that stops a policy from exploiting a simulator's errors.
    """
    logp = F.log_softmax(logits, dim=-1)
    ref_logp = F.log_softmax(ref_logits.detach(), dim=-1)
    return (logp.exp() * (logp - ref_logp)).sum(-1)


def log_probs(logits: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """``log softmax(logits)[a]`` per row; ``[B, N], [B] -> [B]``."""
    return F.log_softmax(logits, dim=-1).gather(-1, actions[:, None]).squeeze(-1)


def dpo_margin(
    logp_w: torch.Tensor,
    logp_l: torch.Tensor,
    ref_logp_w: torch.Tensor,
    ref_logp_l: torch.Tensor,
    beta: float,
) -> torch.Tensor:
    """DPO's implicit reward margin per row, from ``[B]`` log-probabilities of the preferred (``w``) and
    dispreferred (``l``) items: ``beta * ((log pi(w) - log pi_ref(w)) - (log pi(l) - log pi_ref(l)))``."""
    return beta * ((logp_w - ref_logp_w) - (logp_l - ref_logp_l))


def dpo(
    logp_w: torch.Tensor,
    logp_l: torch.Tensor,
    ref_logp_w: torch.Tensor,
    ref_logp_l: torch.Tensor,
    beta: float,
) -> torch.Tensor:
    """DPO's loss per row, ``-log sigmoid(margin)`` (Rafailov et al. 2023, eq. 7); ``-> [B]``.

    The reference's log-probabilities must come without gradient; at ``pi = pi_ref`` every row is log 2.
    """
    return -F.logsigmoid(dpo_margin(logp_w, logp_l, ref_logp_w, ref_logp_l, beta))


def item_mask(n_items: int, *ids: torch.Tensor) -> torch.Tensor:
    """``[B, n_items]`` bool, True at every item id of the row in any of ``ids`` (``[B, m]`` each); the pad
    id ``n_items`` is ignored."""
    rows = ids[0].shape[0]
    mask = torch.zeros(rows, n_items + 1, dtype=torch.bool, device=ids[0].device)
    for part in ids:
        mask.scatter_(1, part.long().clamp(0, n_items), True)
    return mask[:, :n_items]


def sample_outside(excluded: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One uniform item per row among those not ``excluded`` (``[B, N]`` bool); ``-> [B]``."""
    allowed = (~excluded).float()
    if bool((allowed.sum(-1) == 0).any()):
        raise ValueError("a row excludes every item; there is no item left to sample")
    return torch.multinomial(allowed, 1, generator=generator).squeeze(-1)
