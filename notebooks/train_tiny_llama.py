"""Train the tiny byte-level Llama bundled with the NTK-RoPE notebook.

Rerunnable anywhere without downloads: the corpus is the Python standard
library source of the interpreter running this script.  Files are split into
train and held-out by a hash of their relative path, so the split does not
depend on file order or on which other files a Python version ships.  Because
stdlib source still differs across Python versions, the held-out text used by
the notebook is written to ``data/heldout.txt`` next to this script.

    python notebooks/train_tiny_llama.py            # about 15 minutes on 2 idle CPU cores
"""

import argparse
import json
import math
import platform
import sysconfig
import time
import zlib
from pathlib import Path

import torch
from transformers import LlamaConfig, LlamaForCausalLM

HERE = Path(__file__).resolve().parent
SKIP_DIRS = {"test", "tests", "idlelib", "lib2to3", "turtledemo", "site-packages", "__pycache__"}
HELDOUT_EVERY = 10  # one file in ten is held out


def stdlib_files():
    """Stdlib .py files in a fixed order (sorted relative paths), without test suites."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if not SKIP_DIRS.intersection(rel.split("/")):
            files.append((rel, path))
    return sorted(files)


def is_heldout(rel_path):
    """Stable split: depends only on the file's own relative path."""
    return zlib.crc32(rel_path.encode()) % HELDOUT_EVERY == 0


def load_corpus(heldout_bytes):
    """Train bytes (all non-held-out files) and held-out text (whole files, capped)."""
    train, heldout = [], []
    heldout_size = 0
    for rel, path in stdlib_files():
        data = path.read_bytes()
        if not is_heldout(rel):
            train.append(data)
        elif heldout_size + len(data) <= heldout_bytes:
            heldout.append(data)
            heldout_size += len(data)
    return b"\n\n".join(train), b"\n\n".join(heldout).decode("utf-8")


def build_model(args):
    """A Llama with a 256-byte vocabulary; byte value = token id, no special tokens."""
    config = LlamaConfig(
        vocab_size=256,
        hidden_size=args.hidden,
        intermediate_size=args.intermediate,
        num_hidden_layers=args.layers,
        num_attention_heads=args.hidden // args.head_dim,
        num_key_value_heads=args.hidden // args.head_dim,
        head_dim=args.head_dim,
        max_position_embeddings=args.seq_len,
        rope_parameters={"rope_type": "default", "rope_theta": args.rope_theta},
        tie_word_embeddings=False,
        bos_token_id=None,
        eos_token_id=None,
        pad_token_id=None,
    )
    return LlamaForCausalLM(config)


def lr_at(step, args):
    """Linear warm-up then cosine decay to 10% of the peak."""
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    progress = (step - args.warmup) / max(1, args.steps - args.warmup)
    return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


@torch.inference_mode()
def mean_loss(model, data, seq_len, max_windows=256):
    """Average next-byte loss over non-overlapping windows of the trained length."""
    n = min(len(data) // seq_len, max_windows)
    windows = data[: n * seq_len].view(n, seq_len)
    losses = [model(input_ids=b, labels=b).loss.item() for b in windows.split(64)]
    sizes = [len(b) for b in windows.split(64)]
    return sum(l * s for l, s in zip(losses, sizes)) / sum(sizes)


def write_model_card(out, stats):
    """A short README next to the weights so the model explains itself."""
    s = stats
    text = f"""# tiny-llama-bytes

A {s['parameters']:,}-parameter `LlamaForCausalLM` with a byte-level vocabulary
(token id = byte value, 256 ids, no special tokens), trained for the
NTK-aware RoPE notebook (`notebooks/ntk_rope.ipynb`). It is a toy for showing
how RoPE behaves past the trained context, not a useful language model.

- Architecture: {s['layers']} layers, hidden size {s['hidden']}, {s['heads']} heads of dim {s['head_dim']},
  MLP size {s['intermediate']}, RoPE base {s['rope_theta']:g}, untied embeddings.
- Trained context: {s['seq_len']} tokens (`max_position_embeddings`); every window starts
  at position 0.
- Data: the Python {s['python']} standard library sources (`*.py`, test suites,
  idlelib, lib2to3 and turtledemo left out), {s['train_bytes']:,} training bytes.
  A file is held out when `crc32(relative path) % {HELDOUT_EVERY} == 0`; whole held-out
  files in path order, {s['heldout_bytes']:,} bytes in all, are in `notebooks/data/heldout.txt`;
  no held-out file was trained on.
- Training: {s['steps']} steps of {s['batch_size']} random {s['seq_len']}-byte crops, AdamW
  (peak lr {s['lr']:g}, weight decay 0.1, {s['warmup']} warm-up steps, cosine decay), seed {s['seed']},
  {s['wall_s'] / 60:.1f} minutes on {s['threads']} CPU thread(s) (torch {s['torch']}).
- Final loss (nats per byte, {s['seq_len']}-token windows): train {s['train_loss']:.3f},
  held-out {s['heldout_loss']:.3f} (perplexity {math.exp(s['heldout_loss']):.2f}).

Rebuild (overwrites this folder and `notebooks/data/heldout.txt`):

    python notebooks/train_tiny_llama.py

Exact numbers depend on the Python version (its stdlib is the corpus) and on
the torch build.
"""
    (out / "README.md").write_text(text, encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--intermediate", type=int, default=344)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--head-dim", type=int, default=32)
    parser.add_argument("--rope-theta", type=float, default=10000.0)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--heldout-bytes", type=int, default=150_000)
    parser.add_argument("--out", type=Path, default=HERE / "models" / "tiny-llama-bytes")
    parser.add_argument("--heldout-out", type=Path, default=HERE / "data" / "heldout.txt")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_bytes, heldout_text = load_corpus(args.heldout_bytes)
    train = torch.frombuffer(bytearray(train_bytes), dtype=torch.uint8).long()
    heldout = torch.tensor(list(heldout_text.encode("utf-8")), dtype=torch.long)
    args.heldout_out.parent.mkdir(parents=True, exist_ok=True)
    args.heldout_out.write_text(heldout_text, encoding="utf-8")
    print(f"train {len(train):,} bytes, held-out {len(heldout):,} bytes -> {args.heldout_out}", flush=True)

    model = build_model(args)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params:,} parameters", flush=True)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
        betas=(0.9, 0.95),
    )
    generator = torch.Generator().manual_seed(args.seed)
    offsets = torch.arange(args.seq_len)

    model.train()
    start = time.time()
    recent = []
    for step in range(args.steps):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, args)
        starts = torch.randint(0, len(train) - args.seq_len, (args.batch_size,), generator=generator)
        batch = train[starts[:, None] + offsets]
        loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        recent = (recent + [loss.item()])[-50:]
        if (step + 1) % 50 == 0 or step + 1 == args.steps:
            elapsed = time.time() - start
            eta = elapsed / (step + 1) * (args.steps - step - 1)
            print(
                f"step {step + 1}/{args.steps}  loss {sum(recent) / len(recent):.4f}  "
                f"elapsed {elapsed:.0f}s  eta {eta:.0f}s",
                flush=True,
            )
    wall = time.time() - start

    model.eval()
    eval_gen = torch.Generator().manual_seed(args.seed + 1)
    eval_starts = torch.randint(0, len(train) - args.seq_len, (256,), generator=eval_gen)
    train_loss = mean_loss(model, train[eval_starts[:, None] + offsets].flatten(), args.seq_len)
    heldout_loss = mean_loss(model, heldout, args.seq_len)
    print(f"final train loss {train_loss:.4f}  held-out loss {heldout_loss:.4f}  wall {wall:.0f}s", flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.out)
    stats = {
        "parameters": n_params,
        "layers": args.layers,
        "hidden": args.hidden,
        "heads": args.hidden // args.head_dim,
        "head_dim": args.head_dim,
        "intermediate": args.intermediate,
        "rope_theta": args.rope_theta,
        "seq_len": args.seq_len,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "warmup": args.warmup,
        "seed": args.seed,
        "train_bytes": len(train),
        "heldout_bytes": len(heldout),
        "train_loss": train_loss,
        "heldout_loss": heldout_loss,
        "wall_s": wall,
        "threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
    }
    (args.out / "training_stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    write_model_card(args.out, stats)
    print(f"saved to {args.out}", flush=True)


if __name__ == "__main__":
    main()
