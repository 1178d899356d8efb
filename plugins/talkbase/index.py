"""Cross-episode indexes, built in one pass over the loaded episodes: topics, people and papers.

Every reference points at an anchor from `outline`, so a topic or person page links straight to
the entry on its episode page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from talkbase import slugs
from talkbase.hashing import digest
from talkbase.links import classify
from talkbase.outline import SECTION_IDS
from talkbase.project import Project, Source


@lru_cache(maxsize=1 << 14)  # asked for every tag on every page; a site has a few hundred topic names
def topic_key(name: str) -> str:
    """Spellings that differ only in case, spaces or punctuation are one topic; C++, C# and C are three."""
    return "".join(slugs.words(name))


def topic_slug(name: str) -> str:
    """A topic's page name: its words joined by '-', Chinese kept as is (C++ -> c-plus-plus). A topic is free
    text, so a reserved word is not refused but gets '-topic' (the tag Index must not replace the topics
    overview), and a long name is cut and ends with a digest of the whole, which keeps it apart from others."""
    slug = "-".join(slugs.words(name)) or "topic"
    if slug in slugs.RESERVED:
        slug += "-topic"
    if len(slug.encode()) > slugs.MAX_BYTES:
        slug = slug.encode()[:slugs.MAX_BYTES - 11].decode(errors="ignore").rstrip("-") + "-" + digest(slug)[:10]
    return slug


@dataclass
class Ref:
    """A place on an episode page: the episode, an anchor ('' for the page top) and what is there."""

    source: Source
    anchor: str
    title: str
    role: str = ""

    @cached_property  # every page that lists the place links to it
    def target(self) -> str:
        """The episode page's docs/ path and the anchor (talks/003.md#news): what links to the place start from."""
        return slugs.page("talks", self.source.episode.slug) + (f"#{self.anchor}" if self.anchor else "")


@dataclass
class Topic:
    """A topic page: the episodes about it (their summary or tags name it) and the places tagged with it."""

    name: str
    slug: str
    episodes: list[Source] = field(default_factory=list)
    refs: list[Ref] = field(default_factory=list)


@dataclass
class PersonRecord:
    """A person page: every place that credits the person, as crew, section contributor or author of an entry."""

    pid: str
    refs: list[Ref] = field(default_factory=list)

    @property
    def episodes(self) -> list[Source]:
        """The episodes that credit the person, each once, newest first (the order of `refs`)."""
        seen: dict[str, Source] = {}
        for ref in self.refs:
            seen.setdefault(ref.source.episode.slug, ref.source)
        return list(seen.values())


@dataclass
class Paper:
    """An arXiv paper: the links the episodes gave for it (abs, pdf) and the entries that cite it."""

    arxiv_id: str
    urls: list[str] = field(default_factory=list)
    refs: list[Ref] = field(default_factory=list)


@dataclass
class Knowledge:
    """What `build` collects for the topic, person and paper pages, and the spellings that name each topic."""

    topics: dict[str, Topic]  # by slug
    people: dict[str, PersonRecord]
    papers: dict[str, Paper]
    aliases: dict[str, str]  # topic_key -> slug

    def topic(self, name: str) -> Topic | None:
        """The topic a name means, in any of its spellings; None when no episode is about it."""
        slug = self.aliases.get(topic_key(name))
        return self.topics.get(slug) if slug else None


CREW_ROLES = (("hosts", "hosts"), ("editors", "editors"), ("section_owners", "section_owners"),
              ("contributors", "content_contributors"))


def build(project: Project) -> Knowledge:
    """One pass over every episode (newest first), collecting topics, people and papers."""
    aliases: dict[str, str] = {}
    topics: dict[str, Topic] = {}

    def topic_for(name: str) -> Topic:
        key = topic_key(name)
        if key not in aliases:
            slug = topic_slug(name)
            while slug in topics:  # only a name that topic_slug changed can meet another topic's page name
                slug += "-"
            aliases[key] = slug
            topics[slug] = Topic(name, slug)
        return topics[aliases[key]]

    for declared in project.topics:
        slug = topic_for(declared.name).slug
        for spelling in declared.aliases:
            aliases[topic_key(spelling)] = slug
    people: dict[str, PersonRecord] = {pid: PersonRecord(pid) for pid in project.people}
    papers: dict[str, Paper] = {}

    def credit(pid: str, ref: Ref) -> None:
        people.setdefault(pid, PersonRecord(pid)).refs.append(ref)

    for src in reversed(project.sources):
        e = src.episode
        on_topic: set[str] = set()
        for name in e.summary:
            topic = topic_for(name)
            if topic.slug not in on_topic:
                on_topic.add(topic.slug)
                topic.episodes.append(src)
        for field_name, role in CREW_ROLES:
            for pid in getattr(e.crew, field_name):
                credit(pid, Ref(src, "", "", role))
        for section in ("news", "recommendations", "classics", "practice", "free_talk"):
            part = getattr(e, section)
            for pid in getattr(part, "contributors", []) if part is not None else []:
                credit(pid, Ref(src, SECTION_IDS[section], "", section))
        # (anchor, title, what names it when it has no title, tags, links, people credited)
        places = [(entry.anchor, entry.title, "", entry.tags, entry.links, list(entry.people()))
                  for entry in src.outline.entries()]
        for section in ("classics", "practice"):  # tagged and linked as a whole, like an entry
            part = getattr(e, section)
            if part is not None and (part.tags or part.links):
                title = (part.topic if section == "classics" else None) or ""
                places.append((SECTION_IDS[section], title, "" if title else section, part.tags, part.links, []))
        for anchor, title, role, tags, links, credited in places:
            for name in tags:
                topic = topic_for(name)
                topic.refs.append(Ref(src, anchor, title, role))
                if topic.slug not in on_topic:
                    on_topic.add(topic.slug)
                    topic.episodes.append(src)
            for pid, role in credited:
                credit(pid, Ref(src, anchor, title, role))
            for link in links:
                kind = classify(link.url) if "arxiv.org" in link.url.lower() else None  # only arXiv links make papers
                if kind is not None and kind.kind == "arxiv":
                    paper = papers.setdefault(kind.key, Paper(kind.key))
                    if link.url not in paper.urls:
                        paper.urls.append(link.url)
                    # two links of one entry (abs and pdf) are one reference; they come one after the other
                    if not (paper.refs and paper.refs[-1].source is src and paper.refs[-1].anchor == anchor):
                        paper.refs.append(Ref(src, anchor, title, role))
    used = {slug: t for slug, t in topics.items() if t.episodes or t.refs}
    return Knowledge(used, people, dict(sorted(papers.items())), aliases)
