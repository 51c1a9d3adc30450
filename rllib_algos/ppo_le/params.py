r"""PPO in the LE environment, anchored to the logged behaviour: RLlib's own PPO (new API stack) with one
more loss term.

.. math::  L = \frac{1}{B} \sum_t \Big[ -\min\big(\rho_t A_t,\
           \mathrm{clip}(\rho_t, 1-\epsilon, 1+\epsilon) A_t\big)
           + c_v \big(V(s_t) - \hat V_t\big)^2 - c_e \mathcal{H}\big(\pi(\cdot|s_t)\big)
           + \beta\, \mathrm{KL}\big(\pi(\cdot|s_t)\,\|\,\pi_{ref}(\cdot|s_t)\big) \Big]

with :math:`\rho_t = \pi(a_t|s_t) / \pi_{old}(a_t|s_t)`, advantages :math:`A_t` by
GAE(:math:`\gamma, \lambda`) on the LE environment's rewards (the LE reward model's normalised reward of
the recommended item), and :math:`\pi_{ref}` the frozen warm-start policy (an exported CE or SQN policy,
trained on the logs). The actor starts as that policy (its backbone and CE head); the value head is new.
PPO: Schulman et al., arXiv 1707.06347. The KL anchor to a reference policy keeps the agent near the
logged behaviour where the simulator knows least (as RLHF's KL penalty does, Ouyang et al. 2022; Feng &
Feng, arXiv 2408.16032, train PPO shopping agents in an LLM environment). ``anchor_weight`` 0 is plain
PPO.

Torch- and Ray-free, so the CLI and config files build it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from learec.platform.common.fields import Checked, opt


@dataclass(frozen=True)
class PPOLEParams(Checked):
    anchor_weight: float = opt(0.1, "beta: weight of KL(pi || pi_ref) to the frozen warm-start policy", ge=0)
    iterations: int = opt(10, "PPO iterations (each samples train_batch_size env steps, then updates)", ge=1)
    train_batch_size: int = opt(512, "env steps sampled per iteration", ge=8, le=1_000_000)
    minibatch_size: int = opt(128, "rows per SGD step", ge=1, le=1_000_000)
    num_epochs: int = opt(4, "passes over each iteration's batch", ge=1, le=100)
    lr: float = opt(1e-4, "Adam learning rate (small: the actor starts from a trained policy)", gt=0)
    gamma: float = opt(0.5, "discount (sessions are short; the offline algorithms use 0.5)", ge=0, le=1)
    gae_lambda: float = opt(0.95, "GAE lambda", ge=0, le=1)
    clip_param: float = opt(0.2, "PPO ratio clip epsilon", gt=0)
    vf_loss_coeff: float = opt(0.5, "c_v: weight of the value loss", ge=0)
    entropy_coeff: float = opt(0.0, "c_e: weight of the entropy bonus", ge=0)
    grad_clip: float = opt(1.0, "global gradient-norm clip (0: off)", ge=0)
    value_encoder: Literal["separate", "shared"] = opt(
        "separate",
        "separate: the value head reads its own copy of the warm-start encoder, so value gradients never "
        "move the actor; shared: it reads the actor's encoder state (cheaper)",
    )
    num_env_runners: int = opt(0, "0: sample in the driver; 1 or 2: remote env runners", choices=(0, 1, 2))
    envs_per_runner: int = opt(
        64, "sessions each env runner steps together (one LE pass per step)", ge=1, le=4096
    )
    cpus_per_env_runner: float = opt(0.5, "CPUs each remote env runner reserves", gt=0)
    seed: int = opt(0, "seed of torch, the env runners' sessions and the sampling")
