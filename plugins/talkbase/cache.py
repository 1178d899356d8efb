"""A cache on disk of work that depends only on what files contain: validated episodes, rendered pages.

Run `talkbase validate` or `talkbase build` again after changing one episode, and the other episodes
are neither parsed nor rendered again. Every key is a digest of content (files, talkbase's own code,
the versions of the libraries that shape the output), never a timestamp, so an entry is only ever
used for exactly the input it was made from. The cache lives outside the project, in
`$XDG_CACHE_HOME/talkbase` (`~/.cache/talkbase`), one folder per project: it holds pickles, and a
pickle must never come from a cloned repository. Delete it at any time. `TALKBASE_CACHE=off`
turns it off; `TALKBASE_CACHE=/some/folder` puts it there (CI can keep that folder between runs).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from talkbase.write import atomic_write

_FORMAT = 2  # bump when what is stored changes shape


def digest(data: bytes | str) -> str:
    return hashlib.blake2b(data.encode("utf-8") if isinstance(data, str) else data, digest_size=20).hexdigest()


@lru_cache(maxsize=1)
def code_digest() -> str:
    """talkbase's own files and the versions of the libraries whose behaviour decides what is stored."""
    package = resources.files("talkbase")
    parts = [str(_FORMAT)]
    for entry in sorted(_files(package), key=lambda e: e[0]):
        parts += entry
    for name in ("pydantic", "pydantic-core", "PyYAML", "Jinja2"):
        try:
            parts.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} missing")
    return digest("\0".join(parts))


def _files(folder: Any, prefix: str = "") -> list[list[str]]:
    out = []
    for item in folder.iterdir():
        name = prefix + item.name
        if item.is_dir():
            if item.name != "__pycache__":
                out += _files(item, name + "/")
        elif item.name.endswith((".py", ".yml")):
            out.append([name, digest(item.read_bytes())])
    return out


def folder_for(root: Path) -> Path | None:
    """Where the cache of the project at `root` lives, or None when caching is off."""
    setting = os.environ.get("TALKBASE_CACHE", "")
    if setting.lower() in ("off", "0", "no", "false"):
        return None
    try:
        base = Path(setting) if setting else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "talkbase"
    except RuntimeError:  # no home folder to be found: work without a cache
        return None
    return base / digest(str(root.resolve()))[:16]


class Store:
    """One kind of entry (episodes, pages), a file each, named by its key. An unreadable entry, or one
    made by another version of talkbase or its libraries, reads as missing."""

    def __init__(self, root: Path, kind: str):
        folder = folder_for(root)
        self.folder = folder / kind if folder else None

    def get(self, key: str) -> Any | None:
        if self.folder is None:
            return None
        try:
            made_by, value = pickle.loads((self.folder / f"{key}.pickle").read_bytes())
        except Exception:  # missing, or anything wrong with it: a cache is only ever a shortcut
            return None
        return value if made_by == code_digest() else None

    def put(self, key: str, value: Any) -> None:
        if self.folder is None:
            return
        try:
            atomic_write(self.folder / f"{key}.pickle", pickle.dumps((code_digest(), value), protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:  # a read-only home or a full disk only costs speed
            pass

    def keep_only(self, keys: set[str]) -> None:
        """Forget every entry but `keys` (what the project uses now), so the cache never outgrows the project."""
        if self.folder is None or not self.folder.is_dir():
            return
        for entry in self.folder.glob("*.pickle"):
            if entry.stem not in keys:
                entry.unlink(missing_ok=True)
