"""LE checkpoints: reload in a new process gives identical outputs; vocabulary mismatch is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from learec.platform.le.checkpoint import checkpoint_hash, update_metrics
from learec.platform.le.environment import LanguageEnvironment
from learec.platform.le.pairs import transition_arrays

SCRIPT = """
import sys, numpy as np, torch
torch.set_num_threads(2)
from learec.platform.le.environment import LanguageEnvironment
d = np.load(sys.argv[2])
env = LanguageEnvironment.load(sys.argv[1])
lab = env.label(d["states"], d["lengths"], d["actions"], 5)
reward = env.reward(d["states"], d["lengths"], d["actions"])
np.savez(sys.argv[3], reward=reward, hash=env.checkpoint_hash, **lab)
"""


def _outputs_in_new_process(ckpt: Path, states, lengths, actions, tmp: Path) -> dict[str, np.ndarray]:
    np.savez(tmp / "in.npz", states=states, lengths=lengths, actions=actions)
    subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ckpt), str(tmp / "in.npz"), str(tmp / "out.npz")],
        check=True,
        capture_output=True,
    )
    return dict(np.load(tmp / "out.npz"))


@pytest.mark.parametrize("mode", ["full", "lora"])
def test_reload_in_new_process_is_identical(mode, full_ckpt, lora_ckpt, le_data, tmp_path) -> None:
    import torch

    torch.set_num_threads(2)
    ckpt = full_ckpt if mode == "full" else lora_ckpt
    a = transition_arrays(le_data["heldout"]).take(np.arange(16))
    env = LanguageEnvironment.load(ckpt)
    here = env.label(a.states, a.lengths, a.actions, 5)
    there = _outputs_in_new_process(ckpt, a.states, a.lengths, a.actions, tmp_path)
    np.testing.assert_allclose(there["le_state"], here["le_state"], atol=1e-6)
    np.testing.assert_allclose(there["le_reward"], here["le_reward"], atol=1e-6)
    np.testing.assert_allclose(there["reward"], here["le_reward"], atol=1e-5)
    np.testing.assert_array_equal(there["le_pos_actions"], here["le_pos_actions"])
    assert str(there["hash"]) == env.checkpoint_hash


def test_vocabulary_mismatch_is_refused(full_ckpt) -> None:
    raw = LanguageEnvironment.load(full_ckpt).raw_ids
    assert LanguageEnvironment.load(full_ckpt, expected_raw_ids=raw).n_items == 40
    with pytest.raises(ValueError, match=r"trained on 40 items .* the data has 38 items .*learec le train"):
        LanguageEnvironment.load(full_ckpt, expected_raw_ids=raw[:38])
    with pytest.raises(ValueError, match="retrain the LE"):
        LanguageEnvironment.load(full_ckpt, expected_raw_ids=list(reversed(raw)))


def test_manifest_and_hash_stable_under_metrics(full_ckpt) -> None:
    manifest = json.loads((full_ckpt / "manifest.json").read_text())
    assert manifest["items"]["count"] == 40 and manifest["base"]["id"] == "tiny"
    assert manifest["user_subset"]["sessions"] == 240 and (full_ckpt / "user_sessions.npy").is_file()
    assert 0.0 <= manifest["metrics"]["heldout_pair_acc"] <= 1.0
    assert manifest["reward_stats"]["std"] > 0
    before = checkpoint_hash(full_ckpt)
    update_metrics(full_ckpt, {"extra/metric": 1.0})
    assert checkpoint_hash(full_ckpt) == before
    assert not list(full_ckpt.parent.glob(".*.tmp")), "atomic write left a temp folder"


def test_not_a_checkpoint_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ValueError, match="not an LE checkpoint"):
        LanguageEnvironment.load(tmp_path)


def test_checkpoint_without_history_pool_loads_as_before(le_data, tmp_path) -> None:
    """Manifests written before ``history_pool`` existed load without the pooled term."""
    from le.toy_data import tiny_config

    from learec.platform.le.trainer import train_le

    ckpt = train_le(
        tiny_config(history_pool=False, steps=5, eval_every=0),
        le_data["train"],
        le_data["items"],
        tmp_path / "c",
    )
    a = transition_arrays(le_data["heldout"]).take(np.arange(8))
    before = LanguageEnvironment.load(ckpt).reward(a.states, a.lengths, a.actions)
    manifest = json.loads((ckpt / "manifest.json").read_text())
    del manifest["config"]["history_pool"], manifest["pools_history"]
    (ckpt / "manifest.json").write_text(json.dumps(manifest))
    env = LanguageEnvironment.load(ckpt)
    assert env.manifest["pools_history"] is False and env._model.state_proj.history is None
    np.testing.assert_allclose(env.reward(a.states, a.lengths, a.actions), before, atol=1e-6)
