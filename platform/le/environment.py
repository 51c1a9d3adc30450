"""The LE inference API for labeling and evaluation: states, rewards and positive actions on numpy batches.

Inputs follow the transitions layout: ``states [B, L]`` dense item ids left-padded with ``pad_id = n_items``
and ``lengths [B]`` (0 for an empty history). Everything runs in eval mode without gradients, in chunks of
``config.infer_batch_size`` rows; results are deterministic and do not depend on the batch size (prompts
are right-padded, see prompts.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from learec.platform.common.fields import from_dict
from learec.platform.le.actions import exclusion_mask, select_positive
from learec.platform.le.checkpoint import (
    checkpoint_hash,
    load_le_model,
    read_manifest,
    read_raw_ids,
    vocab_hash,
)
from learec.platform.le.config import LEConfig
from learec.platform.le.state_model import item_scores

log = logging.getLogger(__name__)


class LanguageEnvironment:
    """A loaded LE checkpoint. Build with :meth:`load`."""

    def __init__(
        self, model: Any, manifest: dict[str, Any], raw_ids: list[str], ckpt_hash: str, ckpt_dir: Path
    ):
        self._model = model
        self.manifest = manifest
        self.config: LEConfig = from_dict(LEConfig, manifest["config"])
        self.raw_ids = raw_ids
        self.n_items = int(manifest["items"]["count"])
        self.le_state_dim = int(manifest["item_dim"])
        self.checkpoint_hash = ckpt_hash
        self.ckpt_dir = ckpt_dir
        stats = manifest["reward_stats"]
        self._mean, self._std = float(stats["mean"]), float(stats["std"])
        self._item_emb: torch.Tensor | None = None

    @classmethod
    def load(
        cls, ckpt_dir: str | Path, device: str = "cpu", expected_raw_ids: Sequence[str] | None = None
    ) -> LanguageEnvironment:
        """Load a checkpoint on ``device``; with ``expected_raw_ids``, refuse one trained on other items."""
        ckpt_dir = Path(ckpt_dir)
        manifest = read_manifest(ckpt_dir)
        if expected_raw_ids is not None:
            expected = [str(r) for r in expected_raw_ids]
            items = manifest["items"]
            if vocab_hash(expected) != items["vocab_hash"]:
                raise ValueError(
                    f"LE checkpoint {ckpt_dir} was trained on {items['count']} items "
                    f"(hash {items['vocab_hash'][:8]}), "
                    f"the data has {len(expected)} items (hash {vocab_hash(expected)[:8]}): "
                    "retrain the LE on this data with `learec le train`"
                )
        model, _, manifest = load_le_model(ckpt_dir, device)
        env = cls(model, manifest, read_raw_ids(ckpt_dir), checkpoint_hash(ckpt_dir), ckpt_dir)
        log.info("LE %s loaded on %s (%d items, hash %s)", ckpt_dir, device, env.n_items, env.checkpoint_hash)
        return env

    @property
    def tokens_processed(self) -> int:
        """LE tokens run so far (prompt tokens + appended action tokens), for cost reports."""
        return int(self._model.tokens_processed)

    def _items(self) -> torch.Tensor:
        if self._item_emb is None:
            with torch.inference_mode():
                self._item_emb = self._model.item_vectors()  # [n, e], fixed in eval mode
        return self._item_emb

    def _normalise(self, raw: torch.Tensor) -> np.ndarray:
        return ((raw.float().cpu().numpy() - self._mean) / self._std).astype(np.float32)

    def _chunks(self, n: int) -> list[slice]:
        size = self.config.infer_batch_size
        return [slice(s, s + size) for s in range(0, n, size)]

    def state(self, states: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """LE states ``S_t`` (state_model.py): float32 ``[B, le_state_dim]``."""
        states, lengths = _inputs(states, lengths)
        out = []
        with torch.inference_mode():
            for sl in self._chunks(len(lengths)):
                enc = self._model.encode(states[sl], lengths[sl])
                out.append(self._model.state(enc).float().cpu().numpy())
        return _cat(out, (0, self.le_state_dim), np.float32)

    def reward(self, states: np.ndarray, lengths: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Normalised rewards of ``actions [B]`` -> ``[B]``, or ``[B, m]`` -> ``[B, m]`` (float32)."""
        states, lengths = _inputs(states, lengths)
        actions = np.asarray(actions, dtype=np.int64)
        flat = actions.ndim == 1
        acts = actions[:, None] if flat else actions
        if acts.ndim != 2 or acts.shape[0] != len(lengths):
            raise ValueError(f"actions must be [B] or [B, m] with B = {len(lengths)}, got {actions.shape}")
        out = []
        with torch.inference_mode():
            for sl in self._chunks(len(lengths)):
                enc = self._model.encode(states[sl], lengths[sl])
                out.append(self._normalise(self._model.rewards(enc, torch.tensor(acts[sl]))))
        res = _cat(out, (0, acts.shape[1]), np.float32)
        return res[:, 0] if flat else res

    def positive_actions(
        self, states: np.ndarray, lengths: np.ndarray, k: int, exclude: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k positive actions: state-model candidates re-scored by the reward model.

        Excludes the history items and ``exclude [B, m]`` (e.g. the logged action; negative or pad ids are
        ignored). Returns ``(items int64 [B, k], normalised rewards float32 [B, k])``, best first, distinct.
        """
        states, lengths = _inputs(states, lengths)
        items, rewards = [], []
        with torch.inference_mode():
            for sl in self._chunks(len(lengths)):
                enc = self._model.encode(states[sl], lengths[sl])
                ex = None if exclude is None else np.asarray(exclude, np.int64).reshape(len(lengths), -1)[sl]
                it, rw = self._positives(enc, k, ex)
                items.append(it)
                rewards.append(rw)
        return _cat(items, (0, k), np.int64), _cat(rewards, (0, k), np.float32)

    def label(
        self, states: np.ndarray, lengths: np.ndarray, actions: np.ndarray, k: int
    ) -> dict[str, np.ndarray]:
        """All labels from one prompt pass: ``le_state [B, d]``, ``le_reward [B]``, ``le_pos_actions [B, k]``
        and ``le_pos_rewards [B, k]`` (the positives' rewards, normalised like ``le_reward``).

        The logged action's token and the candidates' tokens are appended in one cached decoder step.
        """
        states, lengths = _inputs(states, lengths)
        actions = np.asarray(actions, dtype=np.int64).reshape(-1)
        if len(actions) != len(lengths):
            raise ValueError(f"actions must be [B] with B = {len(lengths)}, got {actions.shape}")
        st, rw, pos, pos_rw = [], [], [], []
        with torch.inference_mode():
            for sl in self._chunks(len(lengths)):
                enc = self._model.encode(states[sl], lengths[sl])
                st.append(self._model.state(enc).float().cpu().numpy())
                it, it_rw, logged = self._positives(enc, k, actions[sl, None], logged=actions[sl])
                pos.append(it)
                pos_rw.append(it_rw)
                rw.append(logged)
        return {
            "le_state": _cat(st, (0, self.le_state_dim), np.float32),
            "le_reward": _cat(rw, (0,), np.float32),
            "le_pos_actions": _cat(pos, (0, k), np.int64),
            "le_pos_rewards": _cat(pos_rw, (0, k), np.float32),
        }

    def _positives(
        self,
        enc: Any,
        k: int,
        exclude: np.ndarray | None,
        logged: np.ndarray | None = None,
    ) -> Any:
        """Candidates by <S_t, e(j)>, then one cached step scoring [logged action?, candidates]."""
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        mask = exclusion_mask(enc.prompt.history, exclude, self.n_items)  # [b, n_items] True = excluded
        available = int((~mask).sum(1).min()) if len(mask) else self.n_items
        if available < k:
            raise ValueError(
                f"cannot return k={k} positive actions: a row has only {available} items left after "
                "excluding "
                "its history and the excluded actions; lower k"
            )
        scores = item_scores(self._model.state(enc), self._items())  # [b, n_items]
        mask_t = torch.from_numpy(mask).to(scores.device)
        scores = scores.masked_fill(mask_t, float("-inf"))
        n_cand = min(self.n_items, max(k, self.config.candidate_factor * k))
        cand = scores.topk(n_cand, dim=1).indices  # [b, C]
        step = cand if logged is None else torch.cat([torch.tensor(logged)[:, None].to(cand.device), cand], 1)
        raw = self._model.rewards(enc, step)  # [b, (1+)C]
        cand_r = raw[:, -n_cand:].masked_fill(mask_t.gather(1, cand), float("-inf"))
        items, rewards = select_positive(cand, cand_r, k)
        out_items = items.cpu().numpy().astype(np.int64)
        out_r = self._normalise(rewards)
        if logged is None:
            return out_items, out_r
        return out_items, out_r, self._normalise(raw[:, 0])


def _inputs(states: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    states = np.asarray(states, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
    if states.ndim != 2 or states.shape[0] != lengths.shape[0]:
        raise ValueError(f"states must be [B, L] and lengths [B], got {states.shape} and {lengths.shape}")
    return states, lengths


def _cat(parts: list[np.ndarray], empty_shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(empty_shape, dtype)
