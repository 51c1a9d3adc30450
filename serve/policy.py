"""Load an exported policy (format: ``rllib_algos/common/policy_format.py``) and recommend with it.

No Ray or RLlib import: the Serve replica, the evaluation and the simulator all score with this class.
``ExportedPolicy.score`` is an evaluation ``ScoreFn``: ``(states [B, L], lengths [B]) -> scores [B, N]``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from learec.rllib_algos.common.heads import RecNetwork
from learec.rllib_algos.common.policy_format import read_policy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recommendations:
    items: list[list[tuple[str, float]]]  # per history: (raw id, score), best first
    unknown: list[list[str]]  # per history: raw ids the policy does not know (skipped)


class ExportedPolicy:
    """A backbone + CE head over ``n_items`` items; states are left-padded with ``pad_id = n_items``."""

    def __init__(self, network: RecNetwork, raw_ids: list[str], config: dict, manifest: dict) -> None:
        self._network = network.eval()
        self.raw_ids = raw_ids
        self.config = config
        self.manifest = manifest
        self.n_items = int(config["n_items"])
        self.state_len = int(config["state_len"])
        self.pad_id = self.n_items
        self._index = {r: i for i, r in enumerate(raw_ids)}

    @classmethod
    def load(cls, path: Path | str) -> ExportedPolicy:
        stored = read_policy(Path(path))
        return cls(stored.network, stored.raw_ids, stored.config, stored.manifest)

    @torch.inference_mode()
    def score(self, states: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
        """Scores of every item; ``states [B, L]`` int (left-padded with ``n_items``) -> ``[B, n_items]``.

        ``lengths`` (``len_state``) is checked for shape only: lengths come from the padding, exactly as
        in training, so a state and its length can never disagree.
        """
        seq = torch.as_tensor(np.asarray(states), dtype=torch.long)
        if seq.dim() != 2 or seq.shape[1] != self.state_len:
            raise ValueError(f"states must have shape [B, {self.state_len}], got {tuple(seq.shape)}")
        if lengths is not None and np.asarray(lengths).shape != (seq.shape[0],):
            raise ValueError(f"lengths must have shape [{seq.shape[0]}], got {np.asarray(lengths).shape}")
        if seq.numel() and (seq.min() < 0 or seq.max() > self.pad_id):
            raise ValueError(f"states hold ids outside [0, {self.pad_id}]")
        return self._network.scores(seq).float().numpy()

    def encode(self, histories: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray, list[list[str]]]:
        """Raw-id histories -> (states ``[B, L]``, lengths ``[B]``, unknown ids per history)."""
        states = np.full((len(histories), self.state_len), self.pad_id, dtype=np.int64)
        lengths = np.zeros(len(histories), dtype=np.int64)
        unknown: list[list[str]] = []
        for row, history in enumerate(histories):
            known = [self._index[r] for r in history if r in self._index]
            unknown.append([r for r in history if r not in self._index])
            tail = known[-self.state_len :]
            if tail:
                states[row, -len(tail) :] = tail
            lengths[row] = len(tail)
        return states, lengths, unknown

    def top_k(
        self, scores: np.ndarray, history: Sequence[str], k: int, exclude_consumed: bool = True
    ) -> list[tuple[str, float]]:
        """Best ``k`` ``(raw id, score)`` of one score row ``[n_items]``, optionally without the history."""
        s = np.asarray(scores, dtype=np.float64).copy()
        if exclude_consumed:
            seen = [self._index[r] for r in history if r in self._index]
            s[seen] = -np.inf
        kk = min(k, int(np.isfinite(s).sum()))
        top = np.argpartition(-s, kk - 1)[:kk] if kk else np.zeros(0, dtype=np.int64)
        top = top[np.argsort(-s[top], kind="stable")]
        return [(self.raw_ids[i], float(s[i])) for i in top]

    def recommend_detailed(
        self, histories: Sequence[Sequence[str]], k: int, exclude_consumed: bool = True
    ) -> Recommendations:
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        states, lengths, unknown = self.encode(histories)
        scores = self.score(states, lengths) if len(histories) else np.zeros((0, self.n_items), np.float32)
        items = [
            self.top_k(scores[row], history, k, exclude_consumed) for row, history in enumerate(histories)
        ]
        return Recommendations(items=items, unknown=unknown)

    def recommend(
        self, histories: Sequence[Sequence[str]], k: int, exclude_consumed: bool = True
    ) -> list[list[tuple[str, float]]]:
        """Top-``k`` ``(raw id, score)`` per history; unknown raw ids are skipped (and logged)."""
        recs = self.recommend_detailed(histories, k, exclude_consumed)
        skipped = sorted({r for u in recs.unknown for r in u})
        if skipped:
            log.warning("skipped %d unknown item ids: %s", len(skipped), skipped[:10])
        return recs.items
