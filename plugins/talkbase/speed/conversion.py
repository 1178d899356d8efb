"""Use a second core for the slow step of a large build: Markdown to HTML.

MkDocs goes through the pages one at a time, converting each page's Markdown. Right before that
pass a forked helper takes pages from the end of the list while MkDocs works from the start; they
meet in the middle, whichever is faster doing more. The helper runs exactly the code MkDocs would
run (`Page.read_source` and `Page.render`) on an inherited copy of the build; what that sets on a
page is copied back through `mkdocs_internals`, so this runs only with the MkDocs version tested
there. MkDocs still runs every plugin event itself, in its own order: a helper's result is used
only when the page's input (the Markdown after every `on_page_markdown`) is the one the helper
worked from, and otherwise MkDocs does the work itself. Messages the helper logged are logged
again when its result is used, so `--strict` counts them as before. The built site is the same byte for byte (tested).
"""

from __future__ import annotations

from typing import Any, Callable

from mkdocs.structure.pages import Page

from talkbase import mkdocs_internals as internals
from talkbase.hashing import digest
from talkbase.speed.forked import Helper


# Plugins whose part in a build a helper's conversion leaves as it is: they keep no state from converting a page
# (their module, as `type(plugin).__module__` names it). Any other plugin may, as mkdocs-autorefs does: it records
# each converted page's anchors in its own memory, which a helper's copy would keep to itself.
KNOWN_PLUGINS = frozenset({"talkbase.plugin", "material.plugins.search.plugin", "mkdocs.contrib.search"})


def unknown(config: Any) -> str | None:
    """What in this build a helper could not convert pages beside, or None: a plugin talkbase does not know, or a
    Markdown extension given as an object (a plugin's, shared by every page) rather than by name."""
    for name, plugin in config.plugins.items():
        if type(plugin).__module__ not in KNOWN_PLUGINS:
            return f"the plugin {name}"
    for extension in config.markdown_extensions:
        if not isinstance(extension, str):
            return f"the Markdown extension {type(extension).__module__}.{type(extension).__name__}"
    return None


class PageConversion:
    """Markdown to HTML for `pages`, shared with a helper: each page's `render` first asks the helper."""

    def __init__(self, pages: list[Page], config: Any, files: Any):
        self.pages, self.config, self.files = pages, config, files
        self.helper = Helper(len(pages), self._convert)
        for i, page in enumerate(pages):
            internals.ask_before_render(page, self._render_for(page, i))

    def _convert(self, i: int) -> tuple:
        """In the helper: what Page.render sets, for page i, and the Markdown it converted."""
        page = self.pages[i]
        page.read_source(self.config)
        source = digest(page.markdown or "")
        Page.render(page, self.config, self.files)
        return source, internals.converted(page)

    def _render_for(self, page: Page, i: int) -> Callable[[Any, Any], None]:
        def render(config: Any, files: Any) -> None:
            internals.render_as_mkdocs(page)
            got = self.helper.take(i)
            if got is None or got.value[0] != digest(page.markdown or ""):
                return page.render(config, files)
            internals.set_converted(page, got.value[1], self.files)
            got.replay()
            self.helper.used += 1
        return render

    def close(self) -> None:
        """End the helper; every page renders as MkDocs' own again."""
        self.helper.close()
        for page in self.pages:
            internals.render_as_mkdocs(page)
