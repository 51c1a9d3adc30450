"""LEConfig: every knob of the language-model environment (LE), documented once.

Objective (our reconstruction of LEA, see notes/LEA.md §3):

    L_item = -Σ_k log p(w_k | <item_i>, "is:", w_<k)                     (item tokens, item text)
    L_sm   = CE(softmax_j(<S_t, e(j)> / τ), a⁺_t)                          (state model)
    L_rm   = -log σ(r(s_t, a⁺) - r(s_t, a⁻)) + c · mean((r⁺ + r⁻)²)       (reward model, Bradley-Terry)

with s_t the LM's last hidden state at the prompt's end and the state S_t = W s_t + diag(u) · mean_{i in
history} e(i) (the pooled term only with ``history_pool``, on by default for the tiny base). The item
vector e(j) is the item token's row, plus with ``item_words`` the mean of learned vectors of the words of
its text (shared by every item with the word: item_words.py). With ``future_targets`` L_sm also scores the
session's later actions (state_model.py).

What trains: on a pretrained base (SmolLM2, a local HF dir) LoRA adapters, the item-token rows
(``trainable_token_indices``), the state projections W (and u) and the score head f; the base weights
stay frozen.
On the random ``tiny`` base ``train_base`` (default on for tiny) trains every weight instead, because a
random base has no knowledge to preserve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from learec.platform.common.fields import Checked, opt

TINY = "tiny"
SMOLLM2 = "smollm2-135m"


@dataclass(frozen=True)
class LEConfig(Checked):
    backbone: str = opt(
        TINY, "tiny (random decoder built on the spot) | smollm2-135m | a local HF causal-LM dir"
    )
    models_dir: str | None = opt(
        None, "cache folder of `learec models get` (default $LEAREC_MODELS_DIR or ~/.cache/learec/models)"
    )
    # tiny decoder ---------------------------------------------------------------------------------------
    tiny_hidden: int = opt(128, "tiny decoder: hidden size", ge=1, le=8192)
    tiny_layers: int = opt(2, "tiny decoder: transformer layers", ge=1, le=64)
    tiny_heads: int = opt(4, "tiny decoder: attention heads", ge=1)
    tiny_kv_heads: int = opt(2, "tiny decoder: key/value heads (grouped-query attention)", ge=1)
    tiny_intermediate: int = opt(256, "tiny decoder: MLP width", ge=1, le=32768)
    tiny_vocab: int = opt(
        1000, "tiny decoder: BPE vocabulary trained on the catalogue text (item tokens extra)", ge=300
    )
    train_base: bool | None = opt(
        None, "train all base weights too (no LoRA); default: yes for the random tiny base, no otherwise"
    )
    # LoRA -----------------------------------------------------------------------------------------------
    lora_r: int = opt(8, "LoRA rank", ge=1)
    lora_alpha: int = opt(16, "LoRA alpha (scale alpha/r)", ge=1)
    lora_dropout: float = opt(0.05, "LoRA dropout (training only)", ge=0, lt=1)
    lora_targets: tuple[str, ...] = opt((), "LoRA target modules; empty: detected (q_proj,v_proj for Llama)")
    # data -----------------------------------------------------------------------------------------------
    user_fraction: float = opt(0.1, "share of TRAIN sessions used to adapt the LE (seeded)", gt=0, le=1)
    max_history: int = opt(10, "items of the state shown to the LE (<= the data's state_len)", ge=1, le=1000)
    max_text_tokens: int = opt(32, "item text tokens used to learn each item token", ge=1, le=4096)
    # training -------------------------------------------------------------------------------------------
    item_token_epochs: int = opt(4, "epochs over the catalogue text for the item tokens", ge=0)
    steps: int = opt(600, "joint state-model + reward-model steps on the user subset", ge=0)
    epochs: float | None = opt(
        None,
        "budget scaled to the data: passes over the subset's transitions for the state/reward steps; "
        "when set it replaces steps (steps = ceil(epochs * transitions / batch_size))",
        gt=0,
        le=100_000,
    )
    batch_size: int = opt(32, "transitions (or item texts) per step", ge=1, le=65536)
    lr: float = opt(3e-3, "AdamW learning rate (heads, adapters, item rows)", gt=0)
    weight_decay: float = opt(0.0, "AdamW weight decay", ge=0)
    n_negatives: int = opt(4, "sampled un-interacted items per positive in L_rm", ge=1)
    temperature: float = opt(0.1, "τ of the state-model softmax over item tokens", gt=0)
    centering_coeff: float = opt(0.01, "c of the reward centring term c·mean((r⁺ + r⁻)²)", ge=0)
    sm_weight: float = opt(1.0, "weight of L_sm in the joint loss", ge=0)
    rm_weight: float = opt(1.0, "weight of L_rm in the joint loss", ge=0)
    future_targets: int = opt(
        0, "state model: also predict each of the session's next N actions after a⁺ (0: off)", ge=0, le=1000
    )
    future_weight: float = opt(0.5, "weight of the later actions' cross-entropy in L_sm", ge=0)
    reward_state_term: bool = opt(
        True, "reward adds β·<S_t, e(a)> (β learned, starts at 1/τ) to the head on the action token"
    )
    item_text_compose: bool = opt(
        False, "item vectors of the state/reward models add the mean embedding of the item's text tokens"
    )
    item_words: str = opt(
        "fields",
        "item vectors add the mean of learned per-word vectors of the item's text, shared by items: "
        "off | words | fields (words of 'Label: value' sentences qualified by their label; the default, "
        "chosen on val: EXPERIMENTS.md 'Item words')",
        choices=("off", "words", "fields"),
    )
    item_word_min_items: int = opt(2, "item words: keep words that occur in at least this many items", ge=1)
    item_words_in_prompt: bool = opt(
        False, "item words: the decoder's input vector of each item token adds its words too"
    )
    item_row_dropout: float = opt(
        0.3,
        "training only: drop each item's own row from its item vector with this probability, so the "
        "shared item words must carry the ranking (0: off; used only with item words)",
        ge=0,
        lt=1,
    )
    history_pool: bool | None = opt(
        None,
        "state adds diag(u)·(mean item vector of the history), u learned from a constant (bag-of-items); "
        "default: yes on the tiny base, no on a pretrained one (it hurt SmolLM2 at 300 LoRA steps)",
    )
    item_text_weight: float = opt(
        0.0,
        "weight of the item-text loss kept during the state/reward steps (keeps item tokens grounded)",
        ge=0,
    )
    eval_every: int = opt(
        100, "early stopping: score held-out pairs every N steps and keep the best weights (0: off)", ge=0
    )
    heldout_pairs: int = opt(
        512, "held-out (a⁺, a⁻) pairs for reward stats and pairwise accuracy", ge=1, le=10_000_000
    )
    # inference ------------------------------------------------------------------------------------------
    candidate_factor: int = opt(
        3, "positive actions: re-score candidate_factor·k state-model candidates", ge=1
    )
    infer_batch_size: int = opt(256, "rows per forward pass at inference", ge=1, le=65536)
    seed: int = opt(0, "seed of the base init, user subset, sampling and negatives")
    device: str = opt("cpu", "torch device for training: cpu | cuda | cuda:0 ...")
    threads: int | None = opt(None, "torch CPU threads while training (default: torch's)", ge=1)

    def __post_init__(self) -> None:
        super().__post_init__()  # declared ranges (opt ge/gt/le/lt); rules across fields below
        if not self.backbone:
            raise ValueError("le.backbone must be 'tiny', 'smollm2-135m' or a local HF model folder")
        if self.tiny_hidden % self.tiny_heads or self.tiny_heads % self.tiny_kv_heads:
            raise ValueError(
                f"le.tiny_hidden ({self.tiny_hidden}) must divide by le.tiny_heads ({self.tiny_heads}), "
                f"which must divide by le.tiny_kv_heads ({self.tiny_kv_heads})"
            )

    @property
    def is_tiny(self) -> bool:
        return self.backbone == TINY

    @property
    def trains_base(self) -> bool:
        """Whether every base weight trains (tiny default) or only LoRA + item rows + heads."""
        return self.is_tiny if self.train_base is None else bool(self.train_base)

    def steps_for(self, transitions: int) -> int:
        """State/reward steps: ``steps``, or with ``epochs`` set, enough batches for that many passes."""
        if self.epochs is None:
            return self.steps
        return max(1, math.ceil(self.epochs * transitions / self.batch_size))

    @property
    def pools_history(self) -> bool:
        """Whether the state adds the pooled history term (``history_pool``; tiny default)."""
        return self.is_tiny if self.history_pool is None else bool(self.history_pool)
