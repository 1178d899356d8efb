"""notebooks/smollm2_rope.py on the real SmolLM2-135M GGUF: loading, per-method RoPE, scoring, passkey.

Short forward passes only (at most 512 tokens); the long runs are benchmarks/smollm2_long.py. To see a
method change anything within 512 tokens, the methods are applied as if the model had been trained at
256 tokens, which is how they behave at any multiple of the real 8192.
"""

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
sys.path.insert(0, str(NOTEBOOKS))  # as the notebook does: smollm2_rope imports its neighbour rope_scaling


def _module(name):
    spec = importlib.util.spec_from_file_location(name, NOTEBOOKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sm = _module("smollm2_rope")
rs = _module("rope_scaling")
SHORT, LONG = 256, 512  # "trained" and evaluation lengths of the short forward passes


@pytest.fixture(scope="module")
def loaded():
    """The real GGUF, dequantized once (about 20 s) for every test here."""
    torch.manual_seed(0)
    return sm.load()


@pytest.fixture(scope="module")
def text_ids(loaded):
    _, tokenizer = loaded
    text = (NOTEBOOKS / "data" / "python_reference.txt").read_text(encoding="utf-8")[:20000]
    return torch.tensor(tokenizer(text, add_special_tokens=False)["input_ids"][:LONG], dtype=torch.long)


def test_the_wheel_gguf_loads_as_the_described_llama(loaded):
    model, tokenizer = loaded
    assert sm.gguf_path().name == sm.GGUF_NAME and sm.gguf_path().stat().st_size > 50_000_000
    assert model.config.model_type == "llama"
    assert model.config.num_hidden_layers == 30 and model.config.hidden_size == 576
    assert model.config.max_position_embeddings == 8192
    assert sm.rotary_dim_and_base(model.config) == (64, 100000.0)
    assert 130_000_000 < sum(p.numel() for p in model.parameters()) < 140_000_000
    assert next(model.parameters()).dtype == torch.float32
    ids = tokenizer("The pass key is 12345.", add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids) == "The pass key is 12345."


def test_transformers_frequencies_are_the_written_formulas_and_differ_per_method(loaded):
    """At 2x the real context each method's rope_parameters give rope_scaling.py's frequencies, all different."""
    model, _ = loaded
    seen = {}
    for method in sm.METHODS:
        inv_freq, scale = sm.effective_frequencies(sm.apply_method(model, method, 16384, 8192), 16384)
        expected, expected_scale = rs.method_inv_freq(method, 64, 100000.0, 16384, 8192)
        assert torch.allclose(inv_freq, expected, rtol=1e-5, atol=0), method
        assert scale == pytest.approx(expected_scale)
        seen[method] = (inv_freq, scale)
    for a in sm.METHODS:
        for b in sm.METHODS:
            if a < b:
                assert not torch.equal(seen[a][0], seen[b][0]), (a, b)
    assert torch.equal(seen["pi"][0], seen["rope"][0] / 2)
    assert seen["ntk"][0][0] == seen["rope"][0][0] and seen["ntk"][0][-1] == pytest.approx(seen["rope"][0][-1] / 2)


def test_dynamic_module_does_not_carry_a_longer_length_into_a_shorter_run(loaded):
    model, _ = loaded
    sm.effective_frequencies(sm.apply_method(model, "dynamic", 16384, 8192), 16384)
    at_12k = sm.effective_frequencies(sm.apply_method(model, "dynamic", 12288, 8192), 12288)[0]
    assert torch.allclose(at_12k, rs.method_inv_freq("dynamic", 64, 100000.0, 12288, 8192)[0], rtol=1e-5, atol=0)


@pytest.fixture(scope="module")
def forwards(loaded, text_ids):
    """Logits of one 512-token pass per method, at 1x (all plain RoPE) and at 2x the pretended length."""
    model, _ = loaded
    out = {}
    with torch.inference_mode():
        for method in sm.METHODS:
            for length in (LONG, SHORT):
                sm.apply_method(model, method, LONG, length)
                out[method, LONG // length] = model(input_ids=text_ids[None]).logits[0, -64:].clone()
    sm.apply_method(model, "rope", 8192, 8192)
    return out


def test_at_1x_every_method_is_exactly_plain_rope(loaded, forwards):
    model, _ = loaded
    plain = sm.effective_frequencies(sm.apply_method(model, "rope", 8192, 8192), 8192)
    for method in sm.METHODS:
        inv_freq, scale = sm.effective_frequencies(sm.apply_method(model, method, 8192, 8192), 8192)
        assert torch.equal(inv_freq, plain[0]) and scale == plain[1] == 1.0, method
        assert torch.equal(forwards[method, 1], forwards["rope", 1]), method


def test_at_2x_each_method_changes_the_forward_pass(forwards):
    for a in sm.METHODS:
        for b in sm.METHODS:
            if a < b:
                assert (forwards[a, 2] - forwards[b, 2]).abs().max() > 1e-3, (a, b)


def test_score_tail_equals_the_loss_from_full_logits(loaded, text_ids):
    model, _ = loaded
    sm.apply_method(model, "rope", 8192, 8192)
    nll, hits, count = sm.score_tail(model, text_ids, 64)
    with torch.inference_mode():
        logits = model(input_ids=text_ids[None]).logits[0]
    full = torch.nn.functional.cross_entropy(logits[-65:-1], text_ids[-64:], reduction="sum").item()
    assert count == 64 and nll == pytest.approx(full, rel=1e-4)
    assert hits == int((logits[-65:-1].argmax(-1) == text_ids[-64:]).sum())
    assert 1 < sm.perplexity(nll, count) < 100  # real text under a real model


def test_passkey_prompt_has_the_length_and_hides_each_key_once(loaded):
    model, tokenizer = loaded
    keys = sm.passkey_keys(5, seed=3)
    assert len(set(keys)) == 5 and all(10000 <= k < 100000 for k in keys)
    ids, answers, tail = sm.passkey_prompt(tokenizer, LONG, [0.1, 0.3, 0.5, 0.7, 0.9], keys)
    assert len(ids) == LONG
    text = tokenizer.decode(ids)
    positions = [text.index(f"pass key number {n} is {k}.") for n, k in enumerate(keys, 1)]
    assert positions == sorted(positions) and all(text.count(str(k)) == 2 for k in keys)  # hidden once, answered once
    for (start, size), key in zip(answers, keys):
        assert tokenizer.decode(ids[-tail:][start : start + size]).strip() == str(key)
    sm.apply_method(model, "rope", 8192, 8192)
    found, nll, count = sm.score_passkey(model, ids, answers, tail)
    assert len(found) == 5 and count == sum(size for _, size in answers) and nll > 0
    assert any(found)  # within its context the model reads the keys back


def test_committed_results_have_the_shape_of_the_first_notebook():
    results = json.loads((NOTEBOOKS / "ntk_smollm2_results.json").read_text(encoding="utf-8"))
    first = json.loads((NOTEBOOKS / "ntk_rope_results.json").read_text(encoding="utf-8"))
    assert {"model", "parameters", "trained_length", "records"} <= set(results) & set(first)
    assert results["trained_length"] == 8192 and results["parameters"] > 100_000_000
    records = results["records"]
    multiples = sorted({r["multiple"] for r in records})
    assert multiples[:3] == [1, 1.5, 2]
    assert {(r["method"], r["multiple"], r["kind"]) for r in records} == {
        (m, x, k) for m in sm.METHODS for x in multiples for k in ("natural", "passkey")}
    for r in records:
        assert {"method", "multiple", "length", "kind", "perplexity", "accuracy"} <= set(r)
        assert r["length"] == 8192 * r["multiple"] and 0 <= r["accuracy"] <= 1
        assert r["perplexity"] is None or r["perplexity"] >= 1
    for kind in ("natural", "passkey"):
        at_1x = [(r["perplexity"], r["accuracy"]) for r in records if r["multiple"] == 1 and r["kind"] == kind]
        assert len(set(at_1x)) == 1  # every method is plain RoPE there
