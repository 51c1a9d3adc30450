"""Causal-LM backbones: a tiny random decoder built on the spot, or a local Hugging Face folder.

Only local folders are ever passed to ``from_pretrained`` (no hub access: notes/MODELS.md). Weights are
loaded in fp32, the fast path on CPU.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from learec.platform.le.config import SMOLLM2, LEConfig

log = logging.getLogger(__name__)

SPECIALS = ("<unk>", "<s>", "</s>", "<pad>")
# Words the prompts use; the tiny tokenizer learns them next to the catalogue text.
PROMPT_WORDS = ("history:", " next:", " is:")

# LoRA targets by the attention projections a model has (GPT-2's Conv1D needs fan_in_fan_out).
_KNOWN_TARGETS = (
    (("q_proj", "v_proj"), False),  # Llama, Mistral, Qwen, Gemma, SmolLM2
    (("c_attn",), True),  # GPT-2
    (("query_key_value",), False),  # GPT-NeoX, Falcon
)


def build_tiny(texts: Sequence[str], config: LEConfig) -> tuple[Any, Any]:
    """A random Llama decoder and a byte-level BPE trained on ``texts`` (notes/MODELS.md §4).

    Deterministic for fixed texts and ``config.seed``.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=config.tiny_vocab,
        special_tokens=list(SPECIALS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator([*PROMPT_WORDS, *texts], trainer)
    tok = PreTrainedTokenizerFast(
        tokenizer_object=bpe, unk_token="<unk>", bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )
    lm_config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=config.tiny_hidden,
        intermediate_size=config.tiny_intermediate,
        num_hidden_layers=config.tiny_layers,
        num_attention_heads=config.tiny_heads,
        num_key_value_heads=config.tiny_kv_heads,
        max_position_embeddings=512,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        tie_word_embeddings=False,
    )
    with torch.random.fork_rng(devices=[]):  # seed the init without touching the caller's global RNG
        torch.manual_seed(config.seed)
        model = LlamaForCausalLM(lm_config)
    return model.float(), tok


def resolve_path(config: LEConfig) -> Path:
    """The local folder of a pretrained backbone named by ``config.backbone``."""
    if config.backbone == SMOLLM2:
        from learec.platform.le.models_get import converted_dir

        path = converted_dir(SMOLLM2, config.models_dir)
        if not (path / "config.json").is_file():
            raise ValueError(
                f"SmolLM2-135M is not at {path}; fetch it once with `learec models get smollm2-135m`"
            )
        return path
    path = Path(config.backbone).expanduser()
    if not (path / "config.json").is_file():
        raise ValueError(
            f"le.backbone {config.backbone!r} is neither 'tiny', 'smollm2-135m' nor a local Hugging Face "
            "model folder with config.json"
        )
    return path


def load_local(path: Path) -> tuple[Any, Any]:
    """A causal LM and its tokenizer from a local folder, fp32, offline."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32, local_files_only=True)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token if tok.eos_token is not None else tok.unk_token
    return model, tok


def dir_hash(path: Path) -> str:
    """sha256 over a model folder's config and weight files (names and bytes), for manifests."""
    h = hashlib.sha256()
    for f in sorted(path.iterdir()):
        if f.is_file() and (f.name == "config.json" or f.suffix in (".safetensors", ".bin")):
            h.update(f.name.encode())
            with f.open("rb") as fh:
                for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


def lora_targets(model: Any, configured: Sequence[str] = ()) -> tuple[list[str], bool]:
    """LoRA target module names and ``fan_in_fan_out`` for ``model`` (configured names win)."""
    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    if configured:
        missing = sorted(set(configured) - names)
        if missing:
            raise ValueError(f"le.lora_targets {missing} are not modules of this backbone")
        return list(configured), "c_attn" in configured
    for targets, fan_in_fan_out in _KNOWN_TARGETS:
        if set(targets) <= names:
            return list(targets), fan_in_fan_out
    raise ValueError(
        "cannot detect LoRA targets for this backbone; set le.lora_targets to its attention projection names"
    )


def decoder_of(lm: Any) -> Any:
    """The transformer body (without the LM head) of a causal LM, possibly wrapped by peft."""
    base = lm.get_base_model() if hasattr(lm, "get_base_model") else lm
    return getattr(base, base.base_model_prefix)
