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

import os
import pickle
import time
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from talkbase.hashing import digest
from talkbase.write import atomic_write

_FORMAT = 2  # bump when what is stored changes shape


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
        base = Path(setting) if setting else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no home folder to be found: work without a cache
        return None
    base = base if setting else base / "talkbase"
    return base / digest(str(root.resolve()))[:16]


def encode(value: Any) -> bytes:
    """An entry as stored: the value with the digest of the code that made it."""
    return pickle.dumps((code_digest(), value), protocol=pickle.HIGHEST_PROTOCOL)


def decode(entry: bytes) -> Any | None:
    """The value of an entry; None for one that is unreadable or was made by other code."""
    try:
        made_by, value = pickle.loads(entry)
    except Exception:  # anything wrong with it: a cache is only ever a shortcut
        return None
    return value if made_by == code_digest() else None


MAX_PACKS = 8  # more packs than this, or more stale entries than live ones, and `save` merges them into one


class Store:
    """One kind of entry (episodes, pages), by key. Entries live in pack files: each run that adds entries
    writes them as one new pack when it calls `save`: a file per entry cost a third of parsing the episode it
    held (benchmarks/README.md). Only the process that saves
    may add entries: a forked helper sends its work back instead. An unreadable entry or pack, or one made by
    another version of talkbase or its libraries, reads as missing."""

    def __init__(self, root: Path, kind: str):
        folder = folder_for(root)
        self.folder = folder / kind if folder else None
        self._packs: dict[Path, dict[str, bytes]] | None = None  # every pack's entries, read at the first `get`
        self._index: dict[str, bytes] = {}  # key -> entry, newer packs over older ones
        self._added: dict[str, bytes] = {}

    @property
    def enabled(self) -> bool:
        """Whether this store keeps anything (a cache folder is set)."""
        return self.folder is not None

    def _read(self) -> dict[Path, dict[str, bytes]]:
        if self._packs is None:
            self._packs = {}
            for pack in self._pack_files():  # oldest first: their names start with the time they were written
                try:
                    entries = pickle.loads(pack.read_bytes())
                except Exception:  # gone since it was listed, or broken: its entries are missing
                    continue
                if isinstance(entries, dict):
                    self._packs[pack] = entries
                    self._index.update(entries)
        return self._packs

    def _pack_files(self) -> list[Path]:
        return sorted(self.folder.glob("*.pack")) if self.folder is not None and self.folder.is_dir() else []

    def entry(self, key: str) -> bytes | None:
        """The entry under `key` as `encode` made it, for a caller that decodes it its own way."""
        if not self.enabled:
            return None
        self._read()
        return self._added.get(key) or self._index.get(key)

    def get(self, key: str) -> Any | None:
        """The value stored under `key`, or None for a missing or unusable entry."""
        entry = self.entry(key)
        return decode(entry) if entry is not None else None

    def put(self, key: str, value: Any) -> None:
        """Store `value` under `key` when the store is saved."""
        if self.enabled:
            self.write(key, encode(value))

    def write(self, key: str, entry: bytes) -> None:
        """Add an entry made by `encode`; it is stored when the store is saved."""
        if self.enabled:
            self._added[key] = entry

    def save(self, keep: set[str]) -> None:
        """Store what was added as one pack, and forget entries whose keys are not in `keep` (what the project
        uses now) once they outnumber the rest, so the cache never outgrows the project."""
        folder = self.folder
        if folder is None:
            return
        if self._packs is not None:
            packs = self._packs
        else:  # read every pack only when there are enough of them to merge
            packs = self._read() if len(self._pack_files()) >= MAX_PACKS else {}
        live = {k: v for k, v in {**self._index, **self._added}.items() if k in keep}
        stored = sum(len(entries) for entries in packs.values()) + len(self._added)
        try:
            if packs and (len(packs) >= MAX_PACKS or stored > 2 * len(live)):
                self._write_pack(folder, live)
                for pack in packs:  # only packs this process read: one another process is writing stays
                    pack.unlink(missing_ok=True)
            elif self._added:
                self._write_pack(folder, self._added)
            for old in folder.glob("*.pickle") if self._added else ():  # a file per entry, before packs
                old.unlink(missing_ok=True)
        except OSError:  # a read-only home or a full disk only costs speed
            pass
        self._packs, self._index, self._added = None, {}, {}

    def _write_pack(self, folder: Path, entries: dict[str, bytes]) -> None:
        name = f"{time.time_ns():020d}-{os.getpid()}.pack"
        atomic_write(folder / name, pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL))
