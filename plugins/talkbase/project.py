"""Load a whole project (series settings, people, topic aliases, every episode) and check it across files."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable

from pydantic import TypeAdapter, ValidationError

from talkbase import pagelinks, slugs
from talkbase.demos import Notebook
from talkbase.hashing import digest
from talkbase.load import (Document, Problem, ProblemsFound, explain, key_path, load_model, parse_yaml,
                           read_document, read_version, suggest, validate_document)
from talkbase.outline import Outline, outline
from talkbase.schema import (PERSON_ID, PERSON_KEYED, PERSON_KEYS, Episode, Person, Series, TopicAliases,
                             format_offset, moments)


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
        """The layout of the project at `root`; `paths` (relative to it) replace the default places."""
        root = root.resolve()
        defaults = {"series": "series.yml", "talks": "talks", "data": "data", "templates": "templates",
                    "notebooks": "notebooks", "docs": "docs"}
        defaults.update({k: v for k, v in paths.items() if v})
        return cls(root=root, **{k: (root / v).resolve() for k, v in defaults.items()})

    def rel(self, path: Path) -> str:
        """How messages name `path`: relative to the project, with forward slashes."""
        return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)


@dataclass
class Source:
    """An episode with the file it came from."""

    episode: Episode
    path: Path
    display: str
    doc: Document
    stamp: tuple | None = None  # the file version it was read from (see file_stamp)
    digest: str = ""  # of the file's text: what the episode and the pages that show it depend on

    @cached_property
    def outline(self) -> Outline:
        """The episode's numbered entries: the cross-episode index and the episode's page both walk them, and
        `talkbase serve` keeps an unchanged episode's Source from one rebuild to the next."""
        return outline(self.episode)


@dataclass
class Project:
    """A loaded project: its layout, the series settings, the registries, and every valid episode."""

    layout: Layout
    series: Series
    people: dict[str, Person]
    topics: list[TopicAliases]
    sources: list[Source] = field(default_factory=list)
    # every episode file that parsed, valid or not, with its person references (key path, id), so person ids
    # are checked even in a file with other problems
    parsed: list[tuple[str, Document, list[tuple[tuple, str]]]] = field(default_factory=list)

    @property
    def episodes(self) -> list[Episode]:
        """The episodes alone, in build order (oldest first)."""
        return [s.episode for s in self.sources]


def yaml_files(folder: Path) -> list[Path]:
    """The YAML files directly in `folder`, by name; none if it is missing."""
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml")) if folder.is_dir() else []


def episode_files(layout: Layout) -> list[Path]:
    """Every episode file: the YAML files in talks/."""
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
    display = layout.rel(path)
    for pid, value in data.items():
        if why := _id_refusal(str(pid)):
            problems.append(Problem(display, *doc.keys.get((pid,), (1, 1)), f"person id: {why}"))
            continue
        try:
            people[str(pid)] = Person.model_validate(value)
        except ValidationError as err:
            problems += [Problem(p.path, p.line, p.column, f"{pid}: {p.message}")
                         for p in explain(err, doc, display, Person, within=(pid,))]
    if problems:
        raise ProblemsFound(problems)
    return people


def _id_refusal(pid: str) -> str | None:
    """Why a key of data/people.yml is not a person id; it names the page people/<id>/, so it must stay inside it."""
    if not PERSON_ID.fullmatch(pid):
        return f"expected lowercase ASCII letters, digits, '-' and '_', starting with a letter or digit, found {pid!r}"
    return slugs.refusal(pid)


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


def _walk_people(data: Any, loc: tuple = (), out: list | None = None) -> list[tuple[tuple, str]]:
    """(location, id) of every person reference in raw episode data; only containers are descended into.
    Plain recursion into one list: this walks every value of every episode."""
    out = [] if out is None else out
    for key, value in data.items() if data.__class__ is dict else enumerate(data):
        if key in PERSON_KEYED and value.__class__ is dict:  # an episode's roles are keyed by person id
            out += [(loc + (key, pid), pid) for pid in value if isinstance(pid, str)]
        elif key in PERSON_KEYS:  # keys are text or whole numbers; only text can match
            if value.__class__ is list:
                out += [(loc + (key, i), pid) for i, pid in enumerate(value) if isinstance(pid, str)]
            elif isinstance(value, str):
                out.append((loc + (key,), value))
        elif value.__class__ is dict or value.__class__ is list:
            _walk_people(value, loc + (key,), out)
    return out


def _person_hint(pid: str, people: dict[str, Person]) -> str:
    for known, person in people.items():
        if pid == person.name or pid in person.aliases:
            return f"; '{pid}' is the name of '{known}', write the id '{known}'"
    return suggest(pid, list(people))


def cross_check(project: Project) -> list[Problem]:
    """Rules that need more than one file or more than one key: people, duplicates, dates against numbers,
    moments against the video's length, notebooks."""
    problems: list[Problem] = []
    layout = project.layout
    if project.people:
        for display, doc, refs in project.parsed:
            for loc, pid in refs:
                if pid not in project.people and slugs.refusal(pid) is None:  # the schema refused the others
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
        if why := slugs.refusal(slug):  # a number always makes a page name; a long special id may not
            line, col = src.doc.marks.get(("special",), (1, 1))
            problems.append(Problem(src.display, line, col, f"special: talks/{slug}/ cannot be a page: {why}"))
    for src in project.sources:  # `seen` holds every page id now
        if src.episode.after is not None and src.episode.after not in seen:
            line, col = src.doc.marks.get(("after",), (1, 1))
            problems.append(Problem(src.display, line, col, f"after: no episode has the page id {src.episode.after!r}"
                                    f"{suggest(src.episode.after, sorted(seen))}"))
    dated = sorted((s for s in project.sources if s.episode.number is not None and s.episode.date),
                   key=lambda s: s.episode.number or 0)
    for before, after in zip(dated, dated[1:]):  # every one has a date (max and min only for the type checker)
        if (after.episode.date or dt.date.max) < (before.episode.date or dt.date.min):
            line, col = after.doc.marks.get(("date",), (1, 1))
            problems.append(Problem(after.display, line, col,
                                    f"date {after.episode.date} of episode {after.episode.number} is before the date "
                                    f"{before.episode.date} of episode {before.episode.number} ({before.display})"))
    for src in project.sources:
        video = src.episode.video
        if video is None or video.length is not None:  # what a moment can be checked against
            for loc, at in moments(src.episode):
                line, col = src.doc.marks.get(loc, (1, 1))
                if video is None:
                    problems.append(Problem(src.display, line, col, f"{key_path(loc)}: a moment in the video, but the "
                                            f"episode has none; add its 'video' (url, or a note while it is not out)"))
                elif video.length is not None and at > video.length:
                    problems.append(Problem(src.display, line, col,
                                            f"{key_path(loc)}: {format_offset(at)} is past the end of the video, "
                                            f"which runs {format_offset(video.length)} (video.length)"))
    notebooks: set[Path] = set()  # each notebook's files are read once, however many episodes show it
    for src in project.sources:
        practice = src.episode.practice
        if practice is None:
            continue
        for i, ref in enumerate(practice.notebooks):
            loc = ("practice", "notebook") + (() if isinstance(practice.notebook, str) else (i,))
            target = (layout.root / ref).resolve()
            line, col = src.doc.marks.get(loc, (1, 1))
            folder = layout.rel(layout.notebooks)
            if not target.is_relative_to(layout.notebooks):
                problems.append(Problem(src.display, line, col,
                                        f"{key_path(loc)}: expected a path inside {folder}/, found {ref!r}"))
            elif not target.is_file():
                problems.append(Problem(src.display, line, col,
                                        f"{key_path(loc)}: no such file {ref!r}; expected a notebook in {folder}/"))
            elif target not in notebooks:  # the build reads it and its freeze: one that is not JSON is reported here
                notebooks.add(target)
                problems += Notebook.at(target, layout.notebooks, layout.root).problems()
    return problems


@dataclass
class EpisodeRead:
    """What reading one episode file gave: its document if it parsed, the episode if it is valid, or problems."""

    display: str
    doc: Document | None = None
    source: Source | None = None
    problems: list[Problem] = field(default_factory=list)
    people: list[tuple[tuple, str]] = field(default_factory=list)  # (key path, id) of every person reference


@dataclass
class Parsed:
    """A valid episode just parsed, with the plain data it was validated from (what a cache would keep)."""

    episode: Episode
    data: Any
    people: list[tuple[tuple, str]]


def parse_episode(display: str, text: str) -> EpisodeRead | Parsed:
    """Parse and validate one episode's text."""
    try:
        doc = parse_yaml(text, display)
    except ProblemsFound as err:
        return EpisodeRead(display, problems=err.problems)
    people = _walk_people(doc.data) if isinstance(doc.data, (dict, list)) else []
    try:
        episode = validate_document(doc, display, Episode)
    except ProblemsFound as err:
        return EpisodeRead(display, doc, problems=err.problems, people=people)
    return Parsed(episode, doc.data, people)


def valid_read(path: Path, display: str, text: str, stamp: tuple | None, parsed: Parsed,
               key: str | None = None) -> EpisodeRead:
    """A valid episode, however it was parsed (`key`: the text's digest, when known already); its document
    keeps the text, not the data the episode holds."""
    doc = Document(text)
    return EpisodeRead(display, doc, Source(parsed.episode, path, display, doc, stamp, key or digest(text)),
                       people=parsed.people)


def read_text(path: Path, layout: Layout) -> tuple[str, tuple | None] | EpisodeRead:
    """An episode file's text and version, or what is wrong with reading it."""
    display = layout.rel(path)
    try:
        return read_version(path, layout.root, display)
    except ProblemsFound as err:
        return EpisodeRead(display, problems=err.problems)


def read_episodes(paths: list[Path], layout: Layout) -> list[EpisodeRead]:
    """Every episode file, read, parsed and validated in turn."""
    reads = []
    for path in paths:
        got = read_text(path, layout)
        if isinstance(got, EpisodeRead):
            reads.append(got)
            continue
        text, stamp = got
        parsed = parse_episode(layout.rel(path), text)
        reads.append(valid_read(path, layout.rel(path), text, stamp, parsed) if isinstance(parsed, Parsed) else parsed)
    return reads


Reader = Callable[[list[Path], Layout], list[EpisodeRead]]


def load_project(layout: Layout, extra: Iterable[Path] = (), read: Reader = read_episodes) -> Project:
    """Load and check everything (talks/ and any `extra` episode files); raise `ProblemsFound` listing every
    problem. `read` turns episode files into reads: the speed layer passes one that remembers earlier work."""
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
    for got in read(paths, layout):
        if got.doc is not None:
            project.parsed.append((got.display, got.doc, got.people))
        if got.source is not None:
            project.sources.append(got.source)
        problems += got.problems
    problems += cross_check(project)
    project.sources[:] = ordered(project.sources)  # before the look-up of pages, which names topics in build order
    if series is not None:
        problems += pagelinks.problems(project)
    if problems:
        raise ProblemsFound(problems)
    return project


def ordered(sources: list[Source]) -> list[Source]:
    """Oldest first, as the archive, the pagers and 往期精彩 show them: numbered episodes by their number (a
    date may be unknown, 000-002 have none); a special right after the episode its `after` names, or else
    after the last episode dated no later than it. Nothing lands first for lack of a date."""
    numbered = sorted((s for s in sources if s.episode.number is not None), key=lambda s: s.episode.number or 0)
    specials = sorted((s for s in sources if s.episode.number is None),
                      key=lambda s: (s.episode.date or dt.date.max, s.episode.slug))
    out = list(numbered)
    placed: set[str] = set()
    pending = specials
    while pending:  # a special may follow another special: place those whose anchor is placed already
        later = []
        for src in pending:
            e = src.episode
            if e.after is not None:
                slugs_so_far = [s.episode.slug for s in out]
                if e.after not in slugs_so_far:
                    later.append(src)
                    continue
                at = slugs_so_far.index(e.after) + 1
                while at < len(out) and out[at].episode.slug in placed and out[at].episode.after == e.after:
                    at += 1  # several specials after the same episode keep their own order
            else:
                day = e.date or dt.date.max  # an undated special with no `after`: cross_check reports it
                at = max((i + 1 for i, s in enumerate(out) if s.episode.date and s.episode.date <= day), default=0)
            out.insert(at, src)
            placed.add(e.slug)
        if len(later) == len(pending):  # `after` names no episode: cross_check reports it; keep them at the end
            out += later
            break
        pending = later
    return out
