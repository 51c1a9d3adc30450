"""What trains, trains: LoRA mode leaves base weights alone and moves adapters, item rows and heads."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from le.toy_data import N_ITEMS, tiny_config

from learec.platform.le.item_tokens import item_texts
from learec.platform.le.pairs import transition_arrays
from learec.platform.le.trainer import build_model, train_item_tokens, train_state_reward


def _run_steps(config, le_data):
    texts = item_texts(le_data["items"])
    built = build_model(config, texts)
    model = built.model
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    items_before = model.item_embeddings().detach().clone()
    other_rows = model.lm.get_input_embeddings()(torch.arange(model.prompts.offset)).detach().clone()
    rng = np.random.default_rng(0)
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    say = lambda *_: None  # noqa: E731
    train_item_tokens(model, built.tok, texts, config, optim, rng, say)
    train_state_reward(model, transition_arrays(le_data["train"]), N_ITEMS, config, optim, rng, say)
    return model, before, items_before, other_rows


@pytest.mark.parametrize("words", ["off", "fields"])
def test_lora_mode_trains_only_adapters_item_rows_and_heads(le_data, words) -> None:
    config = tiny_config(train_base=False, steps=3, item_token_epochs=1, item_words=words)
    model, before, items_before, other_rows = _run_steps(config, le_data)
    moved, frozen = [], []
    for name, p in model.named_parameters():
        changed = not torch.equal(p.detach(), before[name])
        trainable = (
            ("lora_" in name)
            or ("trainable_tokens_delta" in name)
            or name.startswith(("state_proj", "score_head", "item_words"))
        )
        assert p.requires_grad == trainable, name
        (moved if changed else frozen).append(name)
        if not trainable:
            assert not changed, f"frozen base weight {name} changed"
    assert any("lora_B" in n for n in moved) and any("trainable_tokens_delta" in n for n in moved)
    assert any(n.startswith("score_head") for n in moved) and any(n.startswith("state_proj") for n in moved)
    assert any(n.startswith("item_words") for n in moved) == (words != "off")
    with torch.no_grad():
        assert not torch.allclose(model.item_embeddings(), items_before), "item-token rows did not move"
        rest = model.lm.get_input_embeddings()(torch.arange(model.prompts.offset))
        torch.testing.assert_close(rest, other_rows, atol=0, rtol=0)


def test_full_mode_trains_every_base_weight(le_data) -> None:
    config = tiny_config(steps=2, item_token_epochs=1)
    assert config.trains_base
    model, before, _, _ = _run_steps(config, le_data)
    assert all(p.requires_grad for p in model.parameters())
    assert not torch.equal(
        dict(model.named_parameters())["lm.model.layers.0.self_attn.q_proj.weight"],
        before["lm.model.layers.0.self_attn.q_proj.weight"],
    )


def test_user_subset_recorded(lora_ckpt, le_data) -> None:
    sessions = np.load(lora_ckpt / "user_sessions.npy")
    all_sessions = np.unique(transition_arrays(le_data["train"]).session_ids)
    assert len(sessions) == round(0.5 * len(all_sessions)) and np.isin(sessions, all_sessions).all()


def test_bad_training_input_is_a_clear_error(le_data, tmp_path) -> None:
    from learec.platform.le.trainer import train_le

    items = le_data["items"].slice(0, 20)
    with pytest.raises(ValueError, match="items table has 20 items"):
        train_le(tiny_config(steps=1), le_data["train"], items, tmp_path / "ckpt")
    assert not (tmp_path / "ckpt").exists()


@pytest.mark.parametrize(
    "scores, best_step", [([0.9, 0.5, 0.6], 0), ([0.5, 0.6, 0.9], 4), ([0.5, 0.9, 0.6], 2)]
)
def test_early_stopping_restores_the_best_evaluated_weights(le_data, scores, best_step) -> None:
    """Scores are read before training and every eval_every=2 steps; the best weights come back."""
    config = tiny_config(steps=4, eval_every=2, item_token_epochs=1)
    built = build_model(config, item_texts(le_data["items"]))
    model = built.model
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    snapshots: list[dict[str, torch.Tensor]] = []
    pending = iter(scores)

    def validate() -> float:
        snapshots.append({n: p.detach().clone() for n, p in model.named_parameters()})
        return next(pending)

    data = transition_arrays(le_data["train"])
    rng = np.random.default_rng(0)
    logs = train_state_reward(model, data, N_ITEMS, config, optim, rng, lambda *_: None, validate=validate)
    assert len(snapshots) == 3 and logs["best_step"] == best_step
    expected = snapshots[scores.index(max(scores))]
    for name, p in model.named_parameters():
        torch.testing.assert_close(p.detach(), expected[name], atol=0, rtol=0)
    assert not all(torch.equal(snapshots[0][n], snapshots[-1][n]) for n in expected), "nothing trained"
