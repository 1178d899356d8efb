"""Options of the talkbase MkDocs plugin (`plugins: - talkbase:` in mkdocs.yml)."""

from pathlib import Path

from mkdocs.config import config_options as c
from mkdocs.config.base import Config

from talkbase.project import Layout


class TalkbaseConfig(Config):
    """The plugin's options, checked by MkDocs when it reads mkdocs.yml, so a mistyped option stops the build."""

    series = c.Type(str, default="series.yml")
    """Series settings file (name, schedule, the texts that repeat every week), relative to mkdocs.yml."""

    talks_dir = c.Type(str, default="talks")
    """Folder of episode files (`*.yaml`), one per episode."""

    data_dir = c.Type(str, default="data")
    """Folder with `people.yml` and `topics.yml` (optional registries of people and topic aliases)."""

    templates_dir = c.Type(str, default="templates")
    """Jinja2 templates that turn episodes into Markdown pages; edit them to change the layout."""

    notebooks_dir = c.Type(str, default="notebooks")
    """Folder of demo notebooks that episodes may reference; their frozen runs live in `<this>/_freeze`."""

    parallel = c.Type(bool, default=True)
    """Share MkDocs' Markdown conversion with a second process, on Linux machines with two or more cores and
    sites of 100 pages or more, when no other plugin may keep state from converting a page
    (speed/conversion.py): the site is the same either way. `TALKBASE_PARALLEL=off` also keeps the generator
    to one process."""

    def layout(self, root: Path, docs: str) -> Layout:
        """Where the project's parts are, as these options name them (`root`: the folder of mkdocs.yml)."""
        return Layout.at(root, series=self.series, talks=self.talks_dir, data=self.data_dir,
                         templates=self.templates_dir, notebooks=self.notebooks_dir, docs=docs)
