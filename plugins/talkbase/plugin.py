"""MkDocs glue: run the generator before MkDocs reads docs/, polish page HTML, watch the sources."""

from __future__ import annotations

import os
import time
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger

from talkbase import mkdocs_internals as internals
from talkbase import search
from talkbase.config import TalkbaseConfig
from talkbase.generate import generate
from talkbase.hashing import digest
from talkbase.load import ProblemsFound
from talkbase.project import Layout, episode_files
from talkbase.render import SiteOptions
from talkbase.sanitize import clean
from talkbase.speed import conversion, forked
from talkbase.speed.collector import collector_paused, release
from talkbase.speed.pages import compiled_templates
from talkbase.write import MANIFEST, ConflictError, WriteReport

log = get_plugin_logger(__name__)


PROGRESS_MIN_PAGES = 50  # below this a build is quick enough to need no progress lines


class TalkbasePlugin(BasePlugin[TalkbaseConfig]):
    """Writes the episodes' pages into docs/ before MkDocs reads it, and shapes how MkDocs builds them."""

    report: WriteReport | None = None  # what the last generation wrote into docs/
    dirty = serving = False
    settings: str | None = None  # digest of mkdocs.yml at the last build in this process
    everything = False  # rebuild every page although the build is dirty: mkdocs.yml changed
    searching = False  # this build writes talkbase's search index (search.py) in place of material's
    shortcuts = False  # this build may use MkDocs' and material's private parts (mkdocs_internals.py)

    def __init__(self):
        super().__init__()
        self.helpers: list[conversion.PageConversion] = []  # second-process work in this build
        self.records: dict[str, list[dict]] = {}  # search records by page URL, kept from build to build when serving

    def on_startup(self, *, command, dirty):
        """Default priority: only notes how MkDocs runs (serve, dirty), which every later event asks."""
        self.dirty, self.serving = dirty, command == "serve"

    def layout(self, config) -> Layout:
        """Where the project's parts are, for this MkDocs configuration."""
        return self.config.layout(Path(config.config_file_path).parent, config.docs_dir)

    def on_config(self, config):
        """Default priority: generate the pages. Any time before MkDocs reads docs/ (after on_config) would do."""
        if "talkbase.rawtext" not in config.markdown_extensions:  # contributors' `<` shown as typed (rawtext.py)
            config.markdown_extensions.append("talkbase.rawtext")
        why = internals.unsupported("mkdocs")
        self.shortcuts = why is None
        if why is not None:
            log.info(f"{why}: every page is converted in one process, the theme's templates are compiled each "
                     f"build, and `talkbase serve` may rebuild twice after an edit")
        layout = self.layout(config)
        settings = digest(Path(config.config_file_path).read_bytes()) if config.config_file_path else None
        self.everything = self.dirty and self.settings is not None and settings != self.settings
        self.settings = settings
        log.info(f"reading {len(episode_files(layout))} episodes and writing their pages")
        try:
            # The project and its pages live until the build ends: frozen, the cycle collector leaves them alone
            # during the build and at exit; serving releases them after each build.
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
        """Default priority: choose the search. Any time after material's search plugin read its config
        (on_config) would do."""
        material, why = search.material_search(config), search.unusable(config)
        if why is not None and material is not None:
            log.info(f"{why}: using material's own search")
        self.searching = why is None
        if self.searching:
            internals.index_no_page(material)
        self.total = len(files.documentation_pages())
        self.done = 0
        return files

    @event_priority(-100)
    def on_nav(self, nav, config, files):
        """Last (-100): right before MkDocs converts the pages, with every plugin's changes to the files made.
        A dirty build that must render every page has their outputs removed first."""
        # a dirty build in a fresh process has no search records of the pages it would skip: it renders them all
        if self.everything or self.dirty and self.searching and not self.records:
            if self.everything:  # navigation, theme or extensions may show on every page, not only on changed ones
                log.info("mkdocs.yml changed: rebuilding every page")
            _outdate(files, config.site_dir)
        pages = self._pages(files)
        if self.shortcuts and self.config.parallel and forked.worthwhile(len(pages)):
            if (other := conversion.unknown(config)) is None:
                self.helpers.append(conversion.PageConversion(pages, config, files))
            else:
                log.info(f"converting every page in one process: {other} may keep what it sees of each page, "
                         f"which a second process would keep to itself")
        return nav

    @event_priority(-100)
    def on_env(self, env, config, files):
        """Last (-100): every page is converted by now, and no other plugin changes the theme's environment after."""
        self._stop_helpers()
        if self.shortcuts:
            internals.keep_compiled(env, compiled_templates(self.layout(config).root, "theme"))
        env.globals["talkbase_search"] = self.searching  # overrides/main.html then loads talkbase-search.js
        if self.searching:
            alive = {f.page.url for f in files.documentation_pages() if f.page is not None}
            self.records = {url: records for url, records in self.records.items() if url in alive}
        return env

    @event_priority(50)
    def on_page_context(self, context, page, config, nav):
        """Early (50): before material's search plugin, which strips the data-search-exclude marks read here."""
        if self.searching:
            self.records[page.url] = search.page_records(page)
        return context

    @event_priority(100)
    def on_post_build(self, config):
        """First (100): every page is rendered by now; the index is written before others look at the site."""
        self._stop_helpers()
        if self.searching:
            start = time.perf_counter()
            written = search.write_index(list(self.records.values()), config.site_dir)
            log.info(f"search: {written['records']} sections of {len(self.records)} pages indexed, "
                     f"{written['words']} words in {written['files']} files ({written['bytes'] / 1e6:.1f} MB) "
                     f"in {time.perf_counter() - start:.1f} s")
        if self.serving:
            release()  # what this build leaves behind can be collected before the next one

    def on_build_error(self, error):
        """Default priority: end the helpers and release the frozen objects of a build that failed."""
        self._stop_helpers()
        release()

    def _pages(self, files) -> list:
        """The pages this build converts and renders (a dirty build skips unmodified ones)."""
        return [f.page for f in files.documentation_pages()
                if f.page is not None and (not self.dirty or f.is_modified())]

    def _stop_helpers(self) -> None:
        for helper in self.helpers:
            helper.close()
            log.debug(f"{type(helper).__name__}: {helper.helper.used} of {len(helper.pages)} pages "
                      f"done in a second process")
        self.helpers = []

    def on_page_markdown(self, markdown, page, config, files):
        """Default priority: report progress every tenth of the pages, so a large build shows it is moving."""
        self.done += 1
        if self.total >= PROGRESS_MIN_PAGES and (self.done % max(1, self.total // 10) == 0 or self.done == self.total):
            log.info(f"rendered {self.done}/{self.total} pages")
        return markdown

    @event_priority(-100)
    def on_page_content(self, html, page, config, files):
        """Last (-100): the allowlist (sanitize.py) sees the HTML every other plugin made, as readers will get it.
        Math is MathML already: the generator wrote it."""
        return clean(html)

    def on_serve(self, server, config, builder):
        """Default priority: watch the project's sources, and docs/ without the generator's own writes."""
        layout = self.layout(config)
        docs = os.path.abspath(config.docs_dir)
        if self.shortcuts:
            internals.watch_except(server, docs, lambda path: self._ours(path, docs))
        # images/ beside series.yml: the files its texts show (talks/images/ is watched with talks/)
        sources = (layout.talks, layout.templates, layout.notebooks, layout.data, layout.series, layout.root / "images")
        for path in sources:
            if path.exists():
                server.watch(str(path))
        return server

    def _ours(self, path: str, docs: str) -> bool:
        """Whether a change in docs/ is the generator's own, which would otherwise rebuild everything twice: its
        temporary files, its manifest, files that hold exactly what it last wrote and files it removed."""
        name = os.path.basename(path)
        if name == MANIFEST or name.startswith(".") and name.endswith(".tmp"):
            return True
        if self.report is None:
            return False
        rel = Path(os.path.relpath(path, docs)).as_posix()
        try:
            data = Path(path).read_bytes()
        except OSError:  # gone: ours if the generator removed it
            return rel in self.report.removed
        return self.report.holds_what_was_written(rel, data)


def _outdate(files, site_dir: str) -> None:
    """Make a dirty build build every file again: it skips only a file whose output is up to date, so each
    output is removed. Only files inside the site folder, never a source (a symbolic link goes, not what it
    points at); one that cannot be removed fails the build, which could not have written it either."""
    site = Path(site_dir).resolve()
    for file in files:
        output = Path(file.abs_dest_path)
        if not output.parent.resolve().is_relative_to(site):
            continue
        if file.abs_src_path and output.resolve() == Path(file.abs_src_path).resolve():
            continue
        try:
            output.unlink()
        except FileNotFoundError:  # not built yet: MkDocs builds it anyway
            pass
        except OSError as err:
            raise PluginError(f"talkbase cannot rebuild {output}: {err.strerror or err}") from None
