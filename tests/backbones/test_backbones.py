"""Properties every sequence encoder must have: shape, padding invariance, row independence, learnability."""

from __future__ import annotations

import dataclasses
import typing

import pytest
import torch

from learec.rllib_algos import backbones
from learec.rllib_algos.backbones.registry import BackboneConfig, BackboneName, SequenceEncoder

N_ITEMS, STATE_LEN, HIDDEN = 30, 10, 16


@pytest.fixture(autouse=True)
def one_thread() -> typing.Iterator[None]:
    """Tiny tensors: intra-op threads only contend on a shared 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make(name: str, **overrides: typing.Any) -> SequenceEncoder:
    with torch.random.fork_rng():
        torch.manual_seed(0)
        config = BackboneConfig(name=name, hidden=HIDDEN, **overrides)
        return backbones.build(config, N_ITEMS, STATE_LEN)


def left_padded(histories: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    seq = torch.full((len(histories), STATE_LEN), N_ITEMS, dtype=torch.long)
    for row, items in enumerate(histories):
        if items:
            seq[row, -len(items) :] = torch.tensor(items)
    return seq, torch.tensor([len(h) for h in histories], dtype=torch.long)


HISTORIES = [[4, 9, 2], [7], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [29, 0], []]


def scramble_pad_row(enc: SequenceEncoder, seed: int = 1) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        enc.item_embedding.weight[N_ITEMS] = 10.0 * torch.randn(HIDDEN, generator=gen)


def test_registry_matches_config_names() -> None:
    assert backbones.names() == sorted(typing.get_args(BackboneName))


@pytest.mark.parametrize("name", backbones.names())
def test_output_shape_and_dtype(name: str) -> None:
    enc = make(name)
    seq, lengths = left_padded(HISTORIES)
    out = enc(seq, lengths)
    assert out.shape == (len(HISTORIES), HIDDEN)
    assert out.dtype == torch.float32
    assert torch.isfinite(out).all()
    assert enc.item_embedding.num_embeddings == N_ITEMS + 1
    assert enc.item_embedding.padding_idx == N_ITEMS
    assert (enc.hidden, enc.n_items, enc.state_len) == (HIDDEN, N_ITEMS, STATE_LEN)


@pytest.mark.parametrize("name", backbones.names())
def test_state_ignores_pad_row(name: str) -> None:
    """Left padding (pad_id = n_items) must never reach the state, whatever the pad row holds."""
    enc = make(name).eval()
    seq, lengths = left_padded(HISTORIES)
    with torch.no_grad():
        before = enc(seq, lengths)
        scramble_pad_row(enc)
        after = enc(seq, lengths)
    torch.testing.assert_close(after, before, atol=1e-6, rtol=0)


@pytest.mark.parametrize("name", backbones.names())
def test_state_ignores_pad_row_in_training_mode(name: str) -> None:
    """Same dropout draws (same seed), different pad row: same state, so training never sees padding."""
    enc = make(name).train()
    seq, lengths = left_padded(HISTORIES)
    outputs = []
    for seed in (None, 1):
        if seed is not None:
            scramble_pad_row(enc, seed)
        with torch.random.fork_rng():
            torch.manual_seed(7)
            outputs.append(enc(seq, lengths).detach())
    torch.testing.assert_close(outputs[1], outputs[0], atol=1e-6, rtol=0)


@pytest.mark.parametrize("name", backbones.names())
def test_state_ignores_ids_at_padded_positions(name: str) -> None:
    """The mask comes from ``lengths``: real ids left of the history are ignored like pads."""
    enc = make(name).eval()
    seq, lengths = left_padded([[4, 9, 2]])
    noisy = seq.clone()
    noisy[0, :-3] = torch.arange(STATE_LEN - 3)
    with torch.no_grad():
        torch.testing.assert_close(enc(noisy, lengths), enc(seq, lengths), atol=1e-6, rtol=0)


@pytest.mark.parametrize("name", backbones.names())
def test_state_depends_on_history(name: str) -> None:
    enc = make(name).eval()
    seq, lengths = left_padded([[4, 9, 2], [4, 9, 3], [9, 2], [4, 9, 2, 5]])
    with torch.no_grad():
        out = enc(seq, lengths)
    for other in range(1, 4):
        assert (out[0] - out[other]).abs().max() > 1e-6, f"row 0 and row {other} give the same state"


@pytest.mark.parametrize("name", backbones.names())
def test_empty_history_is_finite_and_pad_independent(name: str) -> None:
    enc = make(name).eval()
    seq, lengths = left_padded([[], []])
    seq[1] = torch.arange(STATE_LEN)  # ids behind a zero length are padding too
    with torch.no_grad():
        before = enc(seq, lengths)
        scramble_pad_row(enc)
        after = enc(seq, lengths)
    assert torch.isfinite(before).all()
    torch.testing.assert_close(after, before, atol=0, rtol=0)
    torch.testing.assert_close(before[0], enc.empty_state.detach(), atol=0, rtol=0)
    torch.testing.assert_close(before[1], before[0], atol=0, rtol=0)


@pytest.mark.parametrize("name", backbones.names())
def test_empty_history_has_finite_gradients(name: str) -> None:
    """A batch holding empty histories must train without NaN (SASRec: every key masked)."""
    enc = make(name).train()
    seq, lengths = left_padded(HISTORIES)
    (enc(seq, lengths) * torch.linspace(-1, 1, HIDDEN)).sum().backward()
    for pname, param in enc.named_parameters():
        if param.grad is not None:
            assert torch.isfinite(param.grad).all(), pname
    assert enc.empty_state.grad is not None and enc.empty_state.grad.abs().sum() > 0


@pytest.mark.parametrize("name", backbones.names())
def test_rows_are_independent(name: str) -> None:
    enc = make(name).eval()
    seq, lengths = left_padded(HISTORIES)
    with torch.no_grad():
        batch = enc(seq, lengths)
        alone = torch.cat([enc(seq[i : i + 1], lengths[i : i + 1]) for i in range(len(HISTORIES))])
        other_seq, other_len = left_padded([[4, 9, 2], [5, 5, 5, 5], [8], [11, 12, 13], [1]])
        mixed = enc(other_seq, other_len)
    torch.testing.assert_close(batch, alone, atol=1e-5, rtol=0)
    torch.testing.assert_close(mixed[0], batch[0], atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", backbones.names())
def test_adam_steps_lower_next_item_loss(name: str) -> None:
    """A tiny next-item problem (next = last + 1 mod N) is learnable through every backbone."""
    enc = make(name, dropout=0.0)
    head = torch.nn.Linear(HIDDEN, N_ITEMS)
    gen = torch.Generator().manual_seed(0)
    starts = torch.randint(0, N_ITEMS, (64,), generator=gen)
    lens = torch.randint(1, STATE_LEN + 1, (64,), generator=gen)
    histories = [[(int(s) + k) % N_ITEMS for k in range(int(n))] for s, n in zip(starts, lens, strict=True)]
    seq, lengths = left_padded(histories)
    target = torch.tensor([(h[-1] + 1) % N_ITEMS for h in histories])
    params = list(enc.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=0.01)

    def loss() -> torch.Tensor:
        return torch.nn.functional.cross_entropy(head(enc(seq, lengths)), target)

    with torch.no_grad():
        first = loss().item()
    for _ in range(40):
        opt.zero_grad()
        loss().backward()
        opt.step()
    with torch.no_grad():
        last = loss().item()
    assert last < 0.5 * first, f"{name}: loss {first:.3f} -> {last:.3f}"


def test_build_rejects_unknown_name() -> None:
    with pytest.raises(ValueError, match="gru4rec") as info:
        backbones.build(BackboneConfig(name="bert4rec"), N_ITEMS, STATE_LEN)  # type: ignore[arg-type]
    for known in backbones.names():
        assert known in str(info.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hidden", 0),
        ("hidden", -4),
        ("dropout", -0.1),
        ("dropout", 1.0),
        ("caser_filters", 0),
        ("caser_heights", ()),
        ("caser_heights", (0, 2)),
        ("caser_vertical", -1),
        ("nextitnet_dilations", ()),
        ("nextitnet_kernel", 0),
        ("sasrec_blocks", 0),
        ("sasrec_heads", 3),
    ],
)
def test_config_rejects_bad_values(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        dataclasses.replace(BackboneConfig(), **{field: value})


@pytest.mark.parametrize("name", backbones.names())
def test_forward_rejects_wrong_shapes(name: str) -> None:
    enc = make(name)
    seq, lengths = left_padded([[1, 2]])
    with pytest.raises(ValueError, match="seq"):
        enc(seq[:, 1:], lengths)
    with pytest.raises(ValueError, match="lengths"):
        enc(seq, lengths.repeat(2))


def test_count_parameters_counts_trainable_only() -> None:
    enc = make("gru4rec")
    total = backbones.count_parameters(enc)
    assert total == sum(p.numel() for p in enc.parameters())
    enc.item_embedding.weight.requires_grad_(False)
    assert backbones.count_parameters(enc) == total - (N_ITEMS + 1) * HIDDEN
    assert backbones.count_parameters(enc, trainable_only=False) == total


def test_gru4rec_matches_gru_over_true_items() -> None:
    """Packing the left-padded batch equals running the GRU on the unpadded history alone."""
    enc = make("gru4rec").eval()
    seq, lengths = left_padded(HISTORIES[:4])
    with torch.no_grad():
        out = enc(seq, lengths)
        for row, items in enumerate(HISTORIES[:4]):
            _, h = enc.gru(enc.item_embedding(torch.tensor([items])))
            torch.testing.assert_close(out[row], h[0, 0], atol=1e-6, rtol=0)


@pytest.mark.parametrize("name", ["gru4rec", "nextitnet", "sasrec"])
def test_state_equals_encoding_of_unpadded_history(name: str) -> None:
    """Padding acts as nothing, not as empty items: the state of a history with L - n pads equals the
    encoding of the n items alone. (Caser's vertical filter spans all L positions; it has its own test.)"""
    enc = make(name).eval()
    histories = HISTORIES[:4]
    seq, lengths = left_padded(histories)
    with torch.no_grad():
        out = enc(seq, lengths)
        for row, items in enumerate(histories):
            emb = enc.item_embedding(torch.tensor([items]))  # [1, n, H]
            alone = enc.encode(emb, torch.ones(1, len(items), dtype=torch.bool), torch.tensor([len(items)]))
            torch.testing.assert_close(out[row], alone[0], atol=1e-5, rtol=0)


def test_caser_pools_only_windows_inside_the_history() -> None:
    """Reference Caser on the unpadded history: max over full windows (0 if none), vertical weights
    aligned to the end of the state."""
    enc = make("caser").eval()
    histories = HISTORIES[:4]
    seq, lengths = left_padded(histories)
    with torch.no_grad():
        out = enc(seq, lengths)
        for row, items in enumerate(histories):
            emb = enc.item_embedding(torch.tensor(items))  # [n, H]
            feats = []
            for height, conv in zip(enc.heights, enc.horizontal, strict=True):
                if len(items) < height:
                    feats.append(torch.zeros(conv.out_channels))
                else:
                    feats.append(torch.relu(conv(emb.T[None]))[0].amax(dim=1))
            weight = enc.vertical.weight[:, 0, STATE_LEN - len(items) :, 0]  # [V, n]
            feats.append((weight @ emb + enc.vertical.bias[:, None]).flatten())
            torch.testing.assert_close(out[row], enc.out(torch.cat(feats)), atol=1e-5, rtol=0)


def test_sasrec_positions_count_from_the_end() -> None:
    """The last item always takes position 0, so one history gets the same state in any state_len."""
    short = make("sasrec").eval()
    with torch.random.fork_rng():
        torch.manual_seed(0)
        long = backbones.build(BackboneConfig(name="sasrec", hidden=HIDDEN), N_ITEMS, STATE_LEN + 5).eval()
    state = short.state_dict()
    grown = long.state_dict()
    grown["position_embedding.weight"][:STATE_LEN] = state.pop("position_embedding.weight")
    grown.update(state)
    long.load_state_dict(grown)
    seq, lengths = left_padded(HISTORIES)
    longer_seq = torch.cat([torch.full((len(HISTORIES), 5), N_ITEMS), seq], dim=1)
    with torch.no_grad():
        torch.testing.assert_close(long(longer_seq, lengths), short(seq, lengths), atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("caser", {"caser_heights": (1, 12), "caser_vertical": 0}),  # a filter taller than the state
        ("caser", {"caser_vertical": 3}),
        ("nextitnet", {"nextitnet_kernel": 1, "nextitnet_dilations": (1,)}),
        ("nextitnet", {"nextitnet_dilations": (1, 4, 8)}),
        ("sasrec", {"sasrec_blocks": 3, "sasrec_heads": 4}),
    ],
)
def test_non_default_settings_keep_the_contract(name: str, overrides: dict[str, typing.Any]) -> None:
    enc = make(name, **overrides).eval()
    seq, lengths = left_padded(HISTORIES)
    with torch.no_grad():
        before = enc(seq, lengths)
        scramble_pad_row(enc)
        after = enc(seq, lengths)
    assert before.shape == (len(HISTORIES), HIDDEN) and torch.isfinite(before).all()
    torch.testing.assert_close(after, before, atol=1e-6, rtol=0)
