#!/usr/bin/env python3
"""Search at scale: what a reader waits for, and what the build pays, with N synthetic episodes (default 1000).

  1. builds the benchmarks' synthetic project with `talkbase build` (fresh process): wall and CPU time,
     peak memory, the time of writing the search index (the build's own log line), the index on disk;
  2. serves the site on 127.0.0.1 and, in headless Chromium with an empty cache, opens an episode page and
     types a first Chinese query as soon as the page has loaded: the time from the key that ends the query to
     the results on screen, and every byte the search fetched for it (the worker script, search/);
     then further queries on the same page, each timed the same way. Several fresh pages: each figure's
     median and worst;
  3. builds the naive baseline (plain mkdocs-material with its lunr search) unless --skip-baseline: the ratio.

Run it on an otherwise idle machine; the JSON line printed at the end says how busy it was (load average,
CPU time against wall time). See benchmarks/README.md.

    .venv/bin/python benchmarks/search_scale.py --episodes 1000
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # `benchmarks` also when run as a script; the tests' browser kit
from benchmarks.baseline import make_baseline  # noqa: E402
from benchmarks.measure import BIN, checked, log, timed  # noqa: E402
from benchmarks.projects import make_project  # noqa: E402
from browser_kit import CHROMIUM_ARGS, SiteServer, find_chromium  # noqa: E402

FIRST = "位置编码"
FURTHER = ["RoPE", "显存", "vllm", "LongNet", "量化", "models"]
SEARCH_FILES = re.compile(r"/search/|/javascripts/talkbase-search\.js")

# Times in the page itself: the keyup that ends a query, and the first change of the result list after it.
WATCH_JS = """() => {
  const box = document.querySelector(".md-search__input");
  window.tbTimes = {};
  box.addEventListener("keyup", () => { window.tbTimes = { key: performance.now() }; }, true);
  const shown = new MutationObserver(() => {  // material writes the count, then the list, for every answer
    if (window.tbTimes.key !== undefined && window.tbTimes.shown === undefined)
      window.tbTimes.shown = performance.now();
  });
  for (const name of [".md-search-result__meta", ".md-search-result__list"])
    shown.observe(document.querySelector(name), { childList: true });
}"""


def disk(folder: Path) -> dict:
    """Files, MB and MB gzipped of a folder: what the search index costs on disk and on the wire."""
    files = [f for f in folder.rglob("*") if f.is_file()]
    return {"files": len(files), "mb": round(sum(f.stat().st_size for f in files) / 1e6, 2),
            "gzip_mb": round(sum(len(gzip.compress(f.read_bytes(), 6)) for f in files) / 1e6, 2)}


def ask(page, query: str) -> tuple[float, int]:
    """Type `query` as an input method commits it (all at once, then a key) and wait for the answer: the
    milliseconds from that key to the results on screen, and how many pages they show."""
    box = page.locator(".md-search__input")
    box.fill(query)
    box.press("End")
    page.wait_for_function("window.tbTimes.shown !== undefined", timeout=30_000)
    times = page.evaluate("window.tbTimes")
    return round(times["shown"] - times["key"], 1), page.locator(".md-search-result__item").count()


def reader(browser, server: SiteServer, visits: int, opened: str) -> dict:
    """What readers wait for on `visits` fresh pages: the first query's time and bytes, then the further ones."""
    first, fetched, further, found = [], [], [], {}
    for _ in range(visits):
        context = browser.new_context(locale="zh-CN")
        sizes: list[int] = []
        context.on("requestfinished", lambda r: SEARCH_FILES.search(r.url) and sizes.append(
            r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"]))
        page = context.new_page()
        page.goto(server.url(opened), wait_until="load")
        page.evaluate(WATCH_JS)
        page.locator(".md-search__input").click()
        ms, shown = ask(page, FIRST)
        if not shown:
            raise RuntimeError(f"{FIRST!r} found nothing")
        first.append(ms)
        fetched.append(sum(sizes))
        for query in FURTHER:
            ms, found[query] = ask(page, query)
            further.append(ms)
        context.close()
    return {"pages_shown": found,
            "first_result_ms": {"median": statistics.median(first), "max": max(first), "all": first},
            "first_fetched_kb": {"median": round(statistics.median(fetched) / 1e3, 1),
                                 "max": round(max(fetched) / 1e3, 1)},
            "further_ms": {"median": statistics.median(further), "max": max(further)}}


def main() -> None:
    """Build (unless --searches-only), search in Chromium, build the baseline; one JSON line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--episodes", type=int, default=1000)
    p.add_argument("--visits", type=int, default=3, help="fresh pages that search (default 3)")
    p.add_argument("--skip-baseline", action="store_true", help="do not build the naive mkdocs-material baseline")
    p.add_argument("--workdir", metavar="DIR", help="build in DIR and keep it (default: a temporary folder)")
    p.add_argument("--searches-only", action="store_true", help="with --workdir: search the site built there before")
    args = p.parse_args()
    n, row = args.episodes, {"n": args.episodes, "cpus": os.cpu_count(), "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix=f"talkbase-search-{n}-") as tmp:
        base = Path(args.workdir or tmp)
        proj = base / "talkbase"
        if not args.searches_only:
            build(base, n, row)
        log(f"N={n}: reader's searches in Chromium")
        from playwright.sync_api import sync_playwright

        server = SiteServer(proj / "site")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
                row.update(reader(browser, server, args.visits, f"talks/{max(1, n // 2):03d}/"))
                browser.close()
        finally:
            server.close()
        if not args.skip_baseline and not args.searches_only:
            log(f"N={n}: naive baseline (plain Markdown, material's own search)")
            bl = checked(timed([str(BIN / "mkdocs"), "build", "-q"], cwd=make_baseline(base, proj)), "baseline build")
            row.update({"baseline_s": round(bl["wall_s"], 2), "baseline_cpu_s": round(bl["cpu_s"], 2),
                        "ratio": round(row["talkbase_s"] / bl["wall_s"], 3),
                        "ratio_cpu": round(row["talkbase_cpu_s"] / bl["cpu_s"], 3)})
    row["load_after"] = os.getloadavg()
    peak = max(row.get("talkbase_peak_mb", 0), row.get("talkbase_tree_mb", 0))
    row["targets"] = {"first<=1s": row["first_result_ms"]["max"] <= 1000,
                      "first_fetched<=1MB": row["first_fetched_kb"]["max"] <= 1000,
                      "further<=0.3s": row["further_ms"]["max"] <= 300,
                      "ratio<=0.45": row["ratio"] <= 0.45 if "ratio" in row else None,
                      "peak<1GB": peak < 1024 if peak else None}
    print(json.dumps(row, ensure_ascii=False))


def build(base: Path, n: int, row: dict) -> None:
    """The synthetic project with n episodes, built by `talkbase build`: its figures into `row`."""
    log(f"N={n}: generating {n} synthetic episodes")
    proj = make_project(base / "talkbase", episodes=n)
    log(f"N={n}: talkbase build")
    tb = checked(timed([str(BIN / "talkbase"), "build"], cwd=proj), "talkbase build")
    indexed = re.search(r"search: (\d+) sections of (\d+) pages indexed, (\d+) words in (\d+) files .* in ([\d.]+) s",
                        tb["output"])
    row.update({"talkbase_s": round(tb["wall_s"], 2), "talkbase_cpu_s": round(tb["cpu_s"], 2),
                "talkbase_peak_mb": round(tb["rss_mb"], 1), "talkbase_tree_mb": round(tb["tree_mb"], 1),
                "sections": int(indexed[1]), "pages": int(indexed[2]), "words": int(indexed[3]),
                "search_pass_s": float(indexed[5]), "index": disk(proj / "site" / "search" / "talkbase"),
                "material_index_kb": round((proj / "site/search/search_index.json").stat().st_size / 1e3, 1)})
    log(f"N={n}: built in {row['talkbase_s']} s (CPU {row['talkbase_cpu_s']} s), search pass {row['search_pass_s']} s")


if __name__ == "__main__":
    main()
