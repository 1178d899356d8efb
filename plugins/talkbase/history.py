"""When each episode file last changed, from the git history of the repository the project is in.

One `git log` over the whole history gives every file's last commit. Outside a repository, without git, or in a
shallow clone (whose oldest commit would look like the last change of every file) there is no date, and pages
show none. A shallow clone is the default of many CI checkouts: it costs the dates, never the build, and the
README says to check out the whole history (`fetch-depth: 0`).
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path


def last_changed(root: Path, files: list[str]) -> dict[str, dt.datetime]:
    """The commit time of the last commit that touched each of `files` (paths relative to `root`). A file never
    committed has no entry."""
    wanted = set(files)
    if not wanted:
        return {}
    try:
        prefix = _git(root, "rev-parse", "--is-shallow-repository", "--show-prefix")
    except (OSError, subprocess.SubprocessError):  # not a repository, or no git
        return {}
    shallow, _, prefix = prefix.partition("\n")
    if shallow.strip() == "true":
        return {}
    prefix = prefix.strip()
    try:
        log = _git(root, "-c", "core.quotepath=off", "log", "--format=%x1e%cI", "--name-only", "--no-renames",
                   "--", *sorted({f.rpartition("/")[0] or "." for f in wanted}))
    except (OSError, subprocess.SubprocessError):  # no commit yet
        return {}
    found: dict[str, dt.datetime] = {}
    for commit in log.split("\x1e")[1:]:  # newest first: a file's first appearance is its last change
        when, *names = commit.strip().splitlines()
        for name in names:
            rel = name.removeprefix(prefix) if name.startswith(prefix) else None
            if rel in wanted and rel not in found:
                found[rel] = dt.datetime.fromisoformat(when)
        if len(found) == len(wanted):
            break
    return found


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, encoding="utf-8", check=True,
                          timeout=60).stdout
