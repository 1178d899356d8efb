"""Rotary-embedding (RoPE) length-extension methods as plain torch functions.

Each ``*_inv_freq`` function returns the rotary inverse frequencies
``theta_i = 1 / base'^(2i/d)`` (or their rescaled form) that a method uses to
evaluate a model trained on ``trained_len`` tokens at a longer length.  They
need nothing but torch, so the formulas can be read and tested on their own;
``apply_method`` swaps the result into a loaded transformers model.

Notation: ``dim`` is the rotary head dimension d, ``base`` the trained RoPE
base (``rope_theta``, usually 10000) and ``s = eval_len / trained_len``.
"""

import math

import torch

METHODS = ("rope", "pi", "ntk", "dynamic", "seed", "yarn")
METHOD_LABELS = {
    "rope": "plain RoPE (extrapolation)",
    "pi": "position interpolation (linear)",
    "ntk": "NTK-aware (static)",
    "dynamic": "dynamic NTK (transformers)",
    "seed": "seed patch (alpha = L/1024 - 1)",
    "yarn": "YaRN",
}


def _exponents(dim, device=None):
    """2i/d for i = 0..d/2-1, the exponent of the base in each rotary pair."""
    return torch.arange(0, dim, 2, dtype=torch.int64).to(device=device, dtype=torch.float) / dim


def rope_inv_freq(dim, base, device=None):
    """Plain RoPE: theta_i = base^(-2i/d); past the trained length it simply extrapolates."""
    return 1.0 / (base ** _exponents(dim, device))


def linear_inv_freq(dim, base, factor, device=None):
    """Position interpolation: positions divided by s, i.e. every frequency slowed by s."""
    return rope_inv_freq(dim, base, device) / factor


def ntk_base(base, dim, factor):
    """NTK-aware base: base * s^(d/(d-2)) keeps theta_0 and slows theta_{d/2-1} by exactly s."""
    return base * factor ** (dim / (dim - 2))


def ntk_inv_freq(dim, base, factor, device=None):
    """Static NTK-aware scaling: high frequencies extrapolate, low frequencies interpolate."""
    return rope_inv_freq(dim, ntk_base(base, dim, factor), device)


def dynamic_ntk_base(base, dim, seq_len, trained_len, factor=2.0):
    """transformers' ``rope_type: "dynamic"`` base for the current length (unchanged up to trained_len)."""
    seq_len = max(seq_len, trained_len)
    return base * (factor * seq_len / trained_len - (factor - 1)) ** (dim / (dim - 2))


def dynamic_ntk_inv_freq(dim, base, seq_len, trained_len, factor=2.0, device=None):
    """Dynamic NTK: the NTK base recomputed from the length actually being processed."""
    return rope_inv_freq(dim, dynamic_ntk_base(base, dim, seq_len, trained_len, factor), device)


def seed_alpha(seq_len):
    """The seed patch's alpha, hard-wired for LLaMA-1 (trained at 2048 tokens)."""
    return seq_len / 1024 - 1


def seed_base(base, dim, seq_len):
    """The seed patch's base, computed with Python floats as the patch does.

    For seq_len < 1024 alpha is negative and Python returns a *complex* number;
    at seq_len == 1024 alpha is 0 and the base collapses to 0.
    """
    return base * seed_alpha(seq_len) ** (dim / (dim - 2))


def seed_inv_freq(dim, base, seq_len, trained_len):
    """The seed patch: plain RoPE up to the cached length, its own NTK base beyond it.

    Returns None where the seed's arithmetic gives no usable frequencies
    (complex base, or a zero base that makes frequencies infinite).
    """
    if seq_len <= trained_len:
        return rope_inv_freq(dim, base)
    new_base = seed_base(base, dim, seq_len)
    if isinstance(new_base, complex):
        return None
    inv_freq = 1.0 / (new_base ** (torch.arange(0, dim, 2).float() / dim))
    return inv_freq if bool(torch.isfinite(inv_freq).all()) else None


def yarn_attention_factor(factor):
    """YaRN's cos/sin (hence attention temperature) scaling, 0.1 ln s + 1."""
    return 1.0 if factor <= 1 else 0.1 * math.log(factor) + 1.0


def yarn_inv_freq(dim, base, factor, trained_len, beta_fast=32, beta_slow=1, device=None):
    """YaRN ("NTK-by-parts"): extrapolate dims that rotate often within trained_len,
    interpolate by s those that rotate less than once, and ramp linearly in between."""

    def correction_dim(num_rotations):
        return dim * math.log(trained_len / (num_rotations * 2 * math.pi)) / (2 * math.log(base))

    low = max(math.floor(correction_dim(beta_fast)), 0)
    high = min(math.ceil(correction_dim(beta_slow)), dim - 1)
    if low == high:
        high += 0.001
    ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1).to(device)
    extrapolation = rope_inv_freq(dim, base, device)
    return extrapolation / factor * ramp + extrapolation * (1 - ramp)


def method_inv_freq(method, dim, base, eval_len, trained_len, dynamic_factor=2.0):
    """Inverse frequencies and cos/sin scaling a method uses at eval_len (None if unusable)."""
    factor = max(eval_len / trained_len, 1.0)
    if method == "rope":
        return rope_inv_freq(dim, base), 1.0
    if method == "pi":
        return linear_inv_freq(dim, base, factor), 1.0
    if method == "ntk":
        return ntk_inv_freq(dim, base, factor), 1.0
    if method == "dynamic":
        return dynamic_ntk_inv_freq(dim, base, eval_len, trained_len, dynamic_factor), 1.0
    if method == "seed":
        return seed_inv_freq(dim, base, eval_len, trained_len), 1.0
    if method == "yarn":
        return yarn_inv_freq(dim, base, factor, trained_len), yarn_attention_factor(factor)
    raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")


def rotary_dim_and_base(config):
    """Rotary dimension and base of a transformers config (head_dim times partial_rotary_factor)."""
    params = config.rope_parameters
    if params.get("rope_type", "default") != "default":
        raise ValueError(f"model already uses rope_type={params['rope_type']!r}; these methods start from plain RoPE")
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    return int(head_dim * params.get("partial_rotary_factor", 1.0)), float(params["rope_theta"])


def apply_method(model, method, eval_len, trained_len, dynamic_factor=2.0):
    """Put a method's frequencies into a loaded model's rotary module for eval_len.

    Returns False (leaving the model untouched) where the method gives no
    usable frequencies.  Frequencies are kept in float32 on the buffer's device,
    as transformers does.
    """
    rotary = model.model.rotary_emb
    dim, base = rotary_dim_and_base(model.config)
    inv_freq, attention_scaling = method_inv_freq(method, dim, base, eval_len, trained_len, dynamic_factor)
    if inv_freq is None:
        return False
    rotary.inv_freq = inv_freq.to(device=rotary.inv_freq.device, dtype=torch.float32)
    rotary.attention_scaling = attention_scaling
    return True
