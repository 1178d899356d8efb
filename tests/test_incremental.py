"""Rendering again in the same process (what `talkbase serve` does after an edit) reuses the pages
whose inputs did not change, and gives exactly the pages a fresh render gives."""

from __future__ import annotations

import datetime as dt

from conftest import make_project
from talkbase import render as render_module
from talkbase import speed
from talkbase.generate import render_all
from talkbase.project import Layout
from talkbase.speed.loading import load_project
from talkbase.render import SiteOptions

OPTIONS = SiteOptions(site_url="https://example.org/", now=dt.datetime(2026, 11, 27, tzinfo=dt.timezone.utc))


def fresh_render(layout: Layout) -> dict:
    """What a new process would render: nothing remembered."""
    speed.reset()
    return render_all(load_project(layout), OPTIONS)


def counting_renders(monkeypatch) -> list[str]:
    """The pages rendered from now on. All in this process: a site of more than forked.MIN_JOBS pages (the
    bundled archive) would have a forked helper render some of them, where this list does not see them."""
    monkeypatch.setenv("TALKBASE_PARALLEL", "off")
    rendered: list[str] = []
    real = render_module.Renderer.render

    def render(self, template, page, **extra):
        rendered.append(page)
        return real(self, template, page, **extra)

    monkeypatch.setattr(render_module.Renderer, "render", render)
    return rendered


def test_an_edit_renders_only_the_pages_that_show_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TALKBASE_CACHE", "off")  # what one process remembers; the cache on disk is test_cache's
    layout = Layout.at(make_project(tmp_path / "project"))
    fresh_render(layout)
    episode = layout.talks / "002.yaml"
    text = episode.read_text(encoding="utf-8")
    assert "/p/641285737" in text
    episode.write_text(text.replace("/p/641285737", "/p/641285738"), encoding="utf-8")  # shown on every card of 002

    rendered = counting_renders(monkeypatch)
    again = render_all(load_project(layout), OPTIONS)
    assert "talks/002.md" in rendered and "talks/003.md" in rendered  # the page and its next neighbour
    assert "talks/000.md" not in rendered  # untouched: neither it nor the episodes it shows changed
    assert len(rendered) < len(again) / 2
    assert again == fresh_render(layout)


def test_a_changed_template_renders_every_page_again(tmp_path, monkeypatch):
    monkeypatch.setenv("TALKBASE_CACHE", "off")
    layout = Layout.at(make_project(tmp_path / "project"))
    before = fresh_render(layout)
    card = layout.templates / "macros.md.j2"
    card.write_text(card.read_text(encoding="utf-8").replace(" · {{ labels.original }}", " ·· {{ labels.original }}"),
                    encoding="utf-8")
    rendered = counting_renders(monkeypatch)
    again = render_all(load_project(layout), OPTIONS)
    assert set(rendered) >= {p for p in before if p.endswith(".md") and p.startswith(("talks/", "topics/", "people/"))}
    assert again == fresh_render(layout)
    assert any(" ·· " in text for text in again.values() if isinstance(text, str))


def test_a_renamed_episode_file_gets_an_edit_link_to_its_new_name(tmp_path, monkeypatch):
    """The same text under another file name is the same episode, but its page links to the file for edits."""
    monkeypatch.setenv("TALKBASE_CACHE", str(tmp_path / "cache"))  # both memories: this process's and the disk's
    layout = Layout.at(make_project(tmp_path / "project"))
    layout.series.write_text(layout.series.read_text(encoding="utf-8") + "repo_url: https://github.com/example/talks\n",
                             encoding="utf-8")
    assert "/edit/main/talks/002.yaml" in fresh_render(layout)["talks/002.md"]
    (layout.talks / "002.yaml").rename(layout.talks / "2023-06-24.yaml")

    page = render_all(load_project(layout), OPTIONS)["talks/002.md"]
    assert "/edit/main/talks/2023-06-24.yaml" in page and "talks/002.yaml" not in page
    assert fresh_render(layout)["talks/002.md"] == page  # a new process, reading the cache on disk


def test_an_edit_to_a_template_in_a_subfolder_renders_again(tmp_path, monkeypatch):
    """Templates may include others from subfolders; an edit there reaches every page that includes it."""
    monkeypatch.setenv("TALKBASE_CACHE", str(tmp_path / "cache"))
    layout = Layout.at(make_project(tmp_path / "project"))
    (layout.templates / "parts").mkdir()
    footer = layout.templates / "parts" / "footer.md.j2"
    footer.write_text("<!-- footer one -->\n", encoding="utf-8")
    episode = layout.templates / "episode.md.j2"
    episode.write_text(episode.read_text(encoding="utf-8") + '{% include "parts/footer.md.j2" %}', encoding="utf-8")
    assert "footer one" in fresh_render(layout)["talks/001.md"]

    footer.write_text("<!-- footer two -->\n", encoding="utf-8")
    assert "footer two" in render_all(load_project(layout), OPTIONS)["talks/001.md"]  # this process
    assert "footer two" in fresh_render(layout)["talks/001.md"]  # a new one, with the cache on disk


def test_an_edited_paper_link_renders_the_papers_page_again(tmp_path, monkeypatch):
    monkeypatch.setenv("TALKBASE_CACHE", str(tmp_path / "cache"))
    layout = Layout.at(make_project(tmp_path / "project"))
    assert "2303.18223" in fresh_render(layout)["papers.md"]
    episode = layout.talks / "003.yaml"
    episode.write_text(episode.read_text(encoding="utf-8").replace("2303.18223", "2306.15595"), encoding="utf-8")

    rendered = counting_renders(monkeypatch)
    papers = render_all(load_project(layout), OPTIONS)["papers.md"]
    assert "papers.md" in rendered and "2306.15595" in papers and "2303.18223" not in papers
    assert fresh_render(layout)["papers.md"] == papers
    rendered.clear()
    render_all(load_project(layout), OPTIONS)
    assert "papers.md" not in rendered  # nothing changed since: the page comes from memory
