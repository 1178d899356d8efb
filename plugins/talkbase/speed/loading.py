"""Loading a project without doing again what was done before: the pure loader (`project.load_project`) with a
reader that skips files unchanged since this process read them, takes episodes valid in an earlier run from
the cache on disk (`cache.py`) and, with many files left, parses part of them on a second core (`forked.py`)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Iterable

from pydantic import ValidationError

from talkbase import project as core
from talkbase.hashing import digest
from talkbase.load import file_stamp
from talkbase.project import EpisodeRead, Layout, Parsed, Project
from talkbase.schema import Episode
from talkbase.speed import cache
from talkbase.speed.collector import collector_paused
from talkbase.speed.forked import each

# Valid episodes by (path, project root): `talkbase build` validates before the plugin loads the project
# again, and `talkbase serve` reloads talks/ on every edit; both then parse only the files that changed.
_EPISODES: dict[tuple[Path, Path], EpisodeRead] = {}


def forget() -> None:
    """Drop what this process remembers of episode files (`talkbase.speed.reset`)."""
    _EPISODES.clear()


class _Kept(Parsed):
    """A parsed episode as the cache stores it and a helper sends it: its plain data, not the model, which is a
    fourth of the pickling, and validating the data again costs what unpickling the models would (figures:
    benchmarks/README.md). The entry is made once, where the episode was parsed: a helper sends those bytes,
    which the cache stores as they are."""

    @cached_property
    def entry(self) -> bytes:
        """What the cache stores (`cache.encode`)."""
        return cache.encode((self.data, self.people))

    def __reduce__(self) -> tuple:
        return _Kept.from_entry, (self.entry,)

    @staticmethod
    def from_entry(entry: bytes) -> _Kept | None:
        """The episode an entry holds; None for an entry this code cannot use (see `cache.decode`)."""
        stored = cache.decode(entry)
        if stored is None:
            return None
        data, people = stored
        try:
            kept = _Kept(Episode.model_validate(data), data, people)
        except ValidationError:  # valid when stored, by the same code: only a damaged entry gets here
            return None
        kept.__dict__["entry"] = entry  # already made: what the cache stores
        return kept


def _parse(display: str, text: str) -> EpisodeRead | _Kept:
    parsed = core.parse_episode(display, text)
    return _Kept(parsed.episode, parsed.data, parsed.people) if isinstance(parsed, Parsed) else parsed


def read_episodes(paths: list[Path], layout: Layout) -> list[EpisodeRead]:
    """What `project.read_episodes` gives, remembering: see the module's docstring. Problems are never kept."""
    reads: dict[Path, EpisodeRead] = {}
    store = cache.Store(layout.root, "episodes")
    todo = []
    for path in paths:
        known = _EPISODES.get((path, layout.root))
        if known is not None and known.source is not None and known.source.stamp == file_stamp(path):
            reads[path] = known
            continue
        got = core.read_text(path, layout)
        if isinstance(got, EpisodeRead):
            reads[path] = got
            continue
        text, stamp = got
        display, key = layout.rel(path), digest(text)
        if (entry := store.entry(key)) is not None and (stored := _Kept.from_entry(entry)) is not None:
            reads[path] = core.valid_read(path, display, text, stamp, stored, key)
        else:
            todo.append((path, display, text, stamp, key))
    # Known before a helper forks, the code digest is the same in both processes: were talkbase's own files
    # edited while it ran, the entries it sends would otherwise carry a digest this process refuses.
    if todo:
        cache.code_digest()
    parsed = each(len(todo), lambda i: _parse(todo[i][1], todo[i][2]))
    for result, (path, display, text, stamp, key) in zip(parsed, todo):  # each() first: it ends the helper
        if isinstance(result, _Kept):
            if store.enabled:
                store.write(key, result.entry)
            result = core.valid_read(path, display, text, stamp, result, key)
        reads[path] = result
    for path, read in reads.items():
        _EPISODES.pop((path, layout.root), None)
        if read.source is not None and read.source.stamp is not None:
            _EPISODES[(path, layout.root)] = read
    store.save(keep={r.source.digest for r in reads.values() if r.source is not None})
    return [reads[p] for p in paths]


def load_project(layout: Layout, extra: Iterable[Path] = ()) -> Project:
    """`project.load_project`, with this module's reader and no cycle collection while it runs."""
    with collector_paused():
        return core.load_project(layout, extra, read=read_episodes)
