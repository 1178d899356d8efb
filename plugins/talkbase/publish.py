"""Strict builds into a fresh folder, and publishing that folder to a git branch (the gh-pages way).

Nothing is replaced until a build has fully succeeded: `site/` is swapped in whole, and a failed
build pushes nothing, so the published site stays as it was.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from mkdocs.exceptions import Abort, MkDocsException

from talkbase.settings import mkdocs_config
from talkbase.write import remove_leftovers, scratch_name


class BuildFailed(Exception):
    """The site did not build (validation, a warning under --strict, a template error...)."""


class PublishFailed(Exception):
    """git refused the publish; the message says what git said."""


def placeholder_address(site_url: str | None) -> str | None:
    """Why `site_url` cannot be the address the site is published at, or None if it can be: it is empty, or
    its host is a name reserved for examples and tests (RFC 2606), as in the address a new project starts with."""
    if not site_url:
        return "site_url is not set"
    labels = (urlsplit(site_url).hostname or "").rstrip(".").split(".")
    domain = ".".join(labels[-2:])
    if (labels[-1] in ("example", "test", "invalid", "localhost")
            or domain in ("example.com", "example.net", "example.org")):
        return f"site_url {site_url} is a placeholder ({domain} is reserved for examples)"
    return None


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
    from mkdocs.commands.build import build as mkdocs_build  # a tenth of a second; only builds need it

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
    """Build into a temporary sibling folder and swap it in only when the build succeeded.

    A build killed at any moment leaves at most such folders beside `site_dir` (and no `site_dir` if killed
    between the two renames); the next build removes them."""
    site_dir = site_dir.resolve()
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(site_dir.parent)
    for entry in site_dir.parent.iterdir():  # as earlier versions named them
        if re.fullmatch(rf"\.{re.escape(site_dir.name)}\.(new-[a-z0-9_]{{8}}|old-\d+)", entry.name) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
    fresh = site_dir.with_name(scratch_name(f".{site_dir.name}"))
    fresh.mkdir()  # 0777 less the umask, like the folders MkDocs makes in it (mkdtemp's would be private)
    try:
        build_into(config_file, fresh, strict)
        old = site_dir.with_name(scratch_name(f".{site_dir.name}"))
        if site_dir.exists():
            site_dir.rename(old)
        fresh.rename(site_dir)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


@contextlib.contextmanager
def _scratch_folder() -> Iterator[Path]:
    """A private temporary folder, named so that the next publish removes it if this one is killed."""
    folder = Path(tempfile.gettempdir()) / scratch_name("publish")
    remove_leftovers(folder.parent)
    folder.mkdir(mode=0o700)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_GIT_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")


def _git(*args: str, cwd: Path, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in _GIT_ENV}
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                            env={**base, "GIT_TERMINAL_PROMPT": "0", **(env or {})})
    if check and result.returncode != 0:
        raise PublishFailed(f"git {' '.join(args)} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result


def _repository(root: Path, tmp: Path, remote: str) -> tuple[Path, str]:
    """The git directory to commit in, and what to push to.

    Inside a git checkout that is the project's own repository, so its remotes and the
    credentials CI set up for them apply; otherwise a temporary bare one, and `remote` must
    be a URL or a path.
    """
    if Path(remote).exists():
        remote = str(Path(remote).resolve())
    found = _git("rev-parse", "--absolute-git-dir", cwd=root, check=False)
    if found.returncode == 0:
        return Path(found.stdout.strip()), remote
    if "/" not in remote and ":" not in remote:
        raise PublishFailed(f"'{remote}' is not a remote: {root} is not in a git repository; "
                            f"pass the URL or path of the repository with --remote")
    _git("init", "-q", "--bare", str(tmp / "repo.git"), cwd=tmp)
    return tmp / "repo.git", remote


def publish(config_file: Path, remote: str, branch: str, message: str | None = None,
            log: logging.Logger | None = None) -> str:
    """Build strictly into a temporary folder, then push it as one new commit on top of `branch`.

    The commit is made with git plumbing and a private index, so the project's working tree,
    index and branches are never touched; the push is a plain fast-forward. Returns the commit id
    that `branch` holds afterwards.
    """
    log = log or logging.getLogger("talkbase")
    root = config_file.parent.resolve()
    with _scratch_folder() as tmp:
        git_dir, target = _repository(root, tmp, remote)
        site = tmp / "site"
        env = {"GIT_DIR": str(git_dir), "GIT_WORK_TREE": str(site), "GIT_INDEX_FILE": str(tmp / "index")}
        found = _git("ls-remote", "--exit-code", target, f"refs/heads/{branch}", cwd=tmp, env=env, check=False)
        if found.returncode not in (0, 2):  # 2: the branch does not exist yet
            raise PublishFailed(f"cannot reach {target}: {found.stderr.strip()}")
        parent = found.stdout.split()[0] if found.returncode == 0 else None
        log.info("Building the site strictly into a fresh folder before publishing ...")
        build_into(config_file, site, strict=True)
        (site / ".nojekyll").touch()  # GitHub Pages must serve the files as they are, not run Jekyll
        if parent:
            _git("fetch", "-q", target, f"refs/heads/{branch}", cwd=tmp, env=env)
        _git("add", "-A", "--force", ".", cwd=site, env=env)
        tree = _git("write-tree", cwd=site, env=env).stdout.strip()
        if parent and tree == _git("rev-parse", f"{parent}^{{tree}}", cwd=tmp, env=env).stdout.strip():
            log.info(f"{branch} on {target} already holds this site; nothing to publish")
            return parent
        if not _git("config", "user.email", cwd=tmp, env=env, check=False).stdout.strip():
            env |= {f"GIT_{who}_{what}": value for who in ("AUTHOR", "COMMITTER")
                    for what, value in (("NAME", "talkbase"), ("EMAIL", "talkbase@localhost"))}
        source = _git("rev-parse", "--short", "HEAD", cwd=root, check=False).stdout.strip()
        message = message or (f"Publish site from {source}" if source else "Publish site")
        commit = _git("commit-tree", tree, *(["-p", parent] if parent else []), "-m", message,
                      cwd=tmp, env=env).stdout.strip()
        pushed = _git("push", "-q", target, f"{commit}:refs/heads/{branch}", cwd=tmp, env=env, check=False)
        if pushed.returncode != 0:
            raise PublishFailed(f"git push to {target} {branch} was refused (did someone publish meanwhile? "
                                f"run talkbase publish again): {pushed.stderr.strip()}")
        log.info(f"Published {commit[:10]} to {branch} on {target}")
        return commit
