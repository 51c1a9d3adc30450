"""SQN: CE + w * (TD of the logged transition [+ TD of the LE positives]), the shared default loss.

The loss lives in :meth:`RecTorchLearner.compute_loss_for_module`; this algorithm differs from the others
only by its params (see ``sqn.py``), so it keeps a named learner class without a copy of the loss.
"""

from __future__ import annotations

from learec.rllib_algos.common.torch.rec_torch_learner import RecTorchLearner


class SQNTorchLearner(RecTorchLearner):
    """``mean(supervised + q_loss_weight * TD)`` with SQN's params."""
