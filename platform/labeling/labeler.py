"""The ``map_batches`` callable: one LE replica per Ray actor, labels added to each batch.

Ray Data builds one :class:`Labeler` per actor of the pool, so the LE loads once per actor (in
``__init__``), not once per batch. On CPU each actor runs torch on one thread (RAY_NOTES §2): the pool,
not intra-op threads, uses the cores.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from learec.platform.data import schema
from learec.platform.labeling.version import label_version

log = logging.getLogger(__name__)

# LE prompt tokens of a batch, on its first row (0 elsewhere); the driver sums it and drops the column.
TOKENS_COLUMN = "_le_tokens"


class Labeler:
    """Adds ``le_state [B, d]``, ``le_reward [B]``, ``le_pos_actions [B, k]``, ``le_pos_rewards [B, k]`` and
    ``label_version``.

    Every input column is kept. ``expected_version`` is the version the driver computed from the
    checkpoint's hash; the actor recomputes it from the checkpoint it actually loaded, so a checkpoint
    replaced during a run fails loudly instead of mixing labels.
    """

    def __init__(self, ckpt_dir: str, config: Any, device: str, expected_version: str) -> None:
        import torch

        from learec.platform.le.environment import LanguageEnvironment

        if device == "cpu":
            torch.set_num_threads(1)
        self.env = LanguageEnvironment.load(ckpt_dir, device=device)
        self.k = int(config.k)
        self.version = label_version(self.env.checkpoint_hash, config)
        if self.version != expected_version:
            raise ValueError(
                f"LE checkpoint {ckpt_dir} changed during labeling: it gives label_version {self.version}, "
                f"the run started with {expected_version}; rerun to label with the new checkpoint"
            )
        log.info("labeler ready on %s (label_version %s)", device, self.version)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        states = np.asarray(np.stack(batch[schema.STATE]), dtype=np.int64)  # [B, L]
        lengths = np.asarray(batch[schema.LEN_STATE], dtype=np.int64)  # [B]
        actions = np.asarray(batch[schema.ACTION], dtype=np.int64)  # [B]
        before = int(self.env.tokens_processed)
        labels = self.env.label(states, lengths, actions, self.k)
        n = len(actions)
        out = dict(batch)
        out[schema.LE_STATE] = np.asarray(labels["le_state"], dtype=np.float32)  # [B, d]
        out[schema.LE_REWARD] = np.asarray(labels["le_reward"], dtype=np.float32)  # [B]
        out[schema.LE_POS_ACTIONS] = np.asarray(labels["le_pos_actions"], dtype=np.int64)  # [B, k]
        out[schema.LE_POS_REWARDS] = np.asarray(labels["le_pos_rewards"], dtype=np.float32)  # [B, k]
        out[schema.LABEL_VERSION] = np.full(n, self.version)
        tokens = np.zeros(n, dtype=np.int64)
        if n:
            tokens[0] = int(self.env.tokens_processed) - before
        out[TOKENS_COLUMN] = tokens
        return out
