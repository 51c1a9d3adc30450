"""SNQN: CE + w * (TD+ + sum of negative TDs [+ TD of the LE positives]), the shared default loss.

The loss lives in :meth:`RecTorchLearner.compute_loss_for_module`; this algorithm differs from the others
only by its params (see ``snqn.py``), so it keeps a named learner class without a copy of the loss.
"""

from __future__ import annotations

from learec.rllib_algos.common.torch.rec_torch_learner import RecTorchLearner


class SNQNTorchLearner(RecTorchLearner):
    """``mean(supervised + q_loss_weight * TD)`` with SNQN's params."""
