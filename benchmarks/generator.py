"""talkbase's generator alone (load + validate, render, write into a fresh docs/), timed in a fresh process.

As a program, in the project folder:

    python -m benchmarks.generator PROJ SITE_URL

prints one JSON line: import_s, load_validate_s, render_s, write_s, pages, markdown_mb, episode_md_kb.
`run` starts that program and reads the line back.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Callable

from benchmarks.measure import MODULE_PATH, checked, module, timed


def project_loading() -> tuple[Callable[..., AbstractContextManager[None]], Callable[..., Any]]:
    """collector_paused and load_project from where talkbase keeps them: the speed layer since the refactor of
    issue #21 (talkbase.speed, whose modules are imported by name), talkbase.project before it (so that an
    older revision can be measured too)."""
    try:
        from talkbase.speed.collector import collector_paused
        from talkbase.speed.loading import load_project
    except ImportError:
        from talkbase.project import collector_paused, load_project
    return collector_paused, load_project


def main(proj: Path, site_url: str) -> dict:
    """Generate `proj`'s pages as `talkbase build` does, each step timed; the imports are timed too, so they
    happen here rather than at the top of the module."""
    t0 = time.perf_counter()
    from talkbase.generate import render_all
    from talkbase.project import Layout
    from talkbase.render import SiteOptions
    from talkbase.write import write_tree
    collector_paused, load_project = project_loading()
    t1 = time.perf_counter()
    with collector_paused(keep=True):  # as the plugin runs the generator
        project = load_project(Layout.at(proj))
        t2 = time.perf_counter()
        pages = render_all(project, SiteOptions(site_url=site_url))  # what `talkbase build` renders, feeds too
        t3 = time.perf_counter()
    docs = Path(tempfile.mkdtemp())
    write_tree(docs, pages)
    t4 = time.perf_counter()
    shutil.rmtree(docs)
    size = sum(len(v.encode() if isinstance(v, str) else v) for v in pages.values())
    episodes = sum(len(v.encode()) for k, v in pages.items() if k.startswith("talks/") and k != "talks/index.md")
    return {"import_s": t1 - t0, "load_validate_s": t2 - t1, "render_s": t3 - t2, "write_s": t4 - t3,
            "pages": len(pages), "markdown_mb": size / 2**20,
            "episode_md_kb": episodes / max(1, len(project.sources)) / 1024}


def run(proj: Path, site_url: str, cache: Path | str = "off", path: Sequence[Path] = MODULE_PATH,
        **how: Any) -> dict:
    """The generator's figures for `proj` from a fresh process (its peak RSS added as rss_mb); `path` decides
    which talkbase it imports (PYTHONPATH, first entry first); `how`: more of `timed`'s options."""
    res = checked(timed(module("generator", proj, site_url), cwd=proj, cache=cache, path=path, **how),
                  "generator run")
    data = json.loads(res["output"].strip().splitlines()[-1])
    data["rss_mb"] = res["rss_mb"]
    return data


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), sys.argv[2])))
