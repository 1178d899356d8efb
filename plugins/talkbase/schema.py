"""The episode and series models: one strict schema for the plugin, the CLI and the JSON Schema.

Every model forbids unknown keys, so a misspelled key is an error instead of silently lost content.
Cross-file rules (people registry, duplicate numbers, notebook paths) live in `project.py`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

SAFE_SCHEMES = ("http://", "https://")
# Markdown link targets inside free text: [label](target) and [ref]: target
_MD_LINK_TARGET = re.compile(r"\]\(\s*<?([^)\s>]*)|^\s*\[[^\]]+\]:\s*<?(\S+)", re.M)
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
# attr_list syntax ({: key=value}) that would set an event handler or a link target on the element
_ATTR_LIST = re.compile(r"\{:?[^{}\n]*?(?<![\w-])(on[a-z]+|href|src|srcdoc|action|formaction|xlink:href)\s*=[^{}\n]*\}", re.I)
_CODE_SPAN = re.compile(r"(`+)[\s\S]*?\1")
_LANGUAGE = re.compile(r"^[A-Za-z0-9_+#.-]+$")
_WHITESPACE = re.compile(r"\s")  # the same characters as str.isspace()
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
PERSON_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _check_url(value: str) -> str:
    if not value.startswith(SAFE_SCHEMES):
        raise ValueError(f"expected an http:// or https:// link, found {value!r}")
    if _WHITESPACE.search(value):
        raise ValueError(f"a link cannot contain spaces or line breaks, found {value!r}")
    return value


def _check_markdown(value: str) -> str:
    """Reject what in free text could run code in a reader's browser: odd link schemes, attribute lists.

    Raw HTML needs no rule here: the renderer escapes it, so `<script>` shows as text.
    """
    if "]" not in value and "{" not in value:  # neither rule can match: most texts end here
        return value
    prose = _CODE_SPAN.sub("", value)  # `{onclick=...}` in backticks is only shown
    for match in _MD_LINK_TARGET.finditer(prose):
        target = match.group(1) or match.group(2) or ""
        scheme = _SCHEME.match(target)
        if scheme and scheme.group(1).lower() not in ("http", "https", "mailto"):
            raise ValueError(f"links in text must be http(s) or mailto, found a '{scheme.group(1)}:' link")
    if attrs := _ATTR_LIST.search(prose):
        raise ValueError(f"text cannot set the HTML attribute '{attrs.group(1)}' with {{...}}, found {attrs.group(0)!r}")
    return value


def _check_language(value: str) -> str:
    if not _LANGUAGE.match(value):
        raise ValueError(f"expected a language name such as python or bash (letters, digits, + # . _ -), found {value!r}")
    return value


def _check_hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError(f'expected a time as "HH:MM" (24-hour), found {value!r}')
    return value


def _seconds(value: object) -> object:
    """Accept a start offset as seconds or as "MM:SS" / "H:MM:SS", the way video players show it."""
    if isinstance(value, str) and re.fullmatch(r"\d+(:\d{1,2}){1,2}", value):
        total = 0
        for part in value.split(":"):
            total = total * 60 + int(part)
        return total
    return value


def _link(value: object) -> object:
    return {"url": value} if isinstance(value, str) else value


Url = Annotated[str, AfterValidator(_check_url),
                Field(json_schema_extra={"format": "uri", "pattern": r"^https?://\S+$"})]
# Every text a page shows goes through Markdown (titles and tags too), so every text gets the same checks.
Markdown = Annotated[str, AfterValidator(_check_markdown)]
HHMM = Annotated[str, AfterValidator(_check_hhmm)]
PersonId = Annotated[str, Field(pattern=PERSON_ID.pattern, description="A person id from data/people.yml")]
Slug = Annotated[str, Field(pattern=SLUG.pattern)]
T = TypeVar("T")
# A list that may be left out. A factory, not `= []`: pydantic deep-copies a mutable default for every
# model it makes, some forty times per episode; the JSON Schema still shows the default.
Many = Annotated[list[T], Field(default_factory=list, json_schema_extra={"default": []})]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class Link(Strict):
    """A link, optionally with the label the notes gave it (论文链接, GitHub 项目链接...)."""

    url: Url
    label: Markdown | None = None


LinkRef = Annotated[Link, BeforeValidator(_link, json_schema_input_type=Link | Url)]


class Point(Strict):
    """One labelled bullet of an item summary, e.g. 动机 / 方法 / 优势."""

    label: Markdown | None = None
    text: Markdown


class Item(Strict):
    """A news item, a recommendation or a reference."""

    title: Markdown
    links: Many[LinkRef]
    summary: Markdown | None = None
    points: Many[Point]
    source: Url | None = Field(None, description="Where the item was taken from; shown as from-<url>")
    by: PersonId | None = Field(None, description="Who contributed the item")
    tags: Many[Markdown]


class News(Strict):
    contributors: Many[PersonId]
    suggestions: Many[Markdown]
    academic: Many[Item]
    projects: Many[Item]
    industry: Many[Item]
    items: Annotated[Many[Item], Field(description="A flat list, for episodes that did not group their news")]

    @model_validator(mode="after")
    def _flat_or_grouped(self) -> News:
        if self.items and (self.academic or self.projects or self.industry):
            raise ValueError("use either the flat 'items' list or the groups academic/projects/industry, not both")
        return self


class Recommendations(Strict):
    contributors: Many[PersonId]
    nominations: Many[Markdown]
    suggestions: Many[Markdown]
    theme: Markdown | None = None
    materials: Many[Item]
    models: Many[Item]
    projects: Many[Item]
    misc: Many[Item]
    refs: Many[LinkRef]


class Classics(Strict):
    contributors: Many[PersonId]
    nominations: Many[Markdown]
    topic: Markdown | None = None
    body: Markdown | None = None


class CodeBlock(Strict):
    language: Annotated[str, AfterValidator(_check_language), Field(json_schema_extra={"pattern": _LANGUAGE.pattern})] = "python"
    title: Markdown | None = None
    code: str


class Practice(Strict):
    contributors: Many[PersonId]
    nominations: Many[Markdown]
    suggestions: Many[Markdown]
    body: Markdown | None = None
    code: Many[CodeBlock]
    notebook: str | None = Field(None, description="A notebook under notebooks/, e.g. notebooks/ntk_rope.ipynb")


class Answer(Strict):
    text: Markdown
    by: PersonId | None = None
    answers: Many[Answer]


class Question(Strict):
    question: Markdown
    details: Markdown | None = None
    by: PersonId | None = None
    answers: Many[Answer]
    tags: Many[Markdown]


class Discussion(Strict):
    topic: Markdown
    body: Markdown | None = None
    links: Many[LinkRef]
    by: PersonId | None = None
    tags: Many[Markdown]


class FreeTalk(Strict):
    contributors: Many[PersonId]
    online: Many[Question]
    group_note: Markdown | None = None
    group: Many[Discussion]


class Plan(Strict):
    item: Markdown
    priority: Literal["P0", "P1", "P2", "P3"] | None = None
    link: Url | None = None


class Video(Strict):
    url: Url
    title: Markdown | None = None
    start: Annotated[int, BeforeValidator(_seconds, json_schema_input_type=int | str),
                     Field(ge=0, description='Seconds, or "MM:SS"')] = 0


class Crew(Strict):
    hosts: Many[PersonId]
    editors: Many[PersonId]
    section_owners: Many[PersonId]
    contributors: Many[PersonId]
    note: Markdown | None = Field(None, description="How contributions are credited (具体内容贡献者)")


class Episode(Strict):
    """One episode: a numbered weekly talk, or a special (番外) article with its own title."""

    # the same rule as _numbered_or_special below, for editors
    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["number"]}, {"required": ["special", "title"]}]})

    # strict: "3" in quotes is text, as it is for the JSON Schema and for editors
    number: Annotated[int, Field(ge=0, le=9999, strict=True)] | None = None
    special: Slug | None = Field(None, description="Id of a special (番外) episode; it has a title and no number")
    title: Markdown | None = None
    date: dt.date | None = Field(None, description="Leave out only when the date is unknown")
    time: HHMM | None = Field(None, description="Start time when it differs from the series schedule")
    summary: Annotated[Many[Markdown], Field(description="本期提要: the topics of the episode")]
    crew: Crew = Crew()
    video: Video | None = None
    article: Url | None = Field(None, description="The original write-up, when the episode lives elsewhere")
    news: News | None = None
    recommendations: Recommendations | None = None
    classics: Classics | None = None
    practice: Practice | None = None
    free_talk: FreeTalk | None = None
    references: Many[Item]
    plans: Many[Plan]
    notes: Markdown | None = None
    body: Markdown | None = Field(None, description="The article text of a special episode")

    @model_validator(mode="after")
    def _numbered_or_special(self) -> Episode:
        if (self.number is None) == (self.special is None):
            raise ValueError("an episode has either a 'number' or a 'special' id (with a 'title'), exactly one")
        if self.special is not None and not self.title:
            raise ValueError("a special episode needs a 'title'")
        return self

    @property
    def slug(self) -> str:
        """The ASCII URL part: 003 for numbered episodes, special-<id> for specials."""
        return f"{self.number:03d}" if self.number is not None else f"special-{self.special}"


# --- series settings -------------------------------------------------------------------------

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class Slot(Strict):
    """A regular meeting time, valid from `since` until the next slot starts."""

    since: dt.date
    weekday: Weekday
    time: HHMM
    duration_minutes: Annotated[int, Field(gt=0)] = 90


class Schedule(Strict):
    timezone: str = "UTC"
    slots: Annotated[list[Slot], Field(min_length=1)]
    note: str | None = Field(None, description='e.g. "节假日顺延" (holidays postponed)')


class SectionText(Strict):
    """What a section is for, shown under its heading in every episode."""

    news: Markdown | None = None
    recommendations: Markdown | None = None
    classics: Markdown | None = None
    practice: Markdown | None = None
    free_talk: Markdown | None = None


class Series(Strict):
    name: str
    language: Literal["zh", "en"] = "zh"
    tagline: Markdown | None = None
    origin: Markdown | None = None
    structure: Markdown | None = None
    privacy: Markdown | None = None
    template_link: Url | None = None
    requirements: Markdown | None = None
    join: Markdown | None = None
    sections: SectionText = SectionText()
    schedule: Schedule
    repo_url: Url | None = Field(None, description="Repository URL; enables 'edit this episode' links")
    edit_branch: str = "main"


class Person(Strict):
    name: str
    aliases: Many[str]
    links: Many[LinkRef]


class TopicAliases(Strict):
    """One topic and the other spellings that mean it."""

    name: str
    aliases: Many[str]


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schemas of episode and series files, for editors; generated from the models above."""
    out = {}
    for name, model in (("episode", Episode), ("series", Series)):
        doc = model.model_json_schema(mode="validation")
        doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        out[f"{name}.schema.json"] = doc
    return out
