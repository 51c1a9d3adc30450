"""Pure loss functions: TD targets, done masks, negatives, advantage, LE reward, LEA targets and rewards,
CQL."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from learec.rllib_algos.common import losses
from learec.rllib_algos.common.lea_rewards import fit_reward_scale


def test_td_target_uses_target_network_at_main_argmax() -> None:
    q_next_main = torch.tensor([[0.0, 5.0, 1.0]])  # main picks action 1
    q_next_tgt = torch.tensor([[9.0, 2.0, 7.0]])  # target evaluates action 1 -> 2.0, not its own max 9.0
    q_sa, r = torch.tensor([0.0]), torch.tensor([1.0])
    td = losses.double_q_td(q_sa, q_next_main, q_next_tgt, r, torch.tensor([False]), gamma=0.5)
    torch.testing.assert_close(td, 0.5 * torch.tensor([1.0 + 0.5 * 2.0]) ** 2)


def test_done_masks_bootstrap() -> None:
    q_next = torch.randn(4, 6)
    q_sa, r = torch.randn(4), torch.rand(4)
    done = torch.tensor([True, False, True, False])
    td = losses.double_q_td(q_sa, q_next, q_next + 1.0, r, done, gamma=0.9)
    torch.testing.assert_close(td[done], 0.5 * (r[done] - q_sa[done]) ** 2)
    assert torch.all(td[~done] != 0.5 * (r[~done] - q_sa[~done]) ** 2)


def test_td_target_has_no_gradient() -> None:
    q_sa = torch.randn(3, requires_grad=True)
    q_next = torch.randn(3, 5, requires_grad=True)
    td = losses.double_q_td(q_sa, q_next, q_next, torch.zeros(3), torch.zeros(3, dtype=torch.bool), 0.5)
    td.sum().backward()
    assert q_next.grad is None and q_sa.grad is not None


def test_negatives_never_equal_the_positive() -> None:
    g = torch.Generator().manual_seed(0)
    actions = torch.randint(0, 3, (500,), generator=g)
    neg = losses.sample_negatives(actions, 10, 3, g)  # 3 items: many first draws clash
    assert neg.shape == (500, 10)
    assert not (neg == actions[:, None]).any()
    assert neg.min() >= 0 and neg.max() < 3


def test_negative_td_has_reward_zero_and_bootstraps_from_current_state() -> None:
    q = torch.randn(2, 5)
    neg = torch.tensor([[1, 2], [3, 4]])
    q_now_main = torch.tensor([[0.0, 0, 0, 0, 1], [1.0, 0, 0, 0, 0]])
    q_now_tgt = torch.randn(2, 5)
    td = losses.negative_td(q, neg, q_now_main, q_now_tgt, gamma=0.5)
    boot = torch.stack([q_now_tgt[0, 4], q_now_tgt[1, 0]])  # target network at main's argmax on s_t
    expected = (0.5 * (0.5 * boot[:, None] - q.gather(1, neg)) ** 2).sum(1)
    torch.testing.assert_close(td, expected)


def test_advantage_is_clipped_and_detached() -> None:
    q = torch.tensor([[10.0, 0.0, 0.0], [0.0, 100.0, 100.0]], requires_grad=True)
    adv = losses.advantage(q, torch.tensor([0, 0]), torch.tensor([[1, 2], [1, 2]]), 0.0, 5.0)
    assert not adv.requires_grad
    torch.testing.assert_close(adv, torch.tensor([5.0, 0.0]))  # 10 - 10/3 clipped to 5; negative -> 0


def test_shaped_reward_modes() -> None:
    r, le = torch.tensor([0.2, 1.0]), torch.tensor([0.5, -1.0])
    torch.testing.assert_close(losses.shaped_reward(r, None, "none", 0.3), r)
    torch.testing.assert_close(losses.shaped_reward(r, le, "replace", 0.3), le)
    torch.testing.assert_close(losses.shaped_reward(r, le, "shape", 0.3), r + 0.3 * le)
    with pytest.raises(ValueError, match="le_reward"):
        losses.shaped_reward(r, None, "shape", 0.3)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_lea_adds_exactly_k_positives_per_row(k: int) -> None:
    pos = torch.tensor([[4, 5, 6], [7, 8, 9]])
    targets = losses.lea_targets(pos, k)
    assert targets.shape == (2, k)
    logits = torch.randn(2, 10)
    lea_ce = losses.lea_ce(logits, targets)
    per_target = torch.nn.functional.cross_entropy(
        logits.repeat_interleave(k, 0), targets.reshape(-1), reduction="none"
    ).view(2, k)
    torch.testing.assert_close(lea_ce, per_target.sum(1))


def test_lea_k_larger_than_labels_is_an_error() -> None:
    with pytest.raises(ValueError, match="lea_augment_k=4"):
        losses.lea_targets(torch.zeros(2, 3, dtype=torch.long), 4)


def test_lea_td_rewards_the_le_positive() -> None:
    q = torch.zeros(1, 4)
    q_now = torch.zeros(1, 4)
    td = losses.negative_td(q, torch.tensor([[2]]), q_now, q_now, 0.5, reward=0.2)
    torch.testing.assert_close(td, torch.tensor([0.5 * 0.2**2]))


def test_lea_td_gives_each_positive_its_own_reward() -> None:
    q = torch.tensor([[0.0, 1.0, 2.0, 3.0]])
    q_now_main = torch.tensor([[0.0, 0.0, 5.0, 0.0]])  # selects item 2
    q_now_tgt = torch.tensor([[0.0, 0.0, 4.0, 9.0]])  # evaluates it: 4.0
    rewards = torch.tensor([[0.8, 0.3]])
    td = losses.negative_td(q, torch.tensor([[1, 3]]), q_now_main, q_now_tgt, 0.5, reward=rewards)
    # targets r + 0.5 * 4.0 against Q(s, 1) = 1 and Q(s, 3) = 3
    torch.testing.assert_close(td, torch.tensor([0.5 * 1.8**2 + 0.5 * 0.7**2]))


def test_le_rewards_map_onto_the_logged_scale() -> None:
    z = torch.tensor([[-10.0, 0.0, 1.0, 10.0]])
    affine = losses.lea_le_rewards(z, "le_affine", offset=0.3, slope=0.2, high=1.0)
    torch.testing.assert_close(affine, torch.tensor([[0.0, 0.3, 0.5, 1.0]]))  # clipped to [0, high]
    sigmoid = losses.lea_le_rewards(z, "le_sigmoid", offset=0.3, slope=0.2, high=1.0)
    torch.testing.assert_close(
        sigmoid, torch.tensor([[1 / (1 + math.e**10), 0.5, 1 / (1 + math.e**-1), 1 / (1 + math.e**-10)]])
    )
    with pytest.raises(ValueError, match="lea_reward_source"):
        losses.lea_le_rewards(z, "constant", 0.0, 0.0, 1.0)


def test_reward_scale_is_the_least_squares_line_of_the_logged_rows() -> None:
    # clicks (0.2) score z = -1 and 0, purchases (1.0) z = 1 and 2: the line through the group means
    z = np.array([-1.0, 0.0, 1.0, 2.0])
    r = np.array([0.2, 0.2, 1.0, 1.0])
    scale = fit_reward_scale(z, r)
    slope = np.cov(z, r, bias=True)[0, 1] / z.var()
    assert scale.slope == pytest.approx(slope) and slope == pytest.approx(0.32)
    assert scale.offset == pytest.approx(0.6 - 0.32 * 0.5) and scale.high == 1.0


def test_reward_scale_never_ranks_positives_backwards() -> None:
    scale = fit_reward_scale(np.array([2.0, 1.0, 0.0]), np.array([0.2, 0.2, 1.0]))
    assert scale.slope == 0.0 and scale.offset == pytest.approx(1.4 / 3)  # the mean logged reward
    flat = fit_reward_scale(np.zeros(3), np.array([0.2, 1.0, 0.2]))
    assert flat.slope == 0.0 and flat.offset == pytest.approx(1.4 / 3)


def test_conservative_penalty_is_logsumexp_minus_the_logged_q() -> None:
    q = torch.tensor([[0.0, 1.0, 2.0], [3.0, 3.0, 3.0]])
    a = torch.tensor([2, 0])
    expected = torch.tensor([math.log(1 + math.e + math.e**2) - 2.0, math.log(3.0)])
    torch.testing.assert_close(losses.conservative_penalty(q, a), expected)
    q.requires_grad_(True)
    losses.conservative_penalty(q, a).sum().backward()
    soft = torch.softmax(q.detach(), -1)
    torch.testing.assert_close(q.grad, soft - torch.nn.functional.one_hot(a, 3).float())
