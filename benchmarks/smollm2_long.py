"""The long runs of notebooks/ntk_smollm2.ipynb as a benchmark: time, peak memory and figures; one JSON line.

Targets on 2 CPU cores: whole notebook <= 30 minutes (1x, 1.5x, 2x of 8192 tokens), peak RSS of
the kernel process tree < 4 GB. On a GPU the notebook goes on to 4x and 8x (65536 tokens); the JSON
line then carries those figures and how far the shared lengths are from the committed CPU ones
(`notebooks/ntk_smollm2_results.json`). Progress (each cell, and each method and length the notebook
measures) goes to stderr. The committed results and the freeze are never touched.

    python benchmarks/smollm2_long.py [--cpu] [--results-out FILE]
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as a script: the repository root, so that `benchmarks` imports
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.notebook_run import command_line, drift, run, versions  # noqa: E402

TARGET_WALL_S = 30 * 60.0
TARGET_PEAK_BYTES = 4 * 1024**3


def cell_by_cell(client, env):
    """Execute the notebook one cell at a time, echoing each cell's time and the notebook's per-step lines."""
    nb = client.nb
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    with client.setup_kernel(env=env):
        for n, index in enumerate(code, 1):
            t0 = time.perf_counter()
            client.execute_cell(nb.cells[index], index)
            lines = "".join(o.get("text", "") for o in nb.cells[index].outputs if o.output_type == "stream")
            steps = [ln for ln in lines.splitlines() if " tokens): " in ln]  # measure()'s per-step lines
            head = nb.cells[index].source.splitlines()[0][:50]
            print(f"cell {n}/{len(code)} {time.perf_counter() - t0:7.1f} s  {head}", *steps, sep="\n    ",
                  file=sys.stderr, flush=True)


def main():
    """Run the notebook's long passes; one JSON line with every figure."""
    args = command_line(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        measured, committed, wall, peak = run(args, "ntk_smollm2.ipynb", "SMOLLM2_RESULTS_PATH", 1800, Path(tmp),
                                              execute=cell_by_cell)
    figures = {f"{r['method']} {r['multiple']:g}x {r['kind']}": [r["perplexity"] and round(r["perplexity"], 3),
                                                                 round(r["accuracy"], 3)] for r in measured["records"]}
    result = {
        **versions("ntk_smollm2.ipynb", measured),
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
        "vs_committed": (drift(measured, committed) if measured["trained_length"] == committed["trained_length"]
                         else None),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
