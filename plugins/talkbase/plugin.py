"""MkDocs glue: run the generator before MkDocs reads docs/, polish page HTML, watch the sources."""

from __future__ import annotations

import logging
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger

from talkbase.config import TalkbaseConfig
from talkbase.generate import generate
from talkbase.load import ProblemsFound
from talkbase.mathml import to_mathml
from talkbase.project import Layout
from talkbase.render import SiteOptions
from talkbase.sanitize import neutralize
from talkbase.write import ConflictError

log = get_plugin_logger(__name__)


PROGRESS_MIN_PAGES = 50  # below this a build is quick enough to need no progress lines


class TalkbasePlugin(BasePlugin[TalkbaseConfig]):
    def on_startup(self, *, command, dirty):
        logging.getLogger("jieba").setLevel(logging.WARNING)  # its dictionary-loading chatter is not a build event

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
        report = result.report
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
        for path in (layout.talks, layout.templates, layout.notebooks, layout.data, layout.series):
            if path.exists():
                server.watch(str(path))
        return server
