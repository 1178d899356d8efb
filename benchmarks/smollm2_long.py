"""The long runs of notebooks/ntk_smollm2.ipynb as a benchmark: time, peak memory and figures; one JSON line.

Targets on 2 CPU cores: whole notebook <= 30 minutes (1x, 1.5x, 2x of 8192 tokens), peak RSS of
the kernel process tree < 4 GB. On a GPU the notebook goes on to 4x and 8x (65536 tokens); the JSON
line then carries those figures and how far the shared lengths are from the committed CPU ones
(`notebooks/ntk_smollm2_results.json`). Progress (each cell, and each method and length the notebook
measures) goes to stderr. The committed results and the freeze are never touched.

    python benchmarks/smollm2_long.py [--cpu] [--results-out FILE]
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ntk_notebook import PeakSampler, drift  # noqa: E402  (the same sampling and comparison as the first demo's)

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
TARGET_WALL_S = 30 * 60.0
TARGET_PEAK_BYTES = 4 * 1024**3


def run_notebook(tmp, env):
    """Execute the notebook cell by cell (cwd = notebooks/, this interpreter as kernel), echoing its lines."""
    nb = nbformat.read(NOTEBOOKS / "ntk_smollm2.ipynb", as_version=4)
    write_kernel_spec(tmp / "kernels" / "python3")
    km = KernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp / "kernels")]))
    client = NotebookClient(nb, km=km, timeout=1800, resources={"metadata": {"path": str(NOTEBOOKS)}})
    sampler = PeakSampler(km)
    sampler.start()
    start = time.perf_counter()
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    with client.setup_kernel(env=dict(env, SMOLLM2_RESULTS_PATH=str(tmp / "results.json"))):
        for n, index in enumerate(code, 1):
            t0 = time.perf_counter()
            client.execute_cell(nb.cells[index], index)
            lines = "".join(o.get("text", "") for o in nb.cells[index].outputs if o.output_type == "stream")
            steps = [ln for ln in lines.splitlines() if " tokens): " in ln]  # measure()'s per-step lines
            print(f"cell {n}/{len(code)} {time.perf_counter() - t0:7.1f} s  {nb.cells[index].source.splitlines()[0][:50]}",
                  *steps, sep="\n    ", file=sys.stderr, flush=True)
    wall = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    return wall, sampler.peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    committed = json.loads((NOTEBOOKS / "ntk_smollm2_results.json").read_text(encoding="utf-8"))
    figures = {f"{r['method']} {r['multiple']:g}x {r['kind']}": [r["perplexity"] and round(r["perplexity"], 3),
                                                                 round(r["accuracy"], 3)] for r in measured["records"]}
    result = {
        "benchmark": "ntk_smollm2.ipynb",
        "device": measured["device"],
        "dtype": measured["dtype"],
        "torch": measured["torch"],
        "transformers": measured["transformers"],
        "cpu_count": os.cpu_count(),
        "wall_s": round(wall, 1),
        "target_wall_s": TARGET_WALL_S,
        "load_s": measured["load_s"],
        "peak_rss_mb": round(peak / 1024**2, 1),
        "target_peak_rss_mb": TARGET_PEAK_BYTES / 1024**2,
        "ok": wall <= TARGET_WALL_S and peak < TARGET_PEAK_BYTES,
        "multiples": sorted({r["multiple"] for r in measured["records"]}),
        "figures_perplexity_accuracy": figures,
        # a shortened SMOLLM2_TRAINED_LEN (a quick try) measures other lengths: nothing to compare
        "vs_committed": drift(measured, committed) if measured["trained_length"] == committed["trained_length"] else None,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
