#!/usr/bin/env python3
"""Build-at-scale benchmark: talkbase against a naive mkdocs-material site with the same pages.

For each N it
  1. makes a temporary copy of the project with N synthetic episodes shaped like the seed episode
     talks/003.yaml (benchmarks/content.py, a fixed random seed; benchmarks/projects.py: mkdocs.yml,
     series.yml, data/, templates/ and the hand-written docs/ files from `git ls-files`, a generated
     data/people.yml so that every person id is valid);
  2. times the generator alone (load + validate, render, write into a fresh docs/) in a fresh process
     (benchmarks/generator.py);
  3. times `talkbase validate` over the N episodes;
  4. times `talkbase build` (every feature of the project's mkdocs.yml on: Chinese search, topics,
     people, papers, feeds when the generator writes them) in a fresh process, with its peak RSS
     and the size of the search index a reader's browser downloads;
  5. builds the naive baseline in a fresh process (benchmarks/baseline.py): the same pages rendered by
     talkbase's own renderer, written as plain .md files into a default mkdocs-material site with every
     page in the navigation and Chinese search (theme language zh + jieba), no talkbase plugin;
  6. measures the serve edit latency (benchmarks/serve.py): `talkbase serve` on 127.0.0.1, edit one
     episode's YAML (an item title becomes a unique marker), poll the served page until the marker shows;
  7. with --stages, times the stages of one build (benchmarks/stages.py).

Progress goes to stderr, one JSON line per N to stdout (and to --json-out). See benchmarks/README.md.

    .venv/bin/python benchmarks/build_scale.py --quick
    .venv/bin/python -m benchmarks.build_scale --episodes 100,500,1000 --json-out /tmp/scale.jsonl
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

if not __package__:  # run as a script: the repository root, so that `benchmarks` imports
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import generator  # noqa: E402
from benchmarks.baseline import make_baseline  # noqa: E402
from benchmarks.measure import BIN, checked, log, timed  # noqa: E402
from benchmarks.projects import SITE_URL, make_project  # noqa: E402
from benchmarks.serve import serve_latency  # noqa: E402
from benchmarks.stages import profile  # noqa: E402


def plot(rows: list[dict], out: Path) -> None:
    """Build time against N for talkbase and the naive baseline (and the generator alone), as a PNG."""
    import matplotlib  # only for --plot: a measuring run needs no matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(rows, key=lambda r: r["n"])
    ns = [r["n"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    ax.plot(ns, [r["talkbase_s"] for r in rows], "o-", label="talkbase build")
    based = [r for r in rows if "baseline_s" in r]
    if based:
        based_ns = [r["n"] for r in based]
        ax.plot(based_ns, [r["baseline_s"] for r in based], "s--", label="naive mkdocs-material (baseline)")
        ax.plot(based_ns, [r["baseline_s"] / 2 for r in based], ":", color="grey", label="target: half the baseline")
    ax.plot(ns, [r["generator_s"] for r in rows], "^-", label="generator alone (load, validate, render)")
    for r in rows:
        if "ratio" in r:
            ax.annotate(f"{r['ratio']:.2f}x", (r["n"], r["talkbase_s"]), textcoords="offset points", xytext=(4, -12),
                        fontsize=8)
    ax.set_xlabel("episodes (N)")
    ax.set_ylabel("wall time (s)")
    ax.set_title("Build time against the number of episodes")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    log(f"plot written to {out}")


def search_index_mb(site: Path) -> float:
    """What a reader's browser downloads, and indexes, before its first search answers."""
    return round((site / "search/search_index.json").stat().st_size / 2**20, 1)


def measure_generator(row: dict, proj: Path, cache: Path) -> None:
    """The generator alone with an empty cache, then again with the cache the first run filled."""
    for key, gen in (("generator", generator.run(proj, SITE_URL, cache)),
                     ("generator_warm", generator.run(proj, SITE_URL, cache))):
        row[f"{key}_s"] = round(gen["load_validate_s"] + gen["render_s"], 3)
        row[key] = {k: round(v, 3) for k, v in gen.items()}


def measure_validate(row: dict, proj: Path, cache: Path) -> None:
    """`talkbase validate` with an empty cache, then again; the synthetic episodes must be valid."""
    val = checked(timed([str(BIN / "talkbase"), "validate"], cwd=proj, cache=cache), "talkbase validate")
    row["validate_s"] = round(val["wall_s"], 3)
    row["validate_warm_s"] = round(timed([str(BIN / "talkbase"), "validate"], cwd=proj, cache=cache)["wall_s"], 3)


def measure_build(row: dict, proj: Path, cache: Path, n: int, rebuild: bool) -> dict:
    """`talkbase build` in a fresh process with an empty cache (and with --rebuild again); its result."""
    tb = checked(timed([str(BIN / "talkbase"), "build"], cwd=proj, cache=cache), "talkbase build")
    row["talkbase_s"] = round(tb["wall_s"], 2)
    row["talkbase_cpu_s"] = round(tb["cpu_s"], 2)
    row["talkbase_peak_mb"] = round(tb["rss_mb"], 1)
    row["talkbase_tree_mb"] = round(tb["tree_mb"], 1)
    row["per_episode_ms"] = round(tb["wall_s"] / n * 1000, 1)
    row["site_mb"] = round(sum(f.stat().st_size for f in (proj / "site").rglob("*") if f.is_file()) / 2**20, 1)
    row["search_index_mb"] = search_index_mb(proj / "site")
    if rebuild:
        log(f"N={n}: talkbase build again (docs/ unchanged, cache filled)")
        row["talkbase_rebuild_s"] = round(timed([str(BIN / "talkbase"), "build"], cwd=proj, cache=cache)["wall_s"], 2)
    return tb


def measure_baseline(row: dict, base: Path, proj: Path, tb: dict) -> None:
    """The naive baseline's `mkdocs build` in a fresh process, and talkbase's build against it."""
    bl_proj = make_baseline(base, proj)
    bl = checked(timed([str(BIN / "mkdocs"), "build", "-q"], cwd=bl_proj), "baseline build")
    row["baseline_s"] = round(bl["wall_s"], 2)
    row["baseline_cpu_s"] = round(bl["cpu_s"], 2)
    row["baseline_peak_mb"] = round(bl["rss_mb"], 1)
    row["baseline_search_index_mb"] = search_index_mb(bl_proj / "site")
    row["ratio"] = round(tb["wall_s"] / bl["wall_s"], 3)
    row["ratio_cpu"] = round(tb["cpu_s"] / bl["cpu_s"], 3)
    shutil.rmtree(bl_proj, ignore_errors=True)


def measure_serve(row: dict, key: str, proj: Path, episode: int, build_s: float, cache: Path, full: bool) -> None:
    """The serve edit latency under row[key], with its seconds and ratio to a build; an error is reported in
    row[key + "_error"] and the run goes on."""
    try:
        row[key] = serve_latency(proj, episode, timeout=max(300, build_s * 6), full=full, cache=cache)
        row[f"{key}_edit_s"] = round(row[key]["edit_visible_s"], 2)
        row[f"{key}_edit_ratio"] = round(row[key]["edit_visible_s"] / build_s, 3)
    except Exception as err:  # report, keep going
        row[f"{key}_error"] = str(err)[-2000:]


def run_one(n: int, args: argparse.Namespace) -> dict:
    """Every figure at N episodes, as one JSON-ready row (README.md: what each key means)."""
    row: dict = {"n": n}
    with tempfile.TemporaryDirectory(prefix=f"talkbase-scale-{n}-") as tmp:
        base = Path(tmp)
        log(f"N={n}: generating {n} synthetic episodes")
        proj = make_project(base / "talkbase", episodes=n)
        yaml_bytes = sum(p.stat().st_size for p in (proj / "talks").glob("*.yaml"))
        row["yaml_kb_per_episode"] = round(yaml_bytes / n / 1024, 2)
        log(f"N={n}: generator only (load+validate, render, write), empty cache, then again")
        measure_generator(row, proj, base / "cache-generator")
        log(f"N={n}: talkbase validate, empty cache, then again")
        measure_validate(row, proj, base / "cache-validate")
        log(f"N={n}: talkbase build (fresh process, empty cache)")
        cache = base / "cache-build"
        tb = measure_build(row, proj, cache, n, args.rebuild)
        if not args.skip_baseline:
            log(f"N={n}: naive baseline (plain Markdown, every page in nav, zh search)")
            measure_baseline(row, base, proj, tb)
        if not args.skip_serve and n in args.serve_at:
            log(f"N={n}: serve edit latency (talkbase serve)")
            measure_serve(row, "serve", proj, max(1, n // 2), tb["wall_s"], cache, full=False)
            if args.serve_full:
                log(f"N={n}: serve edit latency (talkbase serve --full)")
                measure_serve(row, "serve_full", proj, max(1, n // 2) + 1, tb["wall_s"], cache, full=True)
        if (args.stages or args.cprofile) and n in args.stages_at:
            log(f"N={n}: stage timing of a build" + (" and cProfile" if args.cprofile else ""))
            row["stages"] = profile(proj, Path(args.cprofile) if args.cprofile else None, n)
    row["targets"] = {
        "ratio<=0.5": row["ratio"] <= 0.5 if "ratio" in row else None,
        "generator<=3s": row["generator_s"] <= 3.0,
        "generator_warm<=3s": row["generator_warm_s"] <= 3.0,
        "validate<=3s": row["validate_s"] <= 3.0,
        "validate_warm<=3s": row["validate_warm_s"] <= 3.0,
        "peak<=1GB": max(row["talkbase_peak_mb"], row["talkbase_tree_mb"]) <= 1024,
        "serve_edit<=10%": (row["serve_edit_ratio"] <= 0.10) if "serve_edit_ratio" in row else None,
    }
    return row


def arguments() -> argparse.Namespace:
    """The command line (README.md has the table of options)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--episodes", default="100,500,1000", help="comma-separated episode counts (default 100,500,1000)")
    p.add_argument("--quick", action="store_true", help="N=50,100: a run of about a minute or two")
    p.add_argument("--skip-baseline", action="store_true", help="do not build the naive mkdocs-material baseline")
    p.add_argument("--skip-serve", action="store_true", help="do not measure the serve edit latency")
    p.add_argument("--serve-at", metavar="N,...",
                   help="measure the serve edit latency at these N only (default: the largest N)")
    p.add_argument("--stages-at", metavar="N,...",
                   help="with --stages: time the stages at these N only (default: every N)")
    p.add_argument("--serve-full", action="store_true",
                   help="also measure `talkbase serve --full` (every page rebuilt)")
    p.add_argument("--rebuild", action="store_true", help="also time a second talkbase build with docs/ unchanged")
    p.add_argument("--stages", action="store_true", help="also time the stages of a (warm) build in a fresh process")
    p.add_argument("--cprofile", metavar="DIR",
                   help="with --stages: also run the build under cProfile, .prof files into DIR")
    p.add_argument("--json-out", metavar="FILE", help="append the JSON lines to FILE as well")
    p.add_argument("--plot", metavar="PNG", help="plot build time against N (talkbase, baseline, generator) into PNG")
    p.add_argument("--from-json", metavar="FILE",
                   help="measure nothing: read the JSON lines of an earlier run (for --plot)")
    return p.parse_args()


def main() -> None:
    """Measure each N in turn, printing its row as soon as it is done (a long run keeps what it measured)."""
    args = arguments()
    if args.from_json:
        text = Path(args.from_json).read_text(encoding="utf-8")
        if args.plot:
            plot([json.loads(line) for line in text.splitlines() if line.strip()], Path(args.plot))
        return
    counts = [50, 100] if args.quick else [int(x) for x in args.episodes.split(",") if x.strip()]
    args.serve_at = {int(x) for x in args.serve_at.split(",")} if args.serve_at else {max(counts)}
    args.stages_at = {int(x) for x in args.stages_at.split(",")} if args.stages_at else set(counts)
    rows = []
    for n in counts:
        row = run_one(n, args)
        rows.append(row)
        line = json.dumps(row, ensure_ascii=False)
        print(line, flush=True)
        if args.json_out:
            with open(args.json_out, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        log(f"N={n}: talkbase {row['talkbase_s']}s, baseline {row.get('baseline_s')}s, ratio {row.get('ratio')}, "
            f"generator {row['generator_s']}s ({row['generator_warm_s']}s cached), validate {row['validate_s']}s "
            f"({row['validate_warm_s']}s cached), peak {row['talkbase_peak_mb']} MB, "
            f"serve edit {row.get('serve_edit_s')}s")
    if len(rows) > 1:
        per = {r["n"]: r["per_episode_ms"] for r in rows}
        log(f"time per episode (ms) by N: {per}")
    if args.plot:
        plot(rows, Path(args.plot))


if __name__ == "__main__":
    main()
