from __future__ import annotations

import pytest

from learec.platform.common.fields import from_dict
from learec.platform.le.backbone import lora_targets
from learec.platform.le.config import LEConfig


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("user_fraction", 0.0),
        ("user_fraction", 1.5),
        ("temperature", 0.0),
        ("n_negatives", 0),
        ("lr", -1.0),
        ("lora_dropout", 1.0),
        ("tiny_heads", 3),
    ],
)
def test_bad_values_name_the_field(field, value) -> None:
    with pytest.raises(ValueError, match=field):
        LEConfig(**{field: value})


def test_defaults_and_yaml_round_trip() -> None:
    cfg = from_dict(LEConfig, {"backbone": "tiny", "lora_targets": "q_proj,v_proj", "train_base": "false"})
    assert cfg.lora_targets == ("q_proj", "v_proj") and cfg.trains_base is False
    assert LEConfig().trains_base and not LEConfig(backbone="smollm2-135m").trains_base
    assert LEConfig().pools_history and not LEConfig(backbone="smollm2-135m").pools_history
    assert LEConfig(backbone="smollm2-135m", history_pool=True).pools_history


def test_unknown_local_backbone_is_a_clear_error(tmp_path) -> None:
    from learec.platform.le.backbone import resolve_path

    with pytest.raises(ValueError, match="local Hugging Face model folder"):
        resolve_path(LEConfig(backbone=str(tmp_path / "nope")))
    with pytest.raises(ValueError, match="learec models get"):
        resolve_path(LEConfig(backbone="smollm2-135m", models_dir=str(tmp_path)))


def test_lora_targets_detected_for_llama_and_gpt2() -> None:
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    llama = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=50,
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=1,
        )
    )
    assert lora_targets(llama) == (["q_proj", "v_proj"], False)
    gpt2 = GPT2LMHeadModel(GPT2Config(vocab_size=50, n_embd=16, n_layer=1, n_head=2, n_positions=32))
    assert lora_targets(gpt2) == (["c_attn"], True)
    with pytest.raises(ValueError, match="not modules"):
        lora_targets(gpt2, ("q_proj",))
