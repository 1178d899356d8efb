"""One measured run of a demo notebook in a real kernel: what ntk_notebook.py and smollm2_long.py share.

Each executes its notebook with this interpreter as the kernel (cwd notebooks/, as the tests run it),
samples the kernel's process tree's memory, reads the results file the notebook writes into a temporary
folder and compares its figures with the committed ones. The committed results and the freezes are never
touched.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
import psutil
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

from benchmarks import ROOT

NOTEBOOKS = ROOT / "notebooks"
Execute = Callable[[NotebookClient, dict], None]  # runs the client's notebook in a kernel with that environment


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
        """Keep the largest sample until `done` is set."""
        while not self.done.wait(0.05):
            process = getattr(self.km.provisioner, "process", None) if self.km.provisioner else None
            if process is not None:
                self.peak = max(self.peak, tree_rss(process.pid))


def drift(measured, committed):
    """How far a run's figures are from the committed ones, over the records both have."""
    def key(r):
        return r["method"], r["multiple"], r["kind"]

    before = {key(r): r for r in committed["records"]}
    ppl, acc = [], []
    for r in measured["records"]:
        old = before.get(key(r))
        if old and r["perplexity"] is not None and old["perplexity"] is not None:
            ppl.append(abs(r["perplexity"] / old["perplexity"] - 1))
            acc.append(abs(r["accuracy"] - old["accuracy"]))
    return {"compared_records": len(ppl), "max_perplexity_rel_diff": round(max(ppl), 4) if ppl else None,
            "max_accuracy_abs_diff": round(max(acc), 4) if acc else None}


def command_line(doc: str, *flags: tuple[str, str]) -> argparse.Namespace:
    """The options of a notebook benchmark: its own on/off `flags` (name, help), then --cpu and --results-out."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for flag, help_text in flags:
        parser.add_argument(flag, action="store_true", help=help_text)
    parser.add_argument("--cpu", action="store_true", help="hide any GPU from the kernel")
    parser.add_argument("--results-out", type=Path, help="keep the run's results JSON here")
    return parser.parse_args()


def whole(client: NotebookClient, env: dict) -> None:
    """Execute every cell in one go, as the tests do."""
    client.execute(env=env)


def run(args: argparse.Namespace, notebook: str, results_var: str, timeout: int, tmp: Path,
        execute: Execute = whole) -> tuple[dict, dict, float, int]:
    """Execute notebooks/<notebook> (GPU hidden with --cpu), its results file in `tmp` where `results_var` says;
    the results (also written to --results-out), the committed ones, wall seconds and peak bytes of the kernel."""
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="") if args.cpu else dict(os.environ)
    nb = nbformat.read(NOTEBOOKS / notebook, as_version=4)
    write_kernel_spec(tmp / "kernels" / "python3")
    km = KernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp / "kernels")]))
    client = NotebookClient(nb, km=km, timeout=timeout, resources={"metadata": {"path": str(NOTEBOOKS)}})
    sampler = PeakSampler(km)
    sampler.start()
    start = time.perf_counter()
    execute(client, dict(env, **{results_var: str(tmp / "results.json")}))
    wall = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    measured = json.loads((tmp / "results.json").read_text(encoding="utf-8"))
    if args.results_out:
        args.results_out.write_text(json.dumps(measured, indent=2) + "\n", encoding="utf-8")
    committed = json.loads((NOTEBOOKS / notebook.replace(".ipynb", "_results.json")).read_text(encoding="utf-8"))
    return measured, committed, wall, sampler.peak


def versions(notebook: str, measured: dict) -> dict:
    """The head of a notebook benchmark's JSON line: which notebook, and what it ran on."""
    return {"benchmark": notebook, **{k: measured[k] for k in ("device", "dtype", "torch", "transformers")}}
