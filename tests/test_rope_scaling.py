"""Checks notebooks/rope_scaling.py against transformers' own RoPE code and the seed patch."""

import importlib.util
import math
from pathlib import Path

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

_spec = importlib.util.spec_from_file_location(
    "rope_scaling", Path(__file__).resolve().parents[1] / "notebooks" / "rope_scaling.py"
)
rs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rs)

DIM, BASE, TRAINED = 32, 10000.0, 128
FACTORS = [2.0, 4.0, 8.0]


def llama_config(rope_parameters, max_position_embeddings=TRAINED, hidden=64, layers=1):
    """A small LlamaConfig whose rotary dim is DIM."""
    return LlamaConfig(
        vocab_size=256,
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=hidden // DIM,
        num_key_value_heads=hidden // DIM,
        head_dim=DIM,
        max_position_embeddings=max_position_embeddings,
        rope_parameters={"rope_theta": BASE, **rope_parameters},
    )


def seed_patch_transcription(base, dim, seq_len):
    """The seed's inv_freq arithmetic copied line by line (for seq_len > cached length)."""
    alpha = seq_len / 1024 - 1
    base = base * alpha ** (dim / (dim - 2))
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
    return inv_freq


def assert_close(actual, expected):
    torch.testing.assert_close(actual, expected, rtol=1e-6, atol=1e-6)


def test_plain_rope_matches_llama_rotary_module():
    rotary = LlamaRotaryEmbedding(llama_config({"rope_type": "default"}))
    assert_close(rs.rope_inv_freq(DIM, BASE), rotary.inv_freq)


@pytest.mark.parametrize("factor", FACTORS)
def test_linear_matches_transformers(factor):
    config = llama_config({"rope_type": "linear", "factor": factor})
    expected, _ = ROPE_INIT_FUNCTIONS["linear"](config)
    assert_close(rs.linear_inv_freq(DIM, BASE, factor), expected)
    assert_close(rs.linear_inv_freq(DIM, BASE, factor), LlamaRotaryEmbedding(config).inv_freq)


@pytest.mark.parametrize("factor", FACTORS)
def test_static_ntk_is_plain_rope_with_ntk_theta(factor):
    theta = BASE * factor ** (DIM / (DIM - 2))
    config = llama_config({"rope_type": "default", "rope_theta": theta})
    assert_close(rs.ntk_inv_freq(DIM, BASE, factor), LlamaRotaryEmbedding(config).inv_freq)


@pytest.mark.parametrize("factor", FACTORS)
def test_static_ntk_keeps_highest_and_slows_lowest_by_s(factor):
    plain, ntk = rs.rope_inv_freq(DIM, BASE), rs.ntk_inv_freq(DIM, BASE, factor)
    assert ntk[0] == plain[0]
    assert math.isclose((plain[-1] / ntk[-1]).item(), factor, rel_tol=1e-6)
    assert torch.all(ntk[1:] < plain[1:])


@pytest.mark.parametrize("seq_len", [200, 256, 512, 1024, 1500])
@pytest.mark.parametrize("factor", [1.5, 2.0, 4.0])
def test_dynamic_matches_transformers_init_function(seq_len, factor):
    config = llama_config({"rope_type": "dynamic", "factor": factor})
    expected, _ = ROPE_INIT_FUNCTIONS["dynamic"](config, seq_len=seq_len)
    assert_close(rs.dynamic_ntk_inv_freq(DIM, BASE, seq_len, TRAINED, factor), expected)


@pytest.mark.parametrize("seq_len", [256, 1024])
def test_dynamic_matches_rotary_module_forward(seq_len):
    """The rotary module recomputes its frequencies from the positions it sees."""
    rotary = LlamaRotaryEmbedding(llama_config({"rope_type": "dynamic", "factor": 2.0}))
    rotary(torch.zeros(1, seq_len, DIM), torch.arange(seq_len)[None])
    assert_close(rs.dynamic_ntk_inv_freq(DIM, BASE, seq_len, TRAINED, 2.0), rotary.inv_freq)


def test_dynamic_is_plain_rope_up_to_trained_length():
    plain = rs.rope_inv_freq(DIM, BASE)
    for seq_len in range(1, TRAINED + 1):
        assert torch.equal(rs.dynamic_ntk_inv_freq(DIM, BASE, seq_len, TRAINED), plain)
    assert not torch.equal(rs.dynamic_ntk_inv_freq(DIM, BASE, TRAINED + 1, TRAINED), plain)


@pytest.mark.parametrize("factor", FACTORS)
def test_yarn_matches_transformers(factor):
    config = llama_config(
        {"rope_type": "yarn", "factor": factor, "original_max_position_embeddings": TRAINED},
        max_position_embeddings=int(TRAINED * factor),
    )
    expected, attention = ROPE_INIT_FUNCTIONS["yarn"](config)
    assert_close(rs.yarn_inv_freq(DIM, BASE, factor, TRAINED), expected)
    assert math.isclose(rs.yarn_attention_factor(factor), attention, rel_tol=1e-9)


@pytest.mark.parametrize("seq_len", [2049, 3000, 4096, 8192])
def test_seed_patch_reproduced_as_written(seq_len):
    assert_close(rs.seed_inv_freq(DIM, BASE, seq_len, 2048), seed_patch_transcription(BASE, DIM, seq_len))
    assert_close(rs.seed_inv_freq(128, BASE, seq_len, 2048), seed_patch_transcription(BASE, 128, seq_len))


@pytest.mark.parametrize("seq_len", [4096, 8192])
def test_seed_patch_is_dynamic_ntk_for_llama1_only(seq_len):
    """alpha = L/1024 - 1 equals dynamic NTK with factor 2 at a trained length of 2048, not 128."""
    assert_close(rs.seed_inv_freq(128, BASE, seq_len, 2048), rs.dynamic_ntk_inv_freq(128, BASE, seq_len, 2048, 2.0))
    dynamic_short = rs.dynamic_ntk_inv_freq(128, BASE, seq_len, TRAINED, 2.0)
    assert not torch.allclose(rs.seed_inv_freq(128, BASE, seq_len, TRAINED), dynamic_short)


def test_seed_patch_breaks_for_short_trained_context():
    assert torch.equal(rs.seed_inv_freq(DIM, BASE, TRAINED, TRAINED), rs.rope_inv_freq(DIM, BASE))
    assert isinstance(rs.seed_base(BASE, DIM, 2 * TRAINED), complex)  # alpha < 0
    assert rs.seed_base(BASE, DIM, 1024) == 0.0  # alpha == 0
    assert not torch.isfinite(seed_patch_transcription(BASE, DIM, 1024)).all()
    for seq_len in (2 * TRAINED, 4 * TRAINED, 8 * TRAINED):
        assert rs.seed_inv_freq(DIM, BASE, seq_len, TRAINED) is None


def _logits(model, ids):
    with torch.inference_mode():
        return model(input_ids=ids).logits


@pytest.mark.parametrize(
    "method,rope_parameters",
    [
        ("rope", {"rope_type": "default"}),
        ("pi", {"rope_type": "linear", "factor": 4.0}),
        ("ntk", {"rope_type": "default", "rope_theta": BASE * 4.0 ** (DIM / (DIM - 2))}),
        ("dynamic", {"rope_type": "dynamic", "factor": 2.0}),
        ("yarn", {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": TRAINED}),
    ],
)
def test_apply_method_gives_same_logits_as_transformers_config(method, rope_parameters):
    """Swapping frequencies into a plain model equals building the model with that rope config."""
    seq_len = 4 * TRAINED
    torch.manual_seed(0)
    plain = LlamaForCausalLM(llama_config({"rope_type": "default"}, layers=2)).eval()
    reference = LlamaForCausalLM(llama_config(rope_parameters, layers=2)).eval()
    reference.load_state_dict(plain.state_dict())
    ids = torch.randint(0, 256, (2, seq_len))
    assert rs.apply_method(plain, method, seq_len, TRAINED)
    torch.testing.assert_close(_logits(plain, ids), _logits(reference, ids), rtol=1e-4, atol=1e-4)


def test_apply_method_refuses_broken_seed_and_leaves_model_alone():
    model = LlamaForCausalLM(llama_config({"rope_type": "default"})).eval()
    before = model.model.rotary_emb.inv_freq.clone()
    assert not rs.apply_method(model, "seed", 2 * TRAINED, TRAINED)
    assert torch.equal(model.model.rotary_emb.inv_freq, before)


def test_apply_method_rejects_models_that_already_scale_rope():
    model = LlamaForCausalLM(llama_config({"rope_type": "linear", "factor": 2.0}))
    with pytest.raises(ValueError):
        rs.apply_method(model, "ntk", 2 * TRAINED, TRAINED)
