"""MkDocs glue: run the generator before MkDocs reads docs/, polish page HTML, watch the sources."""

from __future__ import annotations

import hashlib
import logging
import os
from functools import lru_cache
from pathlib import Path

import watchdog.events

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger

from talkbase.config import TalkbaseConfig
from talkbase.generate import generate
from talkbase.load import ProblemsFound
from talkbase.mathml import to_mathml
from talkbase.project import Layout
from talkbase.render import SiteOptions
from talkbase.sanitize import neutralize
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
        return report.digests.get(rel) == hashlib.sha256(data).hexdigest()

    def on_any_event(self, event) -> None:
        paths = [event.src_path] + ([event.dest_path] if getattr(event, "dest_path", "") else [])
        if event.is_directory or all(self._ours(p) for p in paths):
            return
        with self.server._rebuild_cond:  # what mkdocs' own watch callback does (mkdocs 1.6 LiveReloadServer)
            self.server._want_rebuild = True
            self.server._rebuild_cond.notify_all()


class TalkbasePlugin(BasePlugin[TalkbaseConfig]):
    report: WriteReport | None = None  # what the last generation wrote into docs/

    def on_startup(self, *, command, dirty):
        logging.getLogger("jieba").setLevel(logging.WARNING)  # its dictionary-loading chatter is not a build event
        _memoize_search_segmentation()

    def layout(self, config) -> Layout:
        opts = self.config
        return Layout.at(Path(config.config_file_path).parent, series=opts.series, talks=opts.talks_dir,
                         data=opts.data_dir, templates=opts.templates_dir, notebooks=opts.notebooks_dir,
                         docs=config.docs_dir)

    def on_config(self, config):
        layout = self.layout(config)
        try:
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
        self.total = len(files.documentation_pages())
        self.done = 0
        return files

    def on_page_markdown(self, markdown, page, config, files):
        """Report progress every tenth of the pages, so a build of hundreds of episodes shows it is moving."""
        self.done += 1
        if self.total >= PROGRESS_MIN_PAGES and (self.done % max(1, self.total // 10) == 0 or self.done == self.total):
            log.info(f"rendered {self.done}/{self.total} pages")
        return markdown

    def on_page_content(self, html, page, config, files):
        return neutralize(to_mathml(html, lambda message: log.warning(f"{page.file.src_uri}: {message}")))

    def on_serve(self, server, config, builder):
        layout = self.layout(config)
        docs = os.path.abspath(config.docs_dir)
        if docs in server._watched_paths:  # replace mkdocs' own watch of docs/ by one that skips the generator's writes
            server.unwatch(docs)
            server.observer.schedule(_DocsWatch(server, docs, self), docs, recursive=True)
        for path in (layout.talks, layout.templates, layout.notebooks, layout.data, layout.series):
            if path.exists():
                server.watch(str(path))
        return server
