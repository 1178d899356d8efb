"""What a frozen notebook adds to a site build: the bundled project built with and without its notebook.

Each build runs `mkdocs build` in a fresh subprocess on a temporary copy of the project; the only
difference between the two variants is the `notebook:` line of every episode that has one. Prints
one JSON line: median wall time of each variant, the difference per notebook, and the target
(at most 0.5 s per notebook).

    python benchmarks/notebook_build.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as a script: the repository root, so that `benchmarks` imports
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.projects import make_project  # noqa: E402

TARGET_S = 0.5


def copy_project(dest: Path, with_notebooks: bool) -> int:
    """Copy the project (the tests' copy); without notebooks, drop every `notebook:` reference. Returns how many."""
    count = 0
    for target in sorted(p for p in (make_project(dest) / "talks").rglob("*") if p.suffix in (".yaml", ".yml")):
        text = target.read_text(encoding="utf-8")
        count += len(re.findall(r"^\s+notebook:", text, re.M))
        if not with_notebooks:
            target.write_text(re.sub(r"^\s+notebook:.*\n", "", text, flags=re.M), encoding="utf-8")
    return count


def timed_build(project: Path) -> float:
    """Wall seconds of one strict `mkdocs build` of `project` in a fresh process."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q"], cwd=project, env=env, check=True)
    return time.perf_counter() - start


def main() -> None:
    """Build both variants --runs times, alternating; one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="builds of each variant (alternating)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plain, frozen = Path(tmp, "plain"), Path(tmp, "frozen")
        copy_project(plain, with_notebooks=False)
        notebooks = copy_project(frozen, with_notebooks=True)
        if not notebooks:
            sys.exit("no episode references a notebook: nothing to measure")
        times: dict[str, list[float]] = {"plain": [], "frozen": []}
        timed_build(plain), timed_build(frozen)  # warm the OS caches and jieba's dictionary cache
        for run in range(args.runs):
            for name, project in (("plain", plain), ("frozen", frozen)):
                times[name].append(timed_build(project))
            print(f"run {run + 1}/{args.runs}: plain {times['plain'][-1]:.2f} s, "
                  f"with notebooks {times['frozen'][-1]:.2f} s", file=sys.stderr)
    plain_s, frozen_s = statistics.median(times["plain"]), statistics.median(times["frozen"])
    per_notebook = (frozen_s - plain_s) / notebooks
    print(json.dumps({"notebooks": notebooks, "runs": args.runs, "build_without_s": round(plain_s, 3),
                      "build_with_frozen_s": round(frozen_s, 3), "added_per_notebook_s": round(per_notebook, 3),
                      "target_s": TARGET_S, "met": per_notebook <= TARGET_S}))


if __name__ == "__main__":
    main()
