"""Use a second core for the two slow steps of a large build: Markdown to HTML, and search indexing.

MkDocs goes through the pages one at a time, twice: first converting each page's Markdown, then
rendering each page with the theme, which is when the search plugin indexes it. Right before each
pass a forked helper takes pages from the end of the list while MkDocs works from the start; they
meet in the middle, whichever is faster doing more. The helper runs exactly the code MkDocs would
run (`Page.read_source` and `Page.render`; the search plugin's own indexing) on an inherited copy
of the build. MkDocs still runs every plugin event itself, in its own order: a helper's result is
used only when the page's input (the Markdown after every `on_page_markdown`; the HTML, URL and
title at indexing time) is the one the helper worked from, and otherwise MkDocs does the work
itself. Messages the helper logged are logged again when its result is used, so `--strict`
counts them as before. The built site is the same byte for byte (tested).
"""

from __future__ import annotations

from typing import Any, Callable

from mkdocs.structure.pages import Page

from talkbase.cache import digest
from talkbase.forked import Helper


class PageConversion:
    """Markdown to HTML for `pages`, shared with a helper: each page's `render` first asks the helper."""

    def __init__(self, pages: list[Page], config: Any, files: Any):
        self.pages, self.config, self.files = pages, config, files
        self.helper = Helper(len(pages), self._convert)
        for i, page in enumerate(pages):  # MkDocs calls page.render(config, files); this instance attribute answers first
            page.render = self._render_for(page, i)

    def _convert(self, i: int) -> tuple:
        """In the helper: what Page.render sets, for page i."""
        page = self.pages[i]
        page.read_source(self.config)
        source = digest(page.markdown)
        Page.render(page, self.config, self.files)
        links = getattr(page, "links_to_anchors", None)
        return (source, page.content, page.toc, page._title_from_render, page.present_anchor_ids,
                None if links is None else {f.src_uri: anchors for f, anchors in links.items()})

    def _render_for(self, page: Page, i: int) -> Callable[[Any, Any], None]:
        def render(config, files) -> None:
            del page.render  # back to the class method
            got = self.helper.take(i)
            if got is None or got.value[0] != digest(page.markdown):
                return page.render(config, files)
            _, page.content, page.toc, page._title_from_render, page.present_anchor_ids, links = got.value
            if links is not None:
                page.links_to_anchors = {self.files.src_uris[uri]: anchors for uri, anchors in links.items()}
            got.replay()
            self.helper.used += 1
        return render

    def close(self) -> None:
        self.helper.close()
        for page in self.pages:
            page.__dict__.pop("render", None)


class SearchIndexing:
    """The search plugin's indexing of `pages`, shared with a helper: the index's `add_entry_from_context`
    first asks the helper for the entries of the page."""

    def __init__(self, pages: list[Page], index: Any):
        self.pages, self.index = pages, index
        self.position = {id(page): i for i, page in enumerate(pages)}
        self.helper = Helper(len(pages), self._entries)
        index.add_entry_from_context = self._add

    @staticmethod
    def _input(page: Page) -> str:
        return digest("\0".join([page.content or "", page.url, str(page.title), repr(sorted(page.meta.items()))]))

    def _entries(self, i: int) -> tuple[str, list[dict]]:
        """In the helper: the entries the index would add for page i."""
        page, entries = self.pages[i], self.index.entries
        start = len(entries)
        type(self.index).add_entry_from_context(self.index, page)
        return self._input(page), entries[start:]

    def _add(self, page: Page) -> None:
        i = self.position.get(id(page))
        got = self.helper.take(i) if i is not None else None
        if got is None or got.value[0] != self._input(page):
            return type(self.index).add_entry_from_context(self.index, page)
        self.index.entries.extend(got.value[1])
        got.replay()
        self.helper.used += 1

    def close(self) -> None:
        self.helper.close()
        self.index.__dict__.pop("add_entry_from_context", None)
