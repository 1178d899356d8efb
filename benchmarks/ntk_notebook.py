"""Time notebooks/ntk_rope.ipynb and measure the kernel's peak memory; print one JSON line.

Targets (2 CPU cores): whole notebook <= 90 s, peak RSS of the kernel process tree < 2 GB.
With --train it also times notebooks/train_tiny_llama.py (about 20 minutes), writing its
model and held-out text to a temporary folder so the bundled ones stay untouched.

    python benchmarks/ntk_notebook.py [--train]
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


def run_notebook(tmp):
    """Execute the notebook as the tests do (cwd = notebooks/, this interpreter as kernel)."""
    nb = nbformat.read(NOTEBOOKS / "ntk_rope.ipynb", as_version=4)
    write_kernel_spec(tmp / "kernels" / "python3")
    km = KernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp / "kernels")]))
    client = NotebookClient(nb, km=km, timeout=600, resources={"metadata": {"path": str(NOTEBOOKS)}})
    sampler = PeakSampler(km)
    sampler.start()
    start = time.perf_counter()
    client.execute(env=dict(os.environ, NTK_RESULTS_PATH=str(tmp / "results.json")))
    wall = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    return wall, sampler.peak


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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        wall, peak = run_notebook(tmp)
        result = {
            "benchmark": "ntk_rope.ipynb",
            "wall_s": round(wall, 2),
            "target_wall_s": TARGET_WALL_S,
            "peak_rss_bytes": peak,
            "peak_rss_mb": round(peak / 1024**2, 1),
            "target_peak_rss_mb": TARGET_PEAK_BYTES / 1024**2,
            "cpu_count": os.cpu_count(),
            "ok": wall <= TARGET_WALL_S and peak < TARGET_PEAK_BYTES,
        }
        if args.train:
            result["train_wall_s"] = round(time_training(tmp), 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
