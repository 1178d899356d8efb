"""Write generated files into docs/ safely: only what changed, atomically, never over a file a person wrote.

A manifest (`docs/.talkbase-generated.json`) records each generated file and the hash of what was
written. A file not in the manifest belongs to a person; a file whose hash no longer matches was
edited by hand. Both are left alone and reported instead of overwritten.

A run that is killed must not make its own pages look edited by hand: before it changes any file it
records both the hash a file has now and the one it is about to write, so after a kill at any moment
every file holds something the manifest calls talkbase's. A file that already holds exactly what would
be written is never a conflict.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = ".talkbase-generated.json"
# Temporary files and folders talkbase makes, named after the process that made them (scratch_name)
_SCRATCH = re.compile(r".+\.talkbase-(\d+)-[0-9a-f]{8}\.tmp")


class ConflictError(Exception):
    """Generated output would overwrite or delete a person's file."""


@dataclass
class WriteReport:
    """What a generation did to docs/: the commands print it, and the build checks pages against `digests`."""

    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)  # every generated file: its SHA-256, as written

    def holds_what_was_written(self, rel: str, data: bytes) -> bool:
        """Whether `data` is exactly what this generation wrote (or left unchanged) at `rel` under docs/."""
        return self.digests.get(rel) == _digest(data)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def scratch_name(prefix: str) -> str:
    """A name for a temporary file or folder that says talkbase made it, in this process, so that a later run
    can remove it once this process is gone (killed before it could clean up) and never one still in use."""
    return f"{prefix}.talkbase-{os.getpid()}-{secrets.token_hex(4)}.tmp"


def _alive(pid: int) -> bool:
    if os.name != "posix":  # no harmless probe: os.kill would stop the process; keep what it may still use
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        pass
    return True


def remove_leftovers(folder: Path) -> None:
    """Remove the temporary files and folders that killed talkbase processes left in `folder`."""
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if (match := _SCRATCH.fullmatch(entry.name)) and not _alive(int(match[1])):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                Path(entry.path).unlink(missing_ok=True)


def atomic_write(path: Path, data: bytes) -> None:
    """Write through a temporary file and rename, so a crash never leaves half a file. The file gets the usual
    permissions (0666 less the umask, as any program's new file), not mkstemp's private 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(scratch_name(f".{path.name}"))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_manifest(path: Path) -> dict[str, list[str]]:
    """Each generated file and the digests that are talkbase's: one, or two while a run is changing it."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {rel: value if isinstance(value, list) else [value] for rel, value in raw.items()}


def _save_manifest(path: Path, owned: dict[str, list[str]]) -> None:
    """One digest per file is written as a plain string, as the manifest always held."""
    plain = {rel: digests[0] if len(digests) == 1 else digests for rel, digests in sorted(owned.items())}
    atomic_write(path, json.dumps(plain, indent=1, ensure_ascii=False).encode("utf-8"))


def write_tree(docs: Path, files: dict[str, str | bytes]) -> WriteReport:
    """Make docs/ hold exactly `files` among generated paths; check every conflict before touching anything."""
    manifest_path = docs / MANIFEST
    owned = read_manifest(manifest_path)
    encoded = {rel: (data.encode("utf-8") if isinstance(data, str) else data) for rel, data in files.items()}
    report = WriteReport(digests={rel: _digest(data) for rel, data in sorted(encoded.items())})
    new = report.digests
    gone = [rel for rel in owned if rel not in new]
    current: dict[str, str] = {}  # what each generated path holds now, where it exists
    conflicts = []
    for rel in [*new, *gone]:
        path = docs / rel
        try:
            current[rel] = _digest(path.read_bytes())
        except FileNotFoundError:
            continue
        if current[rel] == new.get(rel) or current[rel] in owned.get(rel, ()):
            continue
        if rel not in owned:
            conflicts.append(f"{path}: exists and was not generated by talkbase; move it away or rename it")
        else:
            conflicts.append(f"{path}: generated file was edited by hand; edit its source (talks/, templates/) "
                             f"instead, then delete this file")
    if conflicts:
        raise ConflictError("\n".join(conflicts))
    for folder in {"", *(os.path.dirname(rel) for rel in [*new, *gone])}:
        remove_leftovers(docs / folder)
    changed = [rel for rel in new if current.get(rel) != new[rel]]
    final = {rel: [digest] for rel, digest in new.items()}
    if changed or gone:  # record both states first, so a kill at any moment leaves only files the manifest calls ours
        both = {rel: [digest, current[rel]] if current.get(rel, digest) != digest else [digest]
                for rel, digest in new.items()} | {rel: [current[rel]] for rel in gone if rel in current}
        if both != owned:
            _save_manifest(manifest_path, both)
            owned = both
    for rel in changed:
        atomic_write(docs / rel, encoded[rel])
        report.written.append(rel)
    report.unchanged = len(new) - len(changed)
    for rel in gone:
        (docs / rel).unlink(missing_ok=True)
        report.removed.append(rel)
    if final != owned:
        _save_manifest(manifest_path, final)
    return report
