"""A plain-torch SQN / SNQN / SA2C loss, written the way the papers' public code computes it.

Independent of ``learec.rllib_algos.common.losses`` on purpose: the learners must match this file
(``notes/LEA.md`` §6). ``main`` and ``tgt`` map a state batch ``[B, L]`` to ``(q [B, N], logits [B, N])``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

Net = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def reference_loss(
    main: Net,
    tgt: Net,
    s: torch.Tensor,
    a: torch.Tensor,
    r: torch.Tensor,
    s2: torch.Tensor,
    done: torch.Tensor,
    negatives: torch.Tensor | None = None,
    gamma: float = 0.5,
    w: float = 1.0,
    advantage_clip: tuple[float, float] | None = None,
) -> torch.Tensor:
    """``mean(CE + w (TD+ + sum_j TD-_j))``; with ``advantage_clip`` the CE rows are weighted (SA2C)."""

    def double_q_td(q_sa, q_next_main, q_next_tgt, reward, is_done):
        a_star = q_next_main.argmax(-1, keepdim=True)  # select with main
        boot = q_next_tgt.gather(-1, a_star).squeeze(-1) * (1 - is_done.float())
        return 0.5 * (reward + gamma * boot - q_sa).pow(2)  # target treated as a constant below

    q, logits = main(s)
    with torch.no_grad():
        q2_main, q2_tgt = main(s2)[0], tgt(s2)[0]
        qs_main, qs_tgt = q.detach(), tgt(s)[0]
    q_sa = q.gather(1, a[:, None]).squeeze(1)
    with torch.no_grad():
        target_pos = r + gamma * q2_tgt.gather(-1, q2_main.argmax(-1, keepdim=True)).squeeze(-1) * (
            1 - done.float()
        )
    td = 0.5 * (target_pos - q_sa).pow(2)
    assert torch.allclose(td, double_q_td(q_sa, q2_main, q2_tgt, r, done))
    if negatives is not None:
        for j in range(negatives.shape[1]):  # SNQN: negatives bootstrap from s_t, reward 0, no done mask
            q_neg = q.gather(1, negatives[:, j : j + 1]).squeeze(1)
            with torch.no_grad():
                t = gamma * qs_tgt.gather(-1, qs_main.argmax(-1, keepdim=True)).squeeze(-1)
            td = td + 0.5 * (t - q_neg).pow(2)
    ce = F.cross_entropy(logits, a, reduction="none")
    if advantage_clip is not None and negatives is not None:
        with torch.no_grad():
            q_all = torch.cat([q.gather(1, a[:, None]), q.gather(1, negatives)], dim=1)
            adv = (q_all[:, 0] - q_all.mean(1)).clamp(*advantage_clip)
        ce = adv * ce
    return (ce + w * td).mean()
