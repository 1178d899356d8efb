"""The naive baseline talkbase is measured against: the same pages as plain Markdown in a default mkdocs-material
site (every page in the automatic navigation, theme language zh for jieba search, no talkbase plugin).

`make_baseline` lays out that site; its pages come from this module run as a program in a fresh process
(talkbase's own renderer, so the content is the same), which keeps talkbase out of the benchmark's process:

    python -m benchmarks.baseline PROJ DOCS SITE_URL
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from benchmarks.measure import MODULE_PATH, checked, module, timed
from benchmarks.projects import SITE_URL, tracked

BASELINE_YML = """\
site_name: OpenLLM Talk (naive baseline)
site_url: {site_url}
docs_dir: docs
site_dir: site
theme:
  name: material
  language: zh
plugins:
  - search
markdown_extensions:
{extensions}
"""


def make_baseline(base: Path, proj: Path) -> Path:
    """The baseline site of project `proj` in base/baseline: its pages, its hand-written docs/ files and a
    mkdocs.yml with nothing of the project's configuration but its Markdown extensions."""
    dest = base / "baseline"
    (dest / "docs").mkdir(parents=True)
    for rel in tracked("docs"):  # hand-written pages and assets too (not what a build generated into docs/)
        if (proj / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(proj / rel, dest / rel)
    checked(timed(module("baseline", proj, dest / "docs", SITE_URL), cwd=proj, path=MODULE_PATH), "baseline pages")
    # the project's Markdown extensions, so the content renders the same; nothing else of its config
    extensions = "\n".join("  " + line for line in _extensions_text(proj).splitlines())
    (dest / "mkdocs.yml").write_text(BASELINE_YML.format(site_url=SITE_URL, extensions=extensions), encoding="utf-8")
    return dest


def _extensions_text(proj: Path) -> str:
    """The markdown_extensions block of the project's mkdocs.yml, copied verbatim (keeps !!python tags)."""
    text = (proj / "mkdocs.yml").read_text(encoding="utf-8")
    m = re.search(r"^markdown_extensions:\n((?:[ \t]+.*\n|\n)+)", text, re.M)
    if not m:
        return "- toc"
    lines = [ln for ln in m.group(1).splitlines() if ln.strip()]
    indent = min(len(ln) - len(ln.lstrip()) for ln in lines)
    return "\n".join(ln[indent:] for ln in lines)


def main(proj: Path, docs: Path, site_url: str) -> int:
    """Write every page talkbase renders for `proj` into `docs` as a plain file; how many."""
    from talkbase.project import Layout, load_project  # the program's process only, never the benchmark's
    from talkbase.render import Renderer, SiteOptions

    pages = Renderer(load_project(Layout.at(proj)), SiteOptions(site_url=site_url)).pages()
    for rel, data in pages.items():
        path = docs / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return len(pages)


if __name__ == "__main__":
    print(main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]))
