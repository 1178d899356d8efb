"""Strict builds into a fresh folder, and publishing that folder to a git branch (the gh-pages way).

Nothing is replaced until a build has fully succeeded: `site/` is swapped in whole, and a failed
build pushes nothing, so the published site stays as it was.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, MkDocsException

from talkbase.project import Layout


class BuildFailed(Exception):
    """The site did not build (validation, a warning under --strict, a template error...)."""


class PublishFailed(Exception):
    """git refused the publish; the message says what git said."""


def mkdocs_config(config_file: Path, **overrides):
    return load_config(config_file=str(config_file), **overrides)


def layout_from(config_file: Path) -> Layout:
    """The project layout as the mkdocs.yml's talkbase plugin options describe it."""
    cfg = mkdocs_config(config_file)
    plugin = cfg.plugins.get("talkbase")
    if plugin is None:
        raise BuildFailed(f"{config_file}: the talkbase plugin is not listed under 'plugins:'")
    o = plugin.config
    return Layout.at(config_file.parent, series=o.series, talks=o.talks_dir, data=o.data_dir,
                     templates=o.templates_dir, notebooks=o.notebooks_dir, docs=cfg.docs_dir)


class _Collect(logging.Handler):
    """Keeps the warnings and errors MkDocs logs, so a failed build says why, not just 'Aborted'."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname}: {record.getMessage()}")


def build_into(config_file: Path, out_dir: Path, strict: bool = True) -> None:
    """Run a full MkDocs build into `out_dir`; any warning fails it when strict."""
    collect = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(collect)
    try:
        cfg = mkdocs_config(config_file, site_dir=str(out_dir), strict=strict)
        cfg.plugins.on_startup(command="build", dirty=False)
        try:
            mkdocs_build(cfg)
        finally:
            cfg.plugins.on_shutdown()
    except (Abort, MkDocsException) as err:
        raise BuildFailed("\n".join([*collect.messages, str(err)])) from None
    finally:
        logger.removeHandler(collect)


def build_site(config_file: Path, site_dir: Path, strict: bool = True) -> None:
    """Build into a temporary sibling folder and swap it in only when the build succeeded."""
    site_dir = site_dir.resolve()
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}.new-", dir=site_dir.parent))
    try:
        build_into(config_file, fresh, strict)
        old = site_dir.with_name(f".{site_dir.name}.old-{os.getpid()}")
        if site_dir.exists():
            site_dir.rename(old)
        fresh.rename(site_dir)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


def _git(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise PublishFailed(f"git {' '.join(args)} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result


def remote_url(root: Path, remote: str) -> str:
    """A remote name of the project's repository, or a URL/path given directly."""
    found = _git("remote", "get-url", remote, cwd=root, check=False)
    if found.returncode == 0:
        return found.stdout.strip()
    if "/" in remote or ":" in remote:
        return remote
    raise PublishFailed(f"'{remote}' is not a git remote of {root} (git remote -v lists them) nor a URL")


def publish(config_file: Path, remote: str, branch: str, message: str | None = None,
            log: logging.Logger | None = None) -> str:
    """Build strictly into a temporary folder, then commit it on top of `branch` and push it.

    Returns the commit id pushed.
    """
    log = log or logging.getLogger("talkbase")
    root = config_file.parent.resolve()
    url = remote_url(root, remote)
    source = _git("rev-parse", "--short", "HEAD", cwd=root, check=False).stdout.strip() or "uncommitted"
    with tempfile.TemporaryDirectory(prefix="talkbase-publish-") as tmp:
        work = Path(tmp) / "site"
        log.info("Building the site strictly before publishing ...")
        build_into(config_file, work, strict=True)
        (work / ".nojekyll").touch()
        _git("init", "-q", "-b", branch, cwd=work)
        _git("remote", "add", "origin", url, cwd=work)
        if _git("fetch", "-q", "--depth", "1", "origin", f"refs/heads/{branch}", cwd=work, check=False).returncode == 0:
            _git("reset", "-q", "--soft", "FETCH_HEAD", cwd=work)  # keep history; the tree is the new site
        _git("add", "-A", cwd=work)
        if _git("diff", "--cached", "--quiet", cwd=work, check=False).returncode == 0 and \
                _git("rev-parse", "-q", "--verify", "HEAD", cwd=work, check=False).returncode == 0:
            log.info(f"The published site on {branch} is already up to date")
            return _git("rev-parse", "HEAD", cwd=work).stdout.strip()
        ident = ["-c", "user.name=talkbase", "-c", "user.email=talkbase@localhost"] \
            if not _git("config", "user.email", cwd=work, check=False).stdout.strip() else []
        _git(*ident, "commit", "-q", "-m", message or f"Publish site from {source}", cwd=work)
        _git("push", "-q", "origin", f"HEAD:refs/heads/{branch}", cwd=work)
        commit = _git("rev-parse", "HEAD", cwd=work).stdout.strip()
        log.info(f"Published {commit[:10]} to {branch} on {url}")
        return commit
