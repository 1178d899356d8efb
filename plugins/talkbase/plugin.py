"""MkDocs glue: run the generator before MkDocs reads docs/, polish page HTML, watch the sources."""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path

import watchdog.events

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger

from talkbase.cache import digest
from talkbase.config import TalkbaseConfig
from talkbase.generate import generate
from talkbase.load import ProblemsFound
from talkbase import forked, parallel, search
from talkbase.project import Layout, collector_paused, episode_files
from talkbase.render import SiteOptions, compiled_templates
from talkbase.sanitize import clean
from talkbase.write import MANIFEST, ConflictError, WriteReport

log = get_plugin_logger(__name__)


PROGRESS_MIN_PAGES = 50  # below this a build is quick enough to need no progress lines


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
    searching = False  # this build writes talkbase's search index (search.py) in place of material's

    def __init__(self):
        super().__init__()
        self.helpers: list[parallel.PageConversion] = []  # second-process work in this build
        self.records: dict[str, list[dict]] = {}  # search records by page URL, kept from build to build when serving

    def on_startup(self, *, command, dirty):
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
        why = search.unusable(config)
        if why is not None and search.material_search(config) is not None:
            log.info(f"{why}: using material's own search")
        self.searching = why is None
        if self.searching:
            search.silence(search.material_search(config))
        # a dirty build in a fresh process has no search records of the pages it would skip: it renders them all
        if self.everything or self.dirty and self.searching and not self.records:
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
            if (other := parallel.unknown(config)) is None:
                self.helpers.append(parallel.PageConversion(pages, config, files))
            else:
                log.info(f"converting every page in one process: {other} may keep what it sees of each page, "
                         f"which a second process would keep to itself")
        return nav

    @event_priority(-100)  # last, right before MkDocs renders the pages with the theme
    def on_env(self, env, config, files):
        self._stop_helpers()  # every page is converted by now
        if env.bytecode_cache is None:  # MkDocs compiles some forty theme templates on every build: 0.3 s
            env.bytecode_cache = compiled_templates(self.layout(config).root, "theme")
        env.globals["talkbase_search"] = self.searching  # overrides/main.html then loads talkbase-search.js
        if self.searching:
            alive = {f.page.url for f in files.documentation_pages() if f.page is not None}
            self.records = {url: records for url, records in self.records.items() if url in alive}
        return env

    @event_priority(50)  # before material's search plugin, which strips the data-search-exclude marks
    def on_page_context(self, context, page, config, nav):
        if self.searching:
            self.records[page.url] = search.page_records(page)
        return context

    @event_priority(100)  # first: every page is rendered by now
    def on_post_build(self, config):
        self._stop_helpers()
        if self.searching:
            start = time.perf_counter()
            written = search.write_index(list(self.records.values()), config.site_dir)
            log.info(f"search: {written['records']} sections of {len(self.records)} pages indexed, "
                     f"{written['words']} words in {written['files']} files ({written['bytes'] / 1e6:.1f} MB) "
                     f"in {time.perf_counter() - start:.1f} s")
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
        """Every page's HTML through the allowlist (sanitize.py). Math is MathML already: the generator wrote it."""
        return clean(html)

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
