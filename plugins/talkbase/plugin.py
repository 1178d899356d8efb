"""MkDocs glue: run the generator before MkDocs reads docs/, polish page HTML, watch the sources."""

from __future__ import annotations

import gc
import logging
import os
from functools import lru_cache
from pathlib import Path

import watchdog.events

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger

from talkbase.cache import digest
from talkbase.config import TalkbaseConfig
from talkbase.generate import generate
from talkbase.load import ProblemsFound
from talkbase import forked, parallel
from talkbase.mathml import to_mathml
from talkbase.project import Layout, collector_paused, episode_files
from talkbase.render import SiteOptions, compiled_templates
from talkbase.sanitize import clean
from talkbase.write import MANIFEST, ConflictError, WriteReport

log = get_plugin_logger(__name__)


PROGRESS_MIN_PAGES = 50  # below this a build is quick enough to need no progress lines


class _MemoJieba:
    """Stands in for the `jieba` module in material's search plugin: episode pages repeat many runs of Chinese
    (section notes, names, topics), so each distinct run is segmented once. Any other use of jieba may change
    its dictionary (the search plugin loads the user dictionary on every build), so it empties the memo."""

    def __init__(self, module):
        self._module = module
        self._memo = lru_cache(maxsize=1 << 16)(lambda text: tuple(module.cut(text)))

    def cut(self, sentence, *args, **kwargs):
        return self._module.cut(sentence, *args, **kwargs) if args or kwargs else self._memo(sentence)

    def __getattr__(self, name):
        self._memo.cache_clear()
        return getattr(self._module, name)


def _material_search(config):
    """mkdocs-material's search plugin, if the site uses it and its index has the shape talkbase relies on
    (a list of entries filled by `add_entry_from_context`); otherwise talkbase leaves search alone."""
    for plugin in config.plugins.values():
        if type(plugin).__module__.startswith("material.plugins.search"):
            index = getattr(plugin, "search_index", None)
            if isinstance(getattr(index, "entries", None), list) and callable(getattr(type(index), "add_entry_from_context", None)):
                return plugin
    return None


def _merge_search_index(search, rebuilt: set[str], alive: set[str]) -> None:
    """After a dirty rebuild the search index holds only the pages rebuilt; material merges in the previous
    index by dropping the entries of the first rebuilt page only (it expects one page per rebuild). A talkbase
    edit rebuilds several (the episode, its neighbours, topic and people pages), so merge here: the previous
    entries of every page not rebuilt and still there, then the new ones. Material then has nothing to merge."""
    previous = getattr(search, "search_index_prev", None)
    if previous is None:
        return
    kept = [e for e in previous.entries if (url := e["location"].split("#")[0]) not in rebuilt and url in alive]
    search.search_index.entries = kept + search.search_index.entries
    search.search_index_prev = None


def _memoize_search_segmentation() -> None:
    from material.plugins.search import plugin as search

    if search.jieba is not None and not isinstance(search.jieba, _MemoJieba):
        search.jieba = _MemoJieba(search.jieba)


class _DocsWatch(watchdog.events.FileSystemEventHandler):
    """Rebuild on changes in docs/ except the generator's own writes, which would otherwise rebuild everything twice:
    its temporary files, its manifest, files that hold exactly what it last wrote and files it removed."""

    def __init__(self, server, docs: str, plugin: TalkbasePlugin):
        self.server, self.docs, self.plugin = server, docs, plugin

    def _ours(self, path: str) -> bool:
        name = os.path.basename(path)
        if name == MANIFEST or name.startswith(".") and name.endswith(".tmp"):
            return True
        report = self.plugin.report
        if report is None:
            return False
        rel = Path(os.path.relpath(path, self.docs)).as_posix()
        try:
            data = Path(path).read_bytes()
        except OSError:  # gone: ours if the generator removed it
            return rel in report.removed
        return report.holds_what_was_written(rel, data)

    def on_any_event(self, event) -> None:
        paths = [event.src_path] + ([event.dest_path] if getattr(event, "dest_path", "") else [])
        if event.is_directory or all(self._ours(p) for p in paths):
            return
        with self.server._rebuild_cond:  # what mkdocs' own watch callback does (mkdocs 1.6 LiveReloadServer)
            self.server._want_rebuild = True
            self.server._rebuild_cond.notify_all()


class TalkbasePlugin(BasePlugin[TalkbaseConfig]):
    report: WriteReport | None = None  # what the last generation wrote into docs/
    dirty = serving = False
    settings: str | None = None  # digest of mkdocs.yml at the last build in this process
    everything = False  # rebuild every page although the build is dirty: mkdocs.yml changed
    rebuilt: set[str] = set()  # URLs of the pages this build renders
    alive: set[str] = set()  # URLs of every page of the site

    def __init__(self):
        super().__init__()
        self.helpers: list[parallel.PageConversion | parallel.SearchIndexing] = []  # second-process work in this build

    def on_startup(self, *, command, dirty):
        logging.getLogger("jieba").setLevel(logging.WARNING)  # its dictionary-loading chatter is not a build event
        _memoize_search_segmentation()
        self.dirty, self.serving = dirty, command == "serve"

    def layout(self, config) -> Layout:
        return self.config.layout(Path(config.config_file_path).parent, config.docs_dir)

    def on_config(self, config):
        if "talkbase.rawtext" not in config.markdown_extensions:  # contributors' `<` shown as typed (rawtext.py)
            config.markdown_extensions.append("talkbase.rawtext")
        layout = self.layout(config)
        settings = digest(Path(config.config_file_path).read_bytes()) if config.config_file_path else None
        self.everything = self.dirty and self.settings is not None and settings != self.settings
        self.settings = settings
        log.info(f"reading {len(episode_files(layout))} episodes and writing their pages")
        try:
            # The project and its pages live until the build ends: frozen, the cycle collector leaves them alone
            # during the build and at exit; serving unfreezes them after each build.
            with collector_paused(keep=True):
                result = generate(layout, SiteOptions(site_url=config.site_url or ""))
        except ProblemsFound as err:
            raise PluginError(f"talkbase found {len(err.problems)} problem(s):\n{err}") from None
        except ConflictError as err:
            raise PluginError(f"talkbase will not overwrite these files:\n{err}") from None
        for warning in result.warnings:
            log.warning(warning)
        report = self.report = result.report
        log.info(f"{len(result.project.sources)} episodes: {len(report.written)} pages written, "
                 f"{report.unchanged} unchanged, {len(report.removed)} removed")
        return config

    def on_files(self, files, config):
        if self.everything:  # navigation, theme or extensions may show on every page, not only on changed ones
            log.info("mkdocs.yml changed: rebuilding every page")
            for file in files:
                file.is_modified = lambda: True  # what a dirty build asks of each file, answered for this build
        self.total = len(files.documentation_pages())
        self.done = 0
        return files

    @event_priority(-100)  # last, right before MkDocs converts the pages
    def on_nav(self, nav, config, files):
        pages = self._pages(files)
        if self.config.parallel and forked.worthwhile(len(pages)):
            self.helpers.append(parallel.PageConversion(pages, config, files))
        return nav

    @event_priority(-100)  # last, right before MkDocs renders the pages with the theme (and indexes them)
    def on_env(self, env, config, files):
        self._stop_helpers()  # every page is converted by now
        if env.bytecode_cache is None:  # MkDocs compiles some forty theme templates on every build: 0.3 s
            env.bytecode_cache = compiled_templates(self.layout(config).root, "theme")
        pages, search = self._pages(files), _material_search(config)
        self.rebuilt = {page.url for page in pages}
        self.alive = {f.page.url for f in files.documentation_pages() if f.page is not None}
        if search is not None and self.config.parallel and forked.worthwhile(len(pages)):
            self.helpers.append(parallel.SearchIndexing(pages, search.search_index))
        return env

    @event_priority(100)  # first: every page is indexed by now, and the search plugin writes the index next
    def on_post_build(self, config):
        self._stop_helpers()
        if (search := _material_search(config)) is not None:
            _merge_search_index(search, self.rebuilt, self.alive)
        if self.serving:
            gc.unfreeze()  # what this build leaves behind can be collected before the next one

    def on_build_error(self, error):
        self._stop_helpers()
        gc.unfreeze()

    def _pages(self, files) -> list:
        """The pages this build converts and renders (a dirty build skips unmodified ones)."""
        return [f.page for f in files.documentation_pages() if f.page is not None and (not self.dirty or f.is_modified())]

    def _stop_helpers(self) -> None:
        for helper in self.helpers:
            helper.close()
            log.debug(f"{type(helper).__name__}: {helper.helper.used} of {len(helper.pages)} pages done in a second process")
        self.helpers = []

    def on_page_markdown(self, markdown, page, config, files):
        """Report progress every tenth of the pages, so a build of hundreds of episodes shows it is moving."""
        self.done += 1
        if self.total >= PROGRESS_MIN_PAGES and (self.done % max(1, self.total // 10) == 0 or self.done == self.total):
            log.info(f"rendered {self.done}/{self.total} pages")
        return markdown

    @event_priority(-100)  # last: the allowlist sees the HTML every other plugin made, as readers will get it
    def on_page_content(self, html, page, config, files):
        """Math to MathML, then every page's HTML through the allowlist (sanitize.py)."""
        return clean(to_mathml(html, lambda message: log.warning(f"{page.file.src_uri}: {message}")))

    def on_serve(self, server, config, builder):
        layout = self.layout(config)
        docs = os.path.abspath(config.docs_dir)
        if docs in server._watched_paths:  # replace mkdocs' own watch of docs/ by one that skips the generator's writes
            server.unwatch(docs)
            server.observer.schedule(_DocsWatch(server, docs, self), docs, recursive=True)
        # images/ beside series.yml: the files its texts show (talks/images/ is watched with talks/)
        for path in (layout.talks, layout.templates, layout.notebooks, layout.data, layout.series, layout.root / "images"):
            if path.exists():
                server.watch(str(path))
        return server
