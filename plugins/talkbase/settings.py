"""Reading mkdocs.yml, in one place: the whole MkDocs configuration for builds, and the project layout (where
the episodes, templates and docs/ are) from the talkbase plugin's options alone, for the commands that only
read the project (`talkbase validate` need not import the theme and every plugin)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mkdocs.config import load_config
from mkdocs.utils import yaml_load

from talkbase.project import Layout


class ConfigError(Exception):
    """mkdocs.yml cannot say where the project is: not a mapping, no talkbase plugin, a bad plugin option."""


def mkdocs_config(config_file: Path, **overrides):
    """The whole MkDocs configuration, as `mkdocs build` would load it: what the build and serve commands use."""
    return load_config(config_file=str(config_file), **overrides)


def layout_from(config_file: Path) -> Layout:
    """The project layout as the mkdocs.yml's talkbase plugin options describe it.

    Reads only `docs_dir` and the plugin's options, checked as MkDocs checks them: loading the whole
    configuration imports the theme and every plugin, a wait `talkbase validate` would have for nothing
    (figures: benchmarks/README.md). The build itself loads the whole configuration as usual."""
    with open(config_file, "rb") as handle:
        raw = yaml_load(handle)  # MkDocs' own reader: `INHERIT` and `!ENV` work as in a build
    if not isinstance(raw, dict):
        raise ConfigError(f"{config_file}: expected a mapping of settings such as 'site_name' and 'plugins'")
    plugins = raw.get("plugins") or []
    entries = plugins.items() if isinstance(plugins, dict) else \
        [(p, None) if isinstance(p, str) else next(iter(p.items()), (None, None))
         for p in plugins if isinstance(p, (str, dict))]
    # the plugin's options as mkdocs.yml writes them, unchecked: load_dict refuses what is not a mapping
    options: Any = next((opts for name, opts in entries if name == "talkbase"), False)
    if options is False:
        raise ConfigError(f"{config_file}: the talkbase plugin is not listed under 'plugins:'")
    docs = raw.get("docs_dir") or "docs"
    if not options:  # every option at its default: nothing for MkDocs' option types to check
        return Layout.at(config_file.parent, docs=docs)
    # imports MkDocs' option types: only here, so that validate need not wait for them (figures: benchmarks/README.md)
    from talkbase.config import TalkbaseConfig

    o = TalkbaseConfig(config_file_path=str(config_file))
    o.load_dict(options)
    failed, warnings = o.validate()
    if failed:
        raise ConfigError("; ".join(f"plugins: talkbase: {key}: {err}" for key, err in failed))
    for key, warning in warnings:  # an unknown option is most likely a misspelt one
        logging.getLogger("talkbase").warning(f"{config_file.name}: plugins: talkbase: {key}: {warning}")
    return o.layout(config_file.parent, docs)
