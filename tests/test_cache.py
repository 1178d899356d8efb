"""The cache on disk: a new process takes unchanged episodes and pages from it, and gets exactly what
parsing and rendering would give; anything wrong with an entry only means doing the work again."""

from __future__ import annotations

import datetime as dt
import pickle
import posixpath

import pytest

from conftest import EARLY, build, early_project
from talkbase import load, speed
from talkbase import project as project_module
from talkbase import render as render_module
from talkbase.generate import render_all
from talkbase.hashing import digest
from talkbase.project import Layout
from talkbase.speed import cache
from talkbase.speed.loading import load_project
from talkbase.render import SiteOptions

OPTIONS = SiteOptions(site_url="https://example.org/", now=dt.datetime(2026, 11, 27, tzinfo=dt.timezone.utc))


def new_process() -> None:
    """Forget what this process remembers, as a new `talkbase` command would start."""
    speed.reset()


@pytest.fixture
def layout(tmp_path, monkeypatch) -> Layout:
    """The early episodes 000-003 (003 embeds a notebook), with a cache folder of this test's own."""
    monkeypatch.setenv("TALKBASE_CACHE", str(tmp_path / "cache"))
    new_process()
    return Layout.at(early_project(tmp_path / "project"))


@pytest.fixture
def work(monkeypatch) -> dict[str, list[str]]:
    """What was parsed and rendered, by wrapping the real functions."""
    done: dict[str, list[str]] = {"parsed": [], "rendered": []}
    parse, render = project_module.parse_yaml, render_module.Renderer.render
    monkeypatch.setattr(project_module, "parse_yaml",
                        lambda text, display: done["parsed"].append(display) or parse(text, display))
    monkeypatch.setattr(render_module.Renderer, "render",
                        lambda self, template, page, **extra: done["rendered"].append(page)
                        or render(self, template, page, **extra))
    return done


def build_pages(layout: Layout) -> dict:
    new_process()
    return render_all(load_project(layout), OPTIONS)


def test_a_second_run_takes_unchanged_work_from_the_cache(layout, work, monkeypatch):
    first = build_pages(layout)
    assert len(work["parsed"]) == len(EARLY)
    rendered_first = len(work["rendered"])
    work["parsed"].clear(), work["rendered"].clear()

    second = build_pages(layout)
    assert work["parsed"] == []
    # the lists of everything are always rendered, and 003 because it embeds a notebook's frozen run
    assert set(work["rendered"]) == {"index.md", "talks/index.md", "topics/index.md", "people/index.md", "talks/003.md"}
    assert rendered_first > 3 * len(work["rendered"])
    assert second == first
    always = set(work["rendered"])

    episode = layout.talks / "001.yaml"
    episode.write_text(episode.read_text(encoding="utf-8").replace("zhuanlan", "www.zhuanlan"), encoding="utf-8")
    work["parsed"].clear(), work["rendered"].clear()
    third = build_pages(layout)
    assert work["parsed"] == ["talks/001.yaml"]
    changed = {page for page in third if third[page] != second[page]}
    assert "talks/001.md" in changed and changed <= set(work["rendered"])
    # exactly the pages that show 001 (link to its page) were rendered again; the others came from the cache
    shows_001 = {page for page, text in second.items()
                 if isinstance(text, str) and links_to(text, page, "talks/001.md")}
    assert set(work["rendered"]) == always | shows_001 | {"talks/001.md"}
    assert set(second) - set(work["rendered"]), "every page was rendered again"
    monkeypatch.setenv("TALKBASE_CACHE", "off")
    assert third == build_pages(layout)  # the same as doing all the work


def links_to(text: str, page: str, target: str) -> bool:
    """Whether the Markdown of `page` has a link to the page `target` (both paths under docs/)."""
    link = posixpath.relpath(target, posixpath.dirname(page) or ".")
    return f"]({link})" in text or f"]({link}#" in text


def packs(layout: Layout, kind: str) -> list:
    return sorted((cache.folder_for(layout.root) / kind).glob("*.pack"))


def test_broken_or_foreign_entries_are_ignored(layout, work, monkeypatch):
    first = build_pages(layout)
    [pack] = packs(layout, "episodes")  # one run, one pack of every episode
    entries = pickle.loads(pack.read_bytes())
    assert len(entries) == len(EARLY) and len(pickle.loads(packs(layout, "pages")[0].read_bytes())) > 20
    keys = sorted(entries)
    entries[keys[0]] = b"not a pickle"
    data, people = cache.decode(entries[keys[1]])  # an entry holds the episode's plain data, validated on reading
    entries[keys[1]] = cache.encode(({**data, "number": "three"}, people))
    pack.write_bytes(pickle.dumps(entries))
    work["parsed"].clear()
    assert build_pages(layout) == first
    assert len(work["parsed"]) == 2  # only the broken entries were parsed again

    for pack in packs(layout, "episodes"):
        pack.write_bytes(b"not a pack")
    work["parsed"].clear()
    assert build_pages(layout) == first
    assert len(work["parsed"]) == len(EARLY)

    monkeypatch.setattr(cache, "code_digest", lambda: "another talkbase version")
    work["parsed"].clear()
    assert build_pages(layout) == first
    assert len(work["parsed"]) == len(EARLY)


def test_entries_of_the_file_per_entry_cache_are_removed(layout):
    folder = cache.folder_for(layout.root) / "episodes"
    folder.mkdir(parents=True)
    (folder / f"{digest('old')}.pickle").write_bytes(b"an entry of talkbase before packs")
    load_project(layout)
    assert [p.suffix for p in folder.iterdir()] == [".pack"]


def test_edits_add_small_packs_that_are_merged_before_they_pile_up(layout, work):
    build_pages(layout)
    episode = layout.talks / "002.yaml"
    text = episode.read_text(encoding="utf-8")
    counts = []
    for n in range(2 * cache.MAX_PACKS):  # as `talkbase serve` does after each edit
        episode.write_text(text.replace("zhuanlan", f"zhuanlan{n}"), encoding="utf-8")
        work["parsed"].clear()
        build_pages(layout)
        assert work["parsed"] == ["talks/002.yaml"]
        counts.append(len(packs(layout, "episodes")))
    assert max(counts) <= cache.MAX_PACKS and counts.count(1) >= 2  # merged, more than once
    stored = [pickle.loads(pack.read_bytes()) for pack in packs(layout, "episodes")]
    assert sum(map(len, stored)) <= 2 * len(EARLY)  # stale versions of 002 never outnumber the live entries
    live = {digest(path.read_text(encoding="utf-8")) for path in layout.talks.glob("*.yaml")}
    assert live <= set().union(*stored)


def test_problems_are_never_cached_and_off_means_no_folder(layout, monkeypatch, tmp_path):
    episode = layout.talks / "003.yaml"
    episode.write_text(episode.read_text(encoding="utf-8").replace("number: 3", "number: three"), encoding="utf-8")
    for _ in range(2):
        new_process()
        with pytest.raises(load.ProblemsFound, match="number"):
            load_project(layout)
    monkeypatch.setenv("TALKBASE_CACHE", "off")
    assert cache.folder_for(layout.root) is None
    monkeypatch.setenv("TALKBASE_CACHE", str(tmp_path / "elsewhere"))
    assert cache.folder_for(layout.root).parent == tmp_path / "elsewhere"


def test_an_episode_from_the_cache_reads_its_data_and_positions_from_its_text(layout):
    load_project(layout)
    new_process()
    source = next(s for s in load_project(layout).sources if s.display == "talks/003.yaml")
    assert "data" not in vars(source.doc)  # neither cached nor kept: what validating needed, the episode holds
    text = (layout.talks / "003.yaml").read_text(encoding="utf-8")
    assert source.doc.data == load.parse_yaml(text, "talks/003.yaml").data
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith("number:"))
    assert source.doc.marks[("number",)] == (line, len("number: ") + 1)


def test_a_cache_folder_that_takes_no_files_costs_speed_not_the_build(layout, monkeypatch):
    """A read-only or full cache folder: here every kind of entry goes to /proc, which creates no file, even for
    root. The strict build still succeeds, with the same pages as a build without a cache."""
    folder = cache.folder_for(layout.root)
    folder.mkdir(parents=True)
    for kind in ("episodes", "pages", "templates", "theme"):
        (folder / kind).symlink_to("/proc/self", target_is_directory=True)
    pages = {p.relative_to(site): p.read_bytes() for site in [build(layout.root)] for p in site.rglob("*.html")}
    assert len(pages) > 20
    new_process()
    monkeypatch.setenv("TALKBASE_CACHE", "off")
    assert {p.relative_to(site): p.read_bytes() for site in [build(layout.root)] for p in site.rglob("*.html")} == pages


def test_damaged_compiled_templates_are_compiled_again(layout):
    """Jinja reads a kept template file that starts right but breaks off (a copied or restored cache) with an
    error; talkbase compiles the template again, for its own templates and for the theme's."""
    first = build(layout.root)
    pages = {p.relative_to(first): p.read_bytes() for p in first.rglob("*.html")}
    kept = [f for kind in ("templates", "theme") for f in (cache.folder_for(layout.root) / kind).iterdir()]
    assert len(kept) > 20
    for f in kept:
        f.write_bytes(f.read_bytes()[:40])
    new_process()
    second = build(layout.root)
    assert {p.relative_to(second): p.read_bytes() for p in second.rglob("*.html")} == pages
