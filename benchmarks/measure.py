"""Running one measured command in a fresh process: its environment, wall and CPU time, and memory.

Every figure the benchmarks report comes from `timed`, so that they are measured the same way: a cold
process, talkbase's cache off unless a run names a folder, peak RSS from wait4 and the whole process tree's
memory sampled twice a second.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import ROOT

BIN = Path(sys.executable).parent  # the talkbase and mkdocs commands of this interpreter's environment


def env(cache: Path | str = "off", path: Sequence[Path] = ()) -> dict[str, str]:
    """talkbase's cache on disk (speed/cache.py) is off unless a run names its folder: cold figures stay cold.
    Python keeps compiled modules as it does on a user's machine, even where the shell turned that off.
    `path` goes first on PYTHONPATH: which talkbase and which benchmarks package a process imports."""
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if path:
        base["PYTHONPATH"] = os.pathsep.join([*map(str, path), *filter(None, [base.get("PYTHONPATH")])])
    return {**base, "NO_MKDOCS_2_WARNING": "1", "PYTHONHASHSEED": "0", "TALKBASE_CACHE": str(cache)}


MODULE_PATH = (ROOT,)  # where `python -m benchmarks.X` finds the package, whatever the process's folder


def module(name: str, *args: object) -> list[str]:
    """The command line that runs benchmarks/<name>.py as a program; pair it with path=MODULE_PATH."""
    return [sys.executable, "-m", f"benchmarks.{name}", *map(str, args)]


def log(message: str) -> None:
    """Progress on stderr, time-stamped, so that stdout carries only the JSON lines."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def tree_pss_mb(pid: int) -> float:
    """Memory of a process and all its descendants (talkbase's helper processes), each shared page counted
    once in all: the sum of their proportional set sizes (Linux /proc; 0 where it cannot be read)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as rollup:
                total += next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo += [int(child) for child in children.read().split()]
        except (OSError, ValueError, StopIteration):  # gone meanwhile, or no such file on this system
            pass
    return total / 1024


def timed(cmd: list[str], cwd: Path, timeout: float = 1800, cache: Path | str = "off",
          path: Sequence[Path] = (), core: int | None = None, variables: dict[str, str] | None = None) -> dict:
    """Run cmd in a fresh process (on CPU `core` alone if given, with more environment `variables`); wall
    seconds, peak RSS (MB) of its largest process, peak memory of the whole process tree (sampled twice a
    second), exit status, output tail."""
    out = tempfile.TemporaryFile()
    pin = None if core is None else (lambda: os.sched_setaffinity(0, {core}))
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                            env={**env(cache, path), **(variables or {})}, preexec_fn=pin)
    deadline, sampled, tree_peak = start + timeout, 0.0, 0.0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        if time.perf_counter() - sampled >= 0.5:
            tree_peak, sampled = max(tree_peak, tree_pss_mb(proc.pid)), time.perf_counter()
        time.sleep(0.02)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    text = out.read().decode("utf-8", "replace")
    return {"wall_s": wall, "rss_mb": usage.ru_maxrss / 1024, "tree_mb": tree_peak, "rc": proc.returncode,
            "cpu_s": usage.ru_utime + usage.ru_stime, "output": text}


def checked(res: dict, what: str) -> dict:
    """`res` of a run that must have succeeded; else stop with the tail of what it said."""
    if res["rc"] != 0:
        raise RuntimeError(f"{what} failed:\n{res['output'][-3000:]}")
    return res

