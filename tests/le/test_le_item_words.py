"""Item words: the word vocabulary of the catalogue text, shared word vectors in the item vectors (and the
decoder's inputs), their checkpoint round trip, and what they are for: items the user subset never shows
are scored by their words."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from le.toy_data import N_CATEGORIES, N_ITEMS, tiny_config, toy_transitions

from learec.platform.le.config import LEConfig
from learec.platform.le.environment import LanguageEnvironment
from learec.platform.le.item_tokens import item_texts
from learec.platform.le.item_words import ItemWords, text_words, word_table
from learec.platform.le.pairs import transition_arrays
from learec.platform.le.state_model import state_loss
from learec.platform.le.trainer import build_model, train_le

SHOP_TEXTS = [
    "Navy Wool Sock. Category: outdoor > socks. Colour: navy. Rating: 4.2/5.",
    "Navy Steel Knife. Category: kitchen > knives. Colour: navy. Rating: 3.9/5.",
    "Star Wars: Episode IV (1977). Category: outdoor > socks. Colour: sand. Rating: 4.2/5.",
]


def test_fields_qualify_words_of_recurring_labels_only() -> None:
    words = text_words(SHOP_TEXTS, "fields")
    assert words[0] == [
        "navy", "wool", "sock", "category:outdoor", "category:socks", "colour:navy",
        "rating:4.2", "rating:4.~", "rating:5",
    ]  # fmt: skip
    # "Star Wars:" heads one sentence of one item: plain text, not a field; numbers also come coarse.
    assert words[2][:6] == ["star", "wars", "episode", "iv", "1977", "197~"]
    plain = ["navy", "steel", "knife", "kitchen", "knives", "3.9", "3.~", "5"]
    assert text_words(SHOP_TEXTS, "words")[1] == plain


def test_vocabulary_keeps_words_shared_by_items() -> None:
    table = word_table(SHOP_TEXTS, "fields", min_items=2)
    shared = {"category:outdoor", "category:socks", "colour:navy", "rating:4.2", "rating:4.~", "rating:5"}
    assert set(table.words) == {"navy", *shared}
    named = [[table.words[i] for i in row if i >= 0] for row in table.ids.tolist()]
    assert named[1] == ["navy", "colour:navy", "rating:5"] and table.ids.shape == (3, 7)
    assert word_table(SHOP_TEXTS, "fields", min_items=4).ids.eq(-1).all()  # no word is that common
    with pytest.raises(ValueError, match="off"):
        LEConfig(item_words="bag")


def test_item_word_vector_is_the_mean_of_its_words() -> None:
    ids = torch.tensor([[0, 1], [1, -1], [-1, -1]])
    words = ItemWords(ids, n_words=2, dim=3)
    with torch.no_grad():
        words.embedding.weight.copy_(torch.tensor([[1.0, 0, 0], [0, 2.0, 0]]))
    out = words(torch.tensor([0, 1, 2]))
    torch.testing.assert_close(out, torch.tensor([[0.5, 1.0, 0], [0, 2.0, 0], [0, 0, 0]]))
    words.match_scale(torch.ones(3, 3))  # rows of squared norm 3 -> items' word vectors too (items 0, 1)
    assert float(words(torch.tensor([0, 1])).detach().pow(2).sum(-1).mean()) == pytest.approx(3.0)


def test_one_items_transition_moves_every_item_with_its_words(le_data) -> None:
    """The point of shared words: a gradient on item 0's logit reaches item 4 (same category words)."""
    texts = item_texts(le_data["items"])
    for mode, reaches in (("fields", True), ("off", False)):
        model = build_model(tiny_config(item_words=mode), texts).model
        before = model.item_vectors().detach().clone()
        optim = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1.0)
        enc = model.encode(np.array([[N_ITEMS] * 9 + [8]]), np.array([1]))
        loss = state_loss(model.state(enc), model.item_vectors(), torch.tensor([0]), 0.1)
        optim.zero_grad()
        loss.backward()
        # Only item 0's row and the words may move: freeze the rest of the network for the comparison.
        for name, p in model.named_parameters():
            if name.startswith("lm.") and "embed_tokens" not in name:
                p.grad = None
        grad = model.lm.get_input_embeddings().weight.grad
        keep = torch.zeros_like(grad)
        keep[model.prompts.offset] = 1.0  # item 0's row
        grad.mul_(keep)
        optim.step()
        after = model.item_vectors().detach()
        moved = not torch.allclose(after[4], before[4])  # item 4: same category as item 0 (item % 4)
        assert moved == reaches, mode


def test_words_in_prompt_feed_the_decoder(le_data) -> None:
    texts = item_texts(le_data["items"])
    states, lengths = np.array([[N_ITEMS] * 8 + [1, 5]]), np.array([2])
    for in_prompt in (True, False):
        model = build_model(tiny_config(item_words="fields", item_words_in_prompt=in_prompt), texts).model
        model.eval()
        with torch.no_grad():
            before = model.encode(states, lengths).hidden.clone()
            model.item_words.embedding.weight.add_(1.0)
            after = model.encode(states, lengths).hidden
        assert (not torch.allclose(before, after)) == in_prompt


def test_item_row_dropout_drops_own_rows_in_training_only(le_data) -> None:
    """Training: a dropped item's vector is its words alone, a kept one its row scaled by 1/(1-p) plus its
    words; evaluation: row plus words, untouched."""
    texts = item_texts(le_data["items"])
    model = build_model(tiny_config(item_words="fields", item_row_dropout=0.5), texts).model
    items = torch.arange(N_ITEMS)
    with torch.no_grad():
        rows = model.item_embeddings()
        words = model.item_words(items)
        model.eval()
        assert torch.allclose(model.item_vectors(), rows + words)
        model.train()
        torch.manual_seed(0)
        trained = model.item_vectors()
    dropped = torch.isclose(trained, words).all(-1)
    kept = torch.isclose(trained, 2.0 * rows + words).all(-1)
    assert bool((dropped | kept).all()) and 0 < int(dropped.sum()) < N_ITEMS
    # Without item words a dropped item would have no vector: the option is not applied.
    plain = build_model(tiny_config(item_words="off", item_row_dropout=0.5), texts).model
    plain.train()
    with torch.no_grad():
        assert torch.equal(plain.item_vectors(), plain.item_embeddings())


@pytest.fixture(scope="module")
def unseen_items_setup(le_data, tmp_path_factory):
    """Train LEs on sessions that never touch items 32-39; held-out sessions of the same categories do."""
    train = toy_transitions(240, seed=1, n_items=32)  # items 0-31 only, categories by item % 4
    heldout = le_data["heldout"]
    root = tmp_path_factory.mktemp("le_words")
    ckpts = {}
    for mode in ("off", "fields"):
        cfg = tiny_config(item_words=mode, steps=150, eval_every=0)
        ckpts[mode] = train_le(cfg, train, le_data["items"], root / mode, heldout_transitions=heldout)
    return ckpts


def test_unseen_items_are_scored_by_their_words(unseen_items_setup) -> None:
    """For a state of one category, an item never seen in training outscores unseen items of other
    categories with words (chance without them)."""
    accs = {}
    for mode, ckpt in unseen_items_setup.items():
        env = LanguageEnvironment.load(ckpt)
        rng = np.random.default_rng(0)
        unseen = np.arange(32, N_ITEMS)
        hits = []
        for cat in range(N_CATEGORIES):
            hist = rng.choice(np.arange(cat, 32, N_CATEGORIES), size=(16, 3))
            states = np.concatenate([np.full((16, 7), N_ITEMS), hist], 1)
            same = unseen[unseen % N_CATEGORIES == cat]
            other = unseen[unseen % N_CATEGORIES != cat]
            pairs = np.stack([rng.choice(same, 16), rng.choice(other, 16)], 1)
            r = env.reward(states, np.full(16, 3), pairs)
            hits.append(r[:, 0] > r[:, 1])
        accs[mode] = float(np.mean(hits))
        manifest = json.loads((ckpt / "manifest.json").read_text())
        assert (manifest["item_words"] is None) == (mode == "off")
    assert accs["fields"] > 0.75 and accs["fields"] > accs["off"] + 0.15, accs


def test_checkpoint_with_item_words_reloads_identically(unseen_items_setup, le_data) -> None:
    from learec.platform.le.checkpoint import load_le_model

    ckpt = unseen_items_setup["fields"]
    a = transition_arrays(le_data["heldout"]).take(np.arange(12))
    env = LanguageEnvironment.load(ckpt)
    model, _, manifest = load_le_model(ckpt)
    assert manifest["item_words"]["words"] == model.item_words.n_words > 0
    with torch.inference_mode():
        again = model.rewards(model.encode(a.states, a.lengths), torch.tensor(a.actions)[:, None])
    np.testing.assert_allclose(
        env.reward(a.states, a.lengths, a.actions), env._normalise(again)[:, 0], atol=1e-6
    )


def test_checkpoint_from_before_item_words_loads_as_before(le_data, tmp_path) -> None:
    cfg = tiny_config(steps=5, eval_every=0, item_words="off")
    ckpt = train_le(cfg, le_data["train"], le_data["items"], tmp_path / "c")
    a = transition_arrays(le_data["heldout"]).take(np.arange(8))
    before = LanguageEnvironment.load(ckpt).reward(a.states, a.lengths, a.actions)
    manifest = json.loads((ckpt / "manifest.json").read_text())
    for name in ("item_words", "item_word_min_items", "item_words_in_prompt", "epochs"):
        del manifest["config"][name]
    del manifest["item_words"]
    (ckpt / "manifest.json").write_text(json.dumps(manifest))
    env = LanguageEnvironment.load(ckpt)
    assert env.config.item_words == "off" and env._model.item_words is None
    np.testing.assert_allclose(env.reward(a.states, a.lengths, a.actions), before, atol=1e-6)
