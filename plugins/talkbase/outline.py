"""An episode as the ordered sections, groups and entries of the talk template, each with a stable anchor.

The page renderer lays this out; the knowledge index (topics, people, papers) links to the same anchors,
so both always agree on where an entry lives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from talkbase.schema import Discussion, Episode, Item, Link, LinkRef, Question

SECTION_IDS = {
    "news": "news",
    "recommendations": "recommendations",
    "classics": "classics",
    "practice": "practice",
    "free_talk": "free-talk",
    "references": "references",
    "plans": "plans",
}


@dataclass
class Entry:
    """One item, question or discussion, addressable as `#anchor` on its episode page."""

    anchor: str
    kind: str  # "item" | "question" | "discussion"
    node: Item | Question | Discussion
    section: str
    number: int  # position within its section, as the notes number questions

    @property
    def title(self) -> str:
        """What the entry is called, whichever kind it is: the index lists entries of every kind together."""
        node = self.node
        return node.title if isinstance(node, Item) else node.question if isinstance(node, Question) else node.topic

    @property
    def at(self) -> int | None:
        """When in the video it was discussed (seconds), if the notes say."""
        return self.node.at

    @property
    def tags(self) -> list[str]:
        """The entry's topic tags, whichever kind it is: the topics index links each tag to this entry's anchor."""
        return list(self.node.tags)

    @property
    def links(self) -> list[LinkRef]:
        """The entry's links, its `source` among them: the papers index reads an item's source as one of its links."""
        node = self.node
        links = list(getattr(node, "links", []))
        if isinstance(node, Item) and node.source:
            links.append(Link(url=node.source))
        return links

    def people(self) -> Iterator[tuple[str, str]]:
        """(person id, role) for everyone credited on this entry, answers included."""
        by = getattr(self.node, "by", None)
        if by:
            yield by, "asker" if self.kind == "question" else "contributor"
        if isinstance(self.node, Question):
            stack = list(self.node.answers)
            while stack:
                answer = stack.pop()
                if answer.by:
                    yield answer.by, "answerer"
                stack.extend(answer.answers)


@dataclass
class Group:
    """The entries under one heading of a section, so that the page shows the template's subheadings."""

    key: str  # label key: academic, materials, online...
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Outline:
    """An episode's entries by section and group: what the page and the knowledge index both read."""

    groups: dict[str, list[Group]]  # section key -> groups in template order

    def entries(self) -> Iterator[Entry]:
        """Every entry in page order, for the readers that need no sections (the index, the search records)."""
        for groups in self.groups.values():
            for group in groups:
                yield from group.entries


def outline(episode: Episode) -> Outline:
    """Number the entries of each section in order: news-1, rec-1, q-1, g-1, ref-1."""
    groups: dict[str, list[Group]] = {}

    def make(section: str, prefix: str, kind: str, parts: list[tuple[str, list]]) -> None:
        n = 0
        out = []
        for key, nodes in parts:
            group = Group(key)
            for node in nodes:
                n += 1
                group.entries.append(Entry(f"{prefix}-{n}", kind, node, section, n))
            out.append(group)
        groups[section] = out

    if episode.news is not None:
        news = episode.news
        make("news", "news", "item", [("items", news.items)] if news.items else
             [("academic", news.academic), ("projects", news.projects), ("industry", news.industry)])
    if episode.recommendations is not None:
        rec = episode.recommendations
        make("recommendations", "rec", "item",
             [("materials", rec.materials), ("models", rec.models), ("projects", rec.projects), ("misc", rec.misc)])
    if episode.free_talk is not None:
        make("free_talk", "q", "question", [("online", episode.free_talk.online)])
        make("free_talk_group", "g", "discussion", [("group", episode.free_talk.group)])
        groups["free_talk"] += groups.pop("free_talk_group")
    make("references", "ref", "item", [("references", episode.references)])
    return Outline(groups)
