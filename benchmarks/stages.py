"""Where a build's time goes: one `mkdocs build` with timers wrapped around the main functions of talkbase,
MkDocs and the material search plugin (WRAPS), in a fresh process. As a program, in the project folder:

    python -m benchmarks.stages

builds the site and prints one line `STAGES {label: [inclusive seconds, calls]}`. A name of WRAPS that this
revision of talkbase (or MkDocs) lacks is left untimed, with a note on stderr. `profile` starts that program,
and with a folder also runs the build under cProfile.
"""

from __future__ import annotations

import functools
import importlib
import json
import pstats
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.measure import MODULE_PATH, checked, log, module, timed

# (module, attribute in it, label); indented labels are part of the entry above them
WRAPS = [
    ("talkbase.plugin", "TalkbasePlugin.on_config", "1 talkbase generate (plugin on_config)"),
    ("talkbase.generate", "load_project", "1a   load + validate episodes"),
    ("talkbase.generate", "render_all", "1b   render Markdown (episodes, topics, people, papers, feeds)"),
    ("talkbase.generate", "Renderer.episode_page", "1b1    episode pages (rendered in this process)"),
    ("talkbase.generate", "Renderer.topic_page", "1b2    topic pages (rendered in this process)"),
    ("talkbase.generate", "Renderer.person_page", "1b3    people pages (rendered in this process)"),
    ("talkbase.generate", "write_tree", "1c   write changed files into docs/"),
    ("material.plugins.search.plugin", "SearchPlugin.on_config", "2 search on_config (jieba user dict, model load)"),
    ("mkdocs.commands.build", "get_files", "3 mkdocs scan docs/ (get_files)"),
    ("mkdocs.commands.build", "get_navigation", "4 mkdocs navigation"),
    ("mkdocs.commands.build", "_populate_page", "5 mkdocs read + Markdown->HTML (_populate_page)"),
    ("mkdocs.structure.pages", "Page.render",
     "5a   Markdown convert (python-markdown + extensions; pages converted in this process)"),
    ("talkbase.plugin", "TalkbasePlugin.on_page_content", "5b   talkbase on_page_content (MathML + sanitize)"),
    ("mkdocs.structure.files", "Files.copy_static_files", "6 copy static files"),
    ("mkdocs.commands.build", "_build_theme_template", "7 theme templates (sitemap.xml, 404, ...)"),
    ("mkdocs.commands.build", "_build_page", "8 mkdocs build pages (_build_page: context, theme, write)"),
    ("mkdocs.commands.build", "get_context", "8a   page context (nav)"),
    ("material.plugins.search.plugin", "SearchPlugin.on_page_context", "8b   search: index page (HTML parse + jieba)"),
    ("material.plugins.search.plugin", "SearchIndex._segment_chinese",
     "8b1      jieba segmentation (_segment_chinese)"),
    ("mkdocs.utils", "write_file", "8c   write_file (all HTML/index writes)"),
    ("mkdocs.structure.pages", "Page.validate_anchor_links", "9 anchor validation"),
    ("material.plugins.search.plugin", "SearchPlugin.on_post_build", "10 search index JSON (on_post_build)"),
    ("jieba", "Tokenizer.initialize", "jieba dictionary load (initialize)"),
]
PAGES = "8 mkdocs build pages (_build_page: context, theme, write)"
THEME = "8d   theme template render (rest of _build_page)"  # what _build_page spends beyond 8a, 8b and 8c

SECONDS: defaultdict[str, float] = defaultdict(float)
CALLS: defaultdict[str, int] = defaultdict(int)


def wrap(owner: Any, name: str, label: str) -> None:
    """Replace owner.name by a wrapper that adds each call's time to SECONDS[label] and counts it."""
    orig = getattr(owner, name)

    @functools.wraps(orig)
    def timed_call(*a, **k):
        t = time.perf_counter()
        try:
            return orig(*a, **k)
        finally:
            SECONDS[label] += time.perf_counter() - t
            CALLS[label] += 1

    setattr(owner, name, timed_call)


def resolve(module_name: str, attribute: str) -> tuple[Any, str] | None:
    """The object that holds `attribute` (dotted) in the module, and its last name; None, said on stderr,
    where the module or a name is missing (another revision of talkbase)."""
    try:
        owner = importlib.import_module(module_name)
        *parents, name = attribute.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        getattr(owner, name)
    except (ImportError, AttributeError) as err:
        print(f"stages: {module_name}.{attribute} not timed: {err}", file=sys.stderr, flush=True)
        return None
    return owner, name


def main() -> dict[str, list]:
    """Build the site of the current folder with every timer of WRAPS on; the time of each, and its calls."""
    t0 = time.perf_counter()
    found = [(target, label) for module_name, attribute, label in WRAPS if (target := resolve(module_name, attribute))]
    SECONDS["import"] = time.perf_counter() - t0
    for (owner, name), label in found:
        wrap(owner, name, label)
    from mkdocs.__main__ import cli

    t1 = time.perf_counter()
    try:
        cli(["build", "-q"], standalone_mode=False)
    finally:
        SECONDS["build total"] = time.perf_counter() - t1
        SECONDS[THEME] = SECONDS.get(PAGES, 0) - sum(v for k, v in SECONDS.items() if k.startswith(("8a", "8b ", "8c")))
    return {k: [round(v, 3), CALLS.get(k, 0)] for k, v in sorted(SECONDS.items())}


def profile(proj: Path, out_dir: Path | None, n: int) -> dict:
    """Time the stages of one `mkdocs build` of `proj` (fresh process, no cache); with out_dir, also one build
    under cProfile, its file talkbase-build-<n>.prof in out_dir and the top of it in the result."""
    shutil.rmtree(proj / "site", ignore_errors=True)
    res = timed(module("stages"), cwd=proj, path=MODULE_PATH)
    lines = res["output"].splitlines()
    for note in (line for line in lines if line.startswith("stages: ")):
        log(note)
    line = next((line for line in lines if line.startswith("STAGES ")), None)
    if res["rc"] != 0 or line is None:
        raise RuntimeError(f"stage-timed build failed:\n{res['output'][-3000:]}")
    out: dict = {"wall_s": round(res["wall_s"], 2), "stages_s": {k: v[0] for k, v in json.loads(line[7:]).items()}}
    if out_dir is not None:  # cProfile for drill-down (several times slower than the real build)
        out_dir.mkdir(parents=True, exist_ok=True)
        prof = out_dir / f"talkbase-build-{n}.prof"
        shutil.rmtree(proj / "site", ignore_errors=True)
        cmd = [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "mkdocs", "build", "-q"]
        res = checked(timed(cmd, cwd=proj), "profiled build")
        out["cprofile"] = {"file": str(prof), "wall_s": round(res["wall_s"], 2), "top": summarize_profile(prof)}
    return out


def summarize_profile(prof: Path, count: int = 25) -> list[str]:
    """The functions with most own time (tottime), as 'seconds file:function'."""
    stats = pstats.Stats(str(prof))
    top = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:count]
    return [f"{v[2]:.2f}s {Path(k[0]).parent.name}/{Path(k[0]).name}:{k[2]}" for k, v in top]


if __name__ == "__main__":
    print("STAGES " + json.dumps(main()))
