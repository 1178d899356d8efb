"""Load a whole project (series settings, people, topic aliases, every episode) and check it across files."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from pydantic import TypeAdapter, ValidationError

from talkbase.load import (Document, Problem, ProblemsFound, explain, key_path, load_model, read_document, suggest,
                           validate_document)
from talkbase.schema import Episode, Person, Series, TopicAliases

PERSON_KEYS = {"hosts", "editors", "section_owners", "contributors", "by"}


@dataclass(frozen=True)
class Layout:
    """Where a project keeps its parts; every path is absolute."""

    root: Path
    series: Path
    talks: Path
    data: Path
    templates: Path
    notebooks: Path
    docs: Path

    @classmethod
    def at(cls, root: Path, **paths: str) -> Layout:
        root = root.resolve()
        defaults = {"series": "series.yml", "talks": "talks", "data": "data", "templates": "templates",
                    "notebooks": "notebooks", "docs": "docs"}
        defaults.update({k: v for k, v in paths.items() if v})
        return cls(root=root, **{k: (root / v).resolve() for k, v in defaults.items()})

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)


@dataclass
class Source:
    """An episode with the file it came from."""

    episode: Episode
    path: Path
    display: str
    doc: Document


@dataclass
class Project:
    layout: Layout
    series: Series
    people: dict[str, Person]
    topics: list[TopicAliases]
    sources: list[Source] = field(default_factory=list)
    # every episode file that parsed, valid or not, so person ids are checked even in a file with other problems
    parsed: list[tuple[str, Document]] = field(default_factory=list)

    @property
    def episodes(self) -> list[Episode]:
        return [s.episode for s in self.sources]


def yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml")) if folder.is_dir() else []


def episode_files(layout: Layout) -> list[Path]:
    return yaml_files(layout.talks)


def _load_mapping(path: Path, layout: Layout, what: str) -> tuple[dict, Document] | None:
    if not path.exists():
        return None
    display, doc = read_document(path, layout.root)
    if doc.data is None:
        return {}, doc
    if not isinstance(doc.data, dict):
        raise ProblemsFound([Problem(display, 1, 1, f"expected a mapping of {what} at the top level")])
    return doc.data, doc


def load_people(layout: Layout) -> dict[str, Person]:
    """data/people.yml: `id: {name, aliases, links}`; without the file any well-formed id is accepted."""
    path = layout.data / "people.yml"
    loaded = _load_mapping(path, layout, "person ids")
    if loaded is None:
        return {}
    data, doc = loaded
    people, problems = {}, []
    for pid, value in data.items():
        try:
            people[str(pid)] = Person.model_validate(value)
        except ValidationError as err:
            shifted = Document(doc.data, {k[1:]: v for k, v in doc.marks.items() if k[:1] == (pid,)},
                               {k[1:]: v for k, v in doc.keys.items() if k[:1] == (pid,)})
            problems += [Problem(p.path, p.line, p.column, f"{pid}: {p.message}") for p in explain(err, shifted, layout.rel(path), Person)]
    if problems:
        raise ProblemsFound(problems)
    return people


def load_topics(layout: Layout) -> list[TopicAliases]:
    """data/topics.yml: a list of `{name, aliases}` merging spellings of one topic."""
    path = layout.data / "topics.yml"
    if not path.exists():
        return []
    display, doc = read_document(path, layout.root)
    if not isinstance(doc.data, list):
        raise ProblemsFound([Problem(display, 1, 1, "expected a list of topics, each with 'name' and 'aliases'")])
    try:
        return TypeAdapter(list[TopicAliases]).validate_python(doc.data)
    except ValidationError as err:
        raise ProblemsFound(explain(err, doc, display, TopicAliases)) from None


def _walk_people(data: Any, loc: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Yield (location, id) for every person reference in raw episode data."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in PERSON_KEYS:
                values = value if isinstance(value, list) else [value]
                for i, pid in enumerate(values):
                    if isinstance(pid, str):
                        yield (loc + (key, i) if isinstance(value, list) else loc + (key,)), pid
            else:
                yield from _walk_people(value, loc + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _walk_people(value, loc + (i,))


def _person_hint(pid: str, people: dict[str, Person]) -> str:
    for known, person in people.items():
        if pid == person.name or pid in person.aliases:
            return f"; '{pid}' is the name of '{known}', write the id '{known}'"
    return suggest(pid, list(people))


def cross_check(project: Project) -> list[Problem]:
    """Rules that need more than one file: people, duplicates, dates against numbers, notebooks."""
    problems: list[Problem] = []
    layout = project.layout
    if project.people:
        for display, doc in project.parsed:
            for loc, pid in _walk_people(doc.data):
                if pid not in project.people:
                    line, col = doc.marks.get(loc, (1, 1))
                    problems.append(Problem(display, line, col, f"{key_path(loc)}: unknown person id '{pid}' "
                                            f"(add it to data/people.yml){_person_hint(pid, project.people)}"))
    seen: dict[str, Source] = {}
    for src in project.sources:
        slug = src.episode.slug
        if slug in seen:
            key = "number" if src.episode.number is not None else "special"
            line, col = src.doc.marks.get((key,), (1, 1))
            problems.append(Problem(src.display, line, col, f"{key}: {getattr(src.episode, key)!r} is also used by "
                                    f"{seen[slug].display}; two episodes cannot share the page talks/{slug}/"))
        else:
            seen[slug] = src
    dated = sorted((s for s in project.sources if s.episode.number is not None and s.episode.date), key=lambda s: s.episode.number)
    for before, after in zip(dated, dated[1:]):
        if after.episode.date < before.episode.date:
            line, col = after.doc.marks.get(("date",), (1, 1))
            problems.append(Problem(after.display, line, col,
                                    f"date {after.episode.date} of episode {after.episode.number} is before the date "
                                    f"{before.episode.date} of episode {before.episode.number} ({before.display})"))
    for src in project.sources:
        practice = src.episode.practice
        if practice and practice.notebook:
            target = (layout.root / practice.notebook).resolve()
            line, col = src.doc.marks.get(("practice", "notebook"), (1, 1))
            folder = layout.rel(layout.notebooks)
            if not target.is_relative_to(layout.notebooks):
                problems.append(Problem(src.display, line, col, f"practice.notebook: expected a path inside {folder}/, found {practice.notebook!r}"))
            elif not target.is_file():
                problems.append(Problem(src.display, line, col, f"practice.notebook: no such file {practice.notebook!r}; expected a notebook in {folder}/"))
    return problems


# Valid episodes by (path, project root): `talkbase build` validates before the plugin loads the project
# again, and `talkbase serve` reloads talks/ on every edit; both then parse only the files that changed.
_EPISODES: dict[tuple[Path, Path], tuple[tuple, Source]] = {}


def _stamp(path: Path) -> tuple | None:
    """What identifies one version of a file: where it really is, its modification time and size."""
    try:
        real = path.resolve(strict=True)
        stat = real.stat()
    except (OSError, RuntimeError):
        return None
    return real, stat.st_mtime_ns, stat.st_size


def _load_episode(path: Path, layout: Layout, parsed: list[tuple[str, Document]]) -> Source:
    """One episode, parsed and validated, or the cached result while the file is unchanged; problems are never cached."""
    key, stamp = (path, layout.root), _stamp(path)
    cached = _EPISODES.get(key)
    if stamp is not None and cached is not None and cached[0] == stamp:
        src = cached[1]
        parsed.append((src.display, src.doc))
        return src
    _EPISODES.pop(key, None)
    display, doc = read_document(path, layout.root)
    parsed.append((display, doc))
    src = Source(validate_document(doc, display, Episode), path, display, doc)
    if stamp is not None:
        _EPISODES[key] = (stamp, src)
    return src


def load_project(layout: Layout, extra: Iterable[Path] = ()) -> Project:
    """Load and check everything (talks/ and any `extra` episode files); raise `ProblemsFound` listing every problem."""
    problems: list[Problem] = []
    series = people = topics = None
    try:
        series, _ = load_model(layout.series, layout.root, Series)
    except ProblemsFound as err:
        problems += err.problems
    for loader in (load_people, load_topics):
        try:
            result = loader(layout)
            people, topics = (result, topics) if loader is load_people else (people, result)
        except ProblemsFound as err:
            problems += err.problems
    project = Project(layout, series, people or {}, topics or [])  # type: ignore[arg-type]
    paths = episode_files(layout)
    paths += [p for p in extra if p not in paths]
    for path in paths:
        try:
            project.sources.append(_load_episode(path, layout, project.parsed))
        except ProblemsFound as err:
            problems += err.problems
    problems += cross_check(project)
    if problems:
        raise ProblemsFound(problems)
    project.sources.sort(key=_order)
    return project


def _order(src: Source) -> tuple:
    """Oldest first: by date where known, numbered episodes by number."""
    e = src.episode
    return (e.date or dt.date.min, e.number if e.number is not None else 10**6, e.slug)
