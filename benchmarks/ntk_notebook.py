"""Time notebooks/ntk_rope.ipynb and measure the kernel's peak memory; print one JSON line.

Targets (2 CPU cores): whole notebook <= 90 s, peak RSS of the kernel process tree < 2 GB.
The line also says what the kernel ran on and how far its measurements are from the committed
ones (`notebooks/ntk_rope_results.json`), so a run on a GPU (bfloat16) or on another machine can
be checked against the CPU figures the site shows. With --train it also times
notebooks/train_tiny_llama.py (about 20 minutes), writing its model and held-out text to a
temporary folder so the bundled ones stay untouched.

    python benchmarks/ntk_notebook.py [--cpu] [--results-out FILE] [--train]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
TARGET_WALL_S = 90.0
TARGET_PEAK_BYTES = 2 * 1024**3


def tree_rss(pid):
    """Resident memory of a process and all its descendants, in bytes."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


class PeakSampler(threading.Thread):
    """Samples tree_rss every 50 ms once a kernel pid is known."""

    def __init__(self, km):
        super().__init__(daemon=True)
        self.km, self.peak, self.done = km, 0, threading.Event()

    def run(self):
        while not self.done.wait(0.05):
            process = getattr(self.km.provisioner, "process", None) if self.km.provisioner else None
            if process is not None:
                self.peak = max(self.peak, tree_rss(process.pid))


def run_notebook(tmp, env):
    """Execute the notebook as the tests do (cwd = notebooks/, this interpreter as kernel)."""
    nb = nbformat.read(NOTEBOOKS / "ntk_rope.ipynb", as_version=4)
    write_kernel_spec(tmp / "kernels" / "python3")
    km = KernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp / "kernels")]))
    client = NotebookClient(nb, km=km, timeout=600, resources={"metadata": {"path": str(NOTEBOOKS)}})
    sampler = PeakSampler(km)
    sampler.start()
    start = time.perf_counter()
    client.execute(env=dict(env, NTK_RESULTS_PATH=str(tmp / "results.json")))
    wall = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    return wall, sampler.peak


def drift(measured, committed):
    """How far a run's figures are from the committed ones, over the records both have."""
    key = lambda r: (r["method"], r["multiple"], r["kind"])
    before = {key(r): r for r in committed["records"]}
    ppl, acc = [], []
    for r in measured["records"]:
        old = before.get(key(r))
        if old and r["perplexity"] is not None and old["perplexity"] is not None:
            ppl.append(abs(r["perplexity"] / old["perplexity"] - 1))
            acc.append(abs(r["accuracy"] - old["accuracy"]))
    return {"compared_records": len(ppl), "max_perplexity_rel_diff": round(max(ppl), 4) if ppl else None,
            "max_accuracy_abs_diff": round(max(acc), 4) if acc else None}


def compare(measured, committed):
    """`drift`, and whether the run ranks the methods as the committed figures do."""

    def ranking(results, kind):
        top = max(r["multiple"] for r in results["records"])
        scored = [r for r in results["records"] if (r["multiple"], r["kind"]) == (top, kind) and r["perplexity"]]
        return [r["method"] for r in sorted(scored, key=lambda r: r["perplexity"])]

    return {
        **drift(measured, committed),
        "same_ranking_at_top_length": all(ranking(measured, k) == ranking(committed, k) for k in ("natural", "repeated")),
        "ranking_natural": ranking(measured, "natural"),
    }


def time_training(tmp):
    """Wall time of a full rerun of the training script, outputs kept out of the repo."""
    cmd = [
        sys.executable,
        str(NOTEBOOKS / "train_tiny_llama.py"),
        "--out",
        str(tmp / "model"),
        "--heldout-out",
        str(tmp / "heldout.txt"),
    ]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", action="store_true", help="also time the training script")
    parser.add_argument("--cpu", action="store_true", help="hide any GPU from the kernel")
    parser.add_argument("--results-out", type=Path, help="keep the run's results JSON here")
    args = parser.parse_args()
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="") if args.cpu else dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        wall, peak = run_notebook(tmp, env)
        measured = json.loads((tmp / "results.json").read_text(encoding="utf-8"))
        if args.results_out:
            args.results_out.write_text(json.dumps(measured, indent=2) + "\n", encoding="utf-8")
        committed = json.loads((NOTEBOOKS / "ntk_rope_results.json").read_text(encoding="utf-8"))
        result = {
            "benchmark": "ntk_rope.ipynb",
            "device": measured["device"],
            "dtype": measured["dtype"],
            "torch": measured["torch"],
            "transformers": measured["transformers"],
            "wall_s": round(wall, 2),
            "target_wall_s": TARGET_WALL_S,
            "peak_rss_bytes": peak,
            "peak_rss_mb": round(peak / 1024**2, 1),
            "target_peak_rss_mb": TARGET_PEAK_BYTES / 1024**2,
            "cpu_count": os.cpu_count(),
            "ok": wall <= TARGET_WALL_S and peak < TARGET_PEAK_BYTES,
            "vs_committed": compare(measured, committed),
        }
        if args.train:
            result["train_wall_s"] = round(time_training(tmp), 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
