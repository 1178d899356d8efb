#!/usr/bin/env python3
"""Before/after: the same synthetic project built by two revisions of talkbase, cold, runs alternating.

The before revision (default HEAD) is exported with `git archive` into a temporary folder (no worktree, no
git state left behind); the after side is the working tree unless --after names a revision too. Both get
the same N synthetic episodes (this tree's benchmarks/content.py), each with the project files of its own
tree. Then, --repeat times, one cold `talkbase build` of each side in turn, the first side alternating (fresh
process, cache off, the side's code first on PYTHONPATH, checked beforehand), and the generator alone of each
(benchmarks/generator.py).

Progress goes to stderr; one JSON line to stdout: for each side the median and every value of wall s, CPU s,
peak RSS MB, process tree MB and generator s; the after/before ratio of each median; and `paired`, the
geometric mean of each run's own after/before ratio, which a machine whose speed drifts between runs disturbs
less (use an even --repeat: each side then goes first equally often).

    .venv/bin/python benchmarks/compare.py                       # HEAD against the working tree, 1000 episodes
    .venv/bin/python benchmarks/compare.py --before HEAD~3 --episodes 50 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

if not __package__:  # run as a script: the repository root, so that `benchmarks` imports
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import ROOT, generator  # noqa: E402
from benchmarks.measure import BIN, MODULE_PATH, checked, env, log, timed  # noqa: E402
from benchmarks.projects import SITE_URL, make_project  # noqa: E402

FIGURES = {"wall_s": 2, "cpu_s": 2, "peak_rss_mb": 1, "tree_mb": 1, "generator_s": 3}  # each with its rounding


@dataclass
class Side:
    """One revision under test: its tree, the talkbase its processes import, its synthetic project and every
    figure measured so far."""

    name: str
    label: str  # the revision as given, or "working tree"
    commit: str | None
    tree: Path
    project: Path
    talkbase: str
    figures: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in FIGURES})

    @property
    def path(self) -> tuple[Path, ...]:
        """PYTHONPATH of this side's processes: its talkbase first, then this tree's benchmarks package."""
        return pythonpath(self.tree)


def pythonpath(tree: Path) -> tuple[Path, ...]:
    """PYTHONPATH that makes tree's talkbase the one a process imports, this tree's benchmarks beside it."""
    return (tree / "plugins", *MODULE_PATH)


def git(*args: str) -> str:
    """A read-only git command in this checkout; its output (what git says, where it fails)."""
    out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"compare: git {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout.strip()


def export(rev: str, dest: Path) -> str:
    """The files of revision `rev` in dest, by `git archive` (nothing changes in the repository); its commit."""
    commit = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    dest.mkdir(parents=True)
    archive = subprocess.Popen(["git", "archive", "--format=tar", commit], cwd=ROOT, stdout=subprocess.PIPE)
    assert archive.stdout is not None
    subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, check=True)
    archive.stdout.close()
    if archive.wait() != 0:
        raise RuntimeError(f"git archive {commit} failed")
    return commit


def imported_talkbase(tree: Path, tmp: Path) -> str:
    """The file of the talkbase a process with tree's PYTHONPATH imports; stop, loudly, unless it is tree's."""
    out = subprocess.run([sys.executable, "-c", "import talkbase; print(talkbase.__file__)"], cwd=tmp,
                         env=env(path=pythonpath(tree)), capture_output=True, text=True)
    found = Path(out.stdout.strip()).resolve() if out.returncode == 0 else None
    expected = (tree / "plugins" / "talkbase").resolve()
    if found is None or found.parent != expected:
        sys.exit(f"compare: talkbase is imported from {found or out.stderr[-2000:]}, not from {expected}")
    return str(found)


def side(name: str, rev: str | None, episodes: int, tmp: Path) -> Side:
    """The side of revision `rev` (exported into tmp), or of the working tree where rev is None, with its
    talkbase checked and compiled and its copy of the synthetic project made."""
    commit, tree = None, ROOT
    if rev is not None:
        log(f"{name}: exporting {rev}")
        tree = tmp / f"{name}-tree"
        commit = export(rev, tree)
    talkbase = imported_talkbase(tree, tmp)
    log(f"{name}: talkbase from {talkbase}; {episodes} synthetic episodes")
    # its modules compiled once, as on a user's machine, so that no run pays for compiling them
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "plugins")], check=True,
                   stdout=subprocess.DEVNULL)
    project = make_project(tmp / name / "talkbase", episodes=episodes, root=tree)
    return Side(name, rev or "working tree", commit, tree, project, talkbase)


def build_once(s: Side, tmp: Path, **how: Any) -> None:
    """One cold `talkbase build` of a fresh copy of the side's project (cache off), its figures recorded;
    `how`: more of `timed`'s options (a core, environment variables)."""
    run = tmp / f"{s.name}-run"
    shutil.copytree(s.project, run)
    try:
        res = checked(timed([str(BIN / "talkbase"), "build"], cwd=run, path=s.path, **how),
                      f"{s.name}: talkbase build")
    finally:
        shutil.rmtree(run, ignore_errors=True)
    for key, value in (("wall_s", res["wall_s"]), ("cpu_s", res["cpu_s"]), ("peak_rss_mb", res["rss_mb"]),
                       ("tree_mb", res["tree_mb"])):
        s.figures[key].append(round(value, FIGURES[key]))


def generate_once(s: Side, **how: Any) -> None:
    """The side's generator alone (load + validate + render) in a fresh process, cache off."""
    gen = generator.run(s.project, SITE_URL, "off", s.path, **how)
    s.figures["generator_s"].append(round(gen["load_validate_s"] + gen["render_s"], FIGURES["generator_s"]))


def summary(s: Side) -> dict:
    """The side's part of the result: what it is, and the median and every value of each figure."""
    return {"revision": s.label, "commit": s.commit, "talkbase": s.talkbase,
            **{k: {"median": round(statistics.median(v), FIGURES[k]), "all": v} for k, v in s.figures.items()}}


def together(sides: list[Side], job: Callable[..., None], run: int, tmp: Path | None = None) -> None:
    """`job` for both sides at once, each in one process on a core of its own (the cores swap from run to
    run), so that whatever slows the machine slows both alike. One process each: no helpers."""
    cores = sorted(os.sched_getaffinity(0))[:2]
    if len(cores) < 2:
        sys.exit("compare: --together needs two cores")
    failed: list[BaseException] = []

    def one(s: Side, core: int) -> None:
        try:
            job(*((s, tmp) if tmp is not None else (s,)), core=core, variables={"TALKBASE_PARALLEL": "off"})
        except BaseException as err:  # raised again in the main thread
            failed.append(err)

    threads = [threading.Thread(target=one, args=pair) for pair in zip(sides, cores if run % 2 else cores[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failed:
        raise failed[0]


def compare(before_rev: str, after_rev: str | None, episodes: int, repeat: int, at_once: bool = False) -> dict:
    """Measure both sides in a temporary folder (removed at the end, also on error); the result line."""
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="talkbase-compare-") as tmp_name:
        tmp = Path(tmp_name)
        sides = [side("before", before_rev, episodes, tmp), side("after", after_rev, episodes, tmp)]
        for run in range(1, repeat + 1):
            if at_once:
                log(f"run {run}/{repeat}: both talkbase builds at once, then both generators")
                together(sides, build_once, run, tmp)
                together(sides, generate_once, run)
                continue
            # before first in odd runs, after first in even ones: a build slows the process that follows it
            # (its files are still being written out), and neither side should always be the one that follows
            order = sides if run % 2 else sides[::-1]
            for s in order:
                log(f"run {run}/{repeat}: {s.name} talkbase build")
                build_once(s, tmp)
            for s in order:
                log(f"run {run}/{repeat}: {s.name} generator")
                generate_once(s)
            log(f"run {run}/{repeat}: " + ", ".join(
                f"{s.name} {s.figures['wall_s'][-1]} s (generator {s.figures['generator_s'][-1]} s)" for s in sides))
    before, after = (summary(s) for s in sides)
    ratios = {k: round(after[k]["median"] / before[k]["median"], 3) if before[k]["median"] else None for k in FIGURES}
    return {"episodes": episodes, "repeat": repeat, "together": at_once, "before": before, "after": after,
            "after_over_before": ratios,
            "paired": paired(*sides), "load_before": load_before, "load_after": os.getloadavg()}


def paired(before: Side, after: Side) -> dict[str, float | None]:
    """The geometric mean over runs of each run's after/before ratio. The two builds of a run follow each
    other, so a machine that is slower for a while (a shared host) slows both; and with an even --repeat each
    side goes first equally often, so the cost of going second (times k, then divided by k) cancels out."""
    out: dict[str, float | None] = {}
    for key in FIGURES:
        pairs = [a / b for a, b in zip(after.figures[key], before.figures[key]) if a and b]
        out[key] = round(statistics.geometric_mean(pairs), 3) if pairs else None
    return out


def main() -> None:
    """The command line; prints the result line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", default="HEAD", metavar="REV", help="the revision to compare against (default HEAD)")
    p.add_argument("--after", metavar="REV", help="the revision under test (default: the working tree)")
    p.add_argument("--episodes", type=int, default=1000, help="synthetic episodes (default 1000)")
    p.add_argument("--repeat", type=int, default=4,
                   help="cold builds of each side, the first side alternating (default 4; keep it even)")
    p.add_argument("--together", action="store_true",
                   help="run both sides at once, each on a core of its own and in one process (no helpers)")
    args = p.parse_args()
    result = compare(args.before, args.after, args.episodes, args.repeat, args.together)
    log("after/before: " + ", ".join(f"{k} {v}" for k, v in result["after_over_before"].items()))
    log("paired (geometric mean of each run's ratio): " + ", ".join(f"{k} {v}" for k, v in result["paired"].items()))
    print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
