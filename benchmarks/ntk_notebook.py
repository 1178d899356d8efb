"""Time notebooks/ntk_rope.ipynb and measure the kernel's peak memory; print one JSON line.

Targets (2 CPU cores): whole notebook <= 90 s, peak RSS of the kernel process tree < 2 GB.
The line also says what the kernel ran on and how far its measurements are from the committed
ones (`notebooks/ntk_rope_results.json`), so a run on a GPU (bfloat16) or on another machine can
be checked against the CPU figures the site shows. With --train it also times
notebooks/train_tiny_llama.py (about 20 minutes), writing its model and held-out text to a
temporary folder so the bundled ones stay untouched.

    python benchmarks/ntk_notebook.py [--cpu] [--results-out FILE] [--train]
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as a script: the repository root, so that `benchmarks` imports
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.notebook_run import NOTEBOOKS, command_line, drift, run, versions  # noqa: E402

TARGET_WALL_S = 90.0
TARGET_PEAK_BYTES = 2 * 1024**3


def compare(measured, committed):
    """`drift`, and whether the run ranks the methods as the committed figures do."""

    def ranking(results, kind):
        top = max(r["multiple"] for r in results["records"])
        scored = [r for r in results["records"] if (r["multiple"], r["kind"]) == (top, kind) and r["perplexity"]]
        return [r["method"] for r in sorted(scored, key=lambda r: r["perplexity"])]

    return {
        **drift(measured, committed),
        "same_ranking_at_top_length": all(ranking(measured, k) == ranking(committed, k)
                                          for k in ("natural", "repeated")),
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
    """Run the notebook (and with --train the training script); one JSON line."""
    args = command_line(__doc__, ("--train", "also time the training script"))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        measured, committed, wall, peak = run(args, "ntk_rope.ipynb", "NTK_RESULTS_PATH", 600, tmp)
        result = {
            **versions("ntk_rope.ipynb", measured),
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
