"""The episode and series models: one strict schema for the plugin, the CLI and the JSON Schema.

Every model forbids unknown keys, so a misspelled key is an error instead of silently lost content.
Cross-file rules (people registry, duplicate numbers, notebook paths) live in `project.py`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from functools import lru_cache
from typing import Annotated, Any, Iterator, Literal, TypeVar, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from talkbase import slugs
from talkbase.mathml import CODE_SPAN, math_problem

SAFE_SCHEMES = ("http://", "https://")
# Markdown link targets inside free text: [label](target) and [ref]: target
_MD_LINK_TARGET = re.compile(r"\]\(\s*<?([^)\s>]*)|^\s*\[[^\]]+\]:\s*<?(\S+)", re.M)
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
# attr_list syntax ({: key=value}) that would set an event handler or a link target on the element
_ATTR_LIST = re.compile(r"\{:?[^{}\n]*?(?<![\w-])(on[a-z]+|href|src|srcdoc|action|formaction|xlink:href)"
                        r"\s*=[^{}\n]*\}", re.I)
_LANGUAGE = re.compile(r"^[A-Za-z0-9_+#.-]+$")
# What has no place in a link: it would end it in Markdown or HTML, or hide what it points to. Written so that
# Python and ECMA-262 (JSON Schema, with or without the u flag) read it alike: no escaped quote.
_NOT_IN = r"\s\x22'<>\\`\u0000-\u001f\u007f-\u009f"
_NOT_IN_URL = re.compile(f"[{_NOT_IN}]")
_NAMED = {'"': "quotes", "'": "quotes", "<": "angle brackets", ">": "angle brackets", "\\": "backslashes",
          "`": "backticks"}
# Most links: an ASCII host name, no port, nothing refused. urllib would take them apart as they are, and asking
# it about the 30,000 links of a thousand episodes took a tenth of a second of every `talkbase validate`
_PLAIN_URL = re.compile(rf"https?://[A-Za-z0-9.-]+(?:[/?#][^{_NOT_IN}]*)?")
# The same rules for editors: a host, or [an IPv6 address], then an optional port and path
_URL_PATTERN = (rf"^https?://(?:[^{_NOT_IN}/?#@]*@)?(?:[^{_NOT_IN}/?#@:\[\]]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]*)?"
                rf"(?:[/?#][^{_NOT_IN}]*)?$")
# A branch name as it may stand in a URL path: git's rules, narrowed to plain characters
_BRANCH = re.compile(r"^(?![-/])(?!.*\.\.)[A-Za-z0-9._/-]+$")
# What people write for China's time zone, spaces removed and lowercase
_SHANGHAI = re.compile(r"^(?:(?:utc|gmt)?\+0?8(?::?00)?|cst|china|prc|beijing|asia/beijing"
                       r"|北京|北京时间|中国|中国时间|中国标准时间)$")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
PERSON_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _check_url(value: str) -> str:
    """An absolute http(s) link with a host, as urllib reads it, with nothing that could end it early where a page
    shows it (a quote in an attribute, `>` in an autolink)."""
    if _PLAIN_URL.fullmatch(value):
        return value
    if not value.startswith(SAFE_SCHEMES):
        raise ValueError(f"expected an http:// or https:// link, found {value!r}")
    if bad := _NOT_IN_URL.search(value):
        what = _NAMED.get(bad.group(), "spaces, line breaks or control characters")
        raise ValueError(f"a link cannot contain {what}, found {value!r}")
    try:
        parts = urlsplit(value)
        parts.port  # raises for a port that is not a number from 0 to 65535
    except ValueError as err:
        raise ValueError(f"expected an http:// or https:// link, found {value!r} ({err})") from None
    if not parts.hostname:
        raise ValueError(f"expected an http:// or https:// link with a host name, found {value!r}")
    return value


def _check_branch(value: str) -> str:
    if not _BRANCH.match(value):
        raise ValueError(f"expected a branch name (letters, digits and . _ / -, not starting with - or /, no '..'), "
                         f"found {value!r}")
    return value


def _check_timezone(value: str) -> str:
    """A name the time zone database knows; for one it does not, the name that was most likely meant."""
    try:
        ZoneInfo(value)
    except (KeyError, ValueError, OSError):  # unknown, not a relative path, a folder of zones (Asia)
        key = "".join(value.split()).casefold()
        zones = {zone.casefold(): zone for zone in available_timezones()}
        close = ["asia/shanghai"] if _SHANGHAI.match(key) else difflib.get_close_matches(key, zones, n=1, cutoff=0.6)
        hint = f"; did you mean '{zones[close[0]]}'?" if close else ""
        raise ValueError(f"unknown time zone {value!r}{hint} (expected a name from the time zone database, "
                         f"such as Asia/Shanghai or Europe/Berlin)") from None
    return value


def _check_markdown(value: str) -> str:
    """Reject what in free text could run code in a reader's browser (odd link schemes, attribute lists), and math
    that the build could not render.

    Raw HTML needs no rule here: it is shown as text (rawtext.py) and every page passes the allowlist (sanitize.py).
    """
    if ("$" in value or "\\" in value) and (problem := math_problem(value)):  # math starts with $ or a backslash
        raise ValueError(problem)
    if "]" not in value and "{" not in value:  # neither rule can match: most texts end here
        return value
    prose = CODE_SPAN.sub("", value)  # `{onclick=...}` in code is only shown
    for match in _MD_LINK_TARGET.finditer(prose):
        target = match.group(1) or match.group(2) or ""
        scheme = _SCHEME.match(target)
        if scheme and scheme.group(1).lower() not in ("http", "https", "mailto"):
            raise ValueError(f"links in text must be http(s) or mailto, found a '{scheme.group(1)}:' link")
    if attrs := _ATTR_LIST.search(prose):
        raise ValueError(f"text cannot set the HTML attribute '{attrs.group(1)}' with {{...}}, "
                         f"found {attrs.group(0)!r}")
    return value


def _check_language(value: str) -> str:
    if not _LANGUAGE.match(value):
        raise ValueError(f"expected a language name such as python or bash (letters, digits, + # . _ -), "
                         f"found {value!r}")
    return value


def _check_hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError(f'expected a time as "HH:MM" (24-hour), found {value!r}')
    return value


_CLOCK = re.compile(r"(\d+):([0-5]\d)|(\d+):([0-5]\d):([0-5]\d)")


def _seconds(value: object) -> object:
    """Accept a moment in the video as seconds or as "MM:SS" / "H:MM:SS", the way video players show it; any other
    text is refused here, so the message says what a time looks like."""
    if not isinstance(value, str):
        return value
    clock = _CLOCK.fullmatch(value.strip())
    if clock is None:
        raise ValueError(f'expected a time in the video as seconds, "MM:SS" or "H:MM:SS", found {value!r}')
    minutes, seconds, hours = (clock[1], clock[2], "0") if clock[1] else (clock[4], clock[5], clock[3])
    return (int(hours) * 60 + int(minutes)) * 60 + int(seconds)


def format_offset(seconds: int) -> str:
    """A moment as players show it, and as `_seconds` reads it back: 10:10, 1:02:15."""
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


# A moment in the talk video: seconds from its beginning, written as seconds or as a player shows it
Moment = Annotated[int, BeforeValidator(_seconds, json_schema_input_type=int | str),
                   Field(ge=0, description='Seconds, or "MM:SS" / "H:MM:SS", from the beginning of the video')]
# Where in the video an entry was discussed: its moment link, its place in the chapter list and chapter files
At = Annotated[Moment | None, Field(description='When in the video this was discussed: seconds, "MM:SS" or "H:MM:SS"')]


def _link(value: object) -> object:
    return {"url": value} if isinstance(value, str) else value


Url = Annotated[str, AfterValidator(_check_url), Field(json_schema_extra={"format": "uri", "pattern": _URL_PATTERN})]
# Every text a page shows goes through Markdown (titles and tags too), so every text gets the same checks.
Markdown = Annotated[str, AfterValidator(_check_markdown)]
HHMM = Annotated[str, AfterValidator(_check_hhmm)]
def _not_a_number(value: object) -> object:
    if isinstance(value, (int, float)):  # pydantic would read it as seconds since 1970
        raise ValueError(f"expected a date as YYYY-MM-DD, found {value!r} (a number)")
    return value


# A date as YAML writes it (2023-07-08), or the same in quotes; never a number
Day = Annotated[dt.date, BeforeValidator(_not_a_number)]
# an id names its page, people/<id>.md, so it cannot be a reserved name (index) or too long
PersonId = Annotated[str, Field(pattern=PERSON_ID.pattern, description="A person id from data/people.yml"),
                     AfterValidator(slugs.checked)]
Slug = Annotated[str, Field(pattern=SLUG.pattern)]
# A picture for link previews (WeChat, Telegram, X), served by the site: a file beside the text, as an image link
# names it
Picture = Annotated[str | None, Field(description="An image for link previews, relative to this file, e.g. "
                                                  "images/003-cover.png (PNG, JPEG, GIF or WebP)")]
T = TypeVar("T")
# A list that may be left out. A factory, not `= []`: pydantic deep-copies a mutable default for every
# model it makes, some forty times per episode; the JSON Schema still shows the default.
Many = Annotated[list[T], Field(default_factory=list, json_schema_extra={"default": []})]


class Strict(BaseModel):
    """The base of every model: an unknown key is an error, and defaults are checked like given values."""

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
    at: At = None


class NewsNotes(Strict):
    """A note under a group heading of 本周新闻, e.g. 学术 "注：论文+重点"."""

    academic: Markdown | None = None
    projects: Markdown | None = None
    industry: Markdown | None = None


class News(Strict):
    """本周新闻: the news items, in one flat list or grouped into 学术, 项目 and 工业界."""

    contributors: Many[PersonId]
    suggestions: Many[Markdown]
    note: Markdown | None = Field(None, description="A note under the section heading")
    group_notes: NewsNotes = NewsNotes()
    academic: Many[Item]
    projects: Many[Item]
    industry: Many[Item]
    items: Annotated[Many[Item], Field(description="A flat list, for episodes that did not group their news")]

    @model_validator(mode="after")
    def _flat_or_grouped(self) -> News:
        if self.items and (self.academic or self.projects or self.industry):
            raise ValueError("use either the flat 'items' list or the groups academic/projects/industry, not both")
        return self


class RecommendationNotes(Strict):
    """A note under a group heading of 本周推荐."""

    materials: Markdown | None = None
    models: Markdown | None = None
    projects: Markdown | None = None
    misc: Markdown | None = None


class Recommendations(Strict):
    """本周推荐: recommended materials, models, projects and more (杂项), with their references."""

    contributors: Many[PersonId]
    nominations: Many[Markdown]
    suggestions: Many[Markdown]
    theme: Markdown | None = None
    note: Markdown | None = Field(None, description="A note under the section heading")
    group_notes: RecommendationNotes = RecommendationNotes()
    materials: Many[Item]
    models: Many[Item]
    projects: Many[Item]
    misc: Many[Item]
    refs: Many[LinkRef]


class Classics(Strict):
    """本周经典: a classic work or topic, its text and its links."""

    contributors: Many[PersonId]
    nominations: Many[Markdown]
    topic: Markdown | None = None
    note: Markdown | None = Field(None, description="A note under the section heading")
    body: Markdown | None = None
    links: Many[LinkRef]
    tags: Many[Markdown]


class CodeBlock(Strict):
    """A piece of code in 本周实践, highlighted as its language."""

    language: Annotated[str, AfterValidator(_check_language),
                        Field(json_schema_extra={"pattern": _LANGUAGE.pattern})] = "python"
    title: Markdown | None = None
    code: str


class Practice(Strict):
    """本周实践: hands-on text and code, and notebooks to run (可运行的演示)."""

    contributors: Many[PersonId]
    nominations: Many[Markdown]
    suggestions: Many[Markdown]
    note: Markdown | None = Field(None, description="A note under the section heading")
    body: Markdown | None = None
    code: Many[CodeBlock]
    links: Many[LinkRef]
    tags: Many[Markdown]
    notebook: str | list[str] | None = Field(None, description="A notebook under notebooks/, e.g. "
                                                               "notebooks/ntk_rope.ipynb, or a list of them, "
                                                               "shown in that order")

    @property
    def notebooks(self) -> list[str]:
        """The notebooks shown, in order, whether one path or a list was given."""
        return [self.notebook] if isinstance(self.notebook, str) else list(self.notebook or [])


class Answer(Strict):
    """An answer to a question of 线上讨论, with the answers to it in turn."""

    text: Markdown
    by: PersonId | None = None
    answers: Many[Answer]


class Question(Strict):
    """One question of 线上讨论 (Free Talk), with its answers."""

    question: Markdown
    details: Markdown | None = None
    by: PersonId | None = None
    answers: Many[Answer]
    tags: Many[Markdown]
    at: At = None


class Discussion(Strict):
    """One topic of 群里讨论 (Free Talk): what the group chat said about it."""

    topic: Markdown
    body: Markdown | None = None
    links: Many[LinkRef]
    by: PersonId | None = None
    tags: Many[Markdown]
    at: At = None


class FreeTalk(Strict):
    """Free Talk: the questions asked online (线上讨论) and the topics of the group chat (群里讨论)."""

    contributors: Many[PersonId]
    note: Markdown | None = Field(None, description="A note under the section heading")
    online_note: Markdown | None = Field(None, description="A note under 线上讨论")
    online: Many[Question]
    group_note: Markdown | None = None
    group: Many[Discussion]


class Plan(Strict):
    """One item of 后续计划, with its priority and where it stands."""

    item: Markdown
    priority: Literal["P0", "P1", "P2", "P3"] | None = None
    status: Literal["todo", "doing", "done"] | None = Field(None, description="Where the plan stands")
    link: Url | None = None


class Video(Strict):
    """The talk video; an announced one that is not out yet has a note (后续放出) and no url."""

    url: Url | None = None
    note: Markdown | None = Field(None, description="Shown instead of a link while the video is not out, "
                                                    'e.g. "后续放出"')
    title: Markdown | None = None
    start: Annotated[Moment, Field(description="Where the talk begins in the video (精准空降)")] = 0
    length: Annotated[Moment | None, Field(description="How long the video runs; moments past it are refused")] = None

    @model_validator(mode="after")
    def _link_or_note(self) -> Video:
        if self.url is None and self.note is None:
            raise ValueError("a video needs its 'url', or a 'note' (e.g. 后续放出) while it is not out")
        if self.length is not None and self.start >= self.length:
            raise ValueError(f"the talk cannot start at {self.start} s of a video of {self.length} s (its 'length')")
        return self


class Crew(Strict):
    """Who made the episode: hosts, editors, section owners and contributors, as person ids."""

    hosts: Many[PersonId]
    editors: Many[PersonId]
    section_owners: Many[PersonId]
    contributors: Many[PersonId]
    note: Markdown | None = Field(None, description="How contributions are credited (具体内容贡献者)")
    hosts_note: Markdown | None = Field(None, description="Shown after the hosts, e.g. （后续每期由大家自行认领）")
    editors_note: Markdown | None = Field(None, description="Shown after the editors")
    section_owners_note: Markdown | None = Field(None, description="Shown after (or instead of) the section owners, "
                                                                   "e.g. 多人")


class Section(Strict):
    """A section of its own (e.g. 015's 组织建设): a title and a Markdown body, placed after a template section."""

    id: Annotated[Slug, Field(description="The section's anchor on the page, e.g. organisation")]
    title: Markdown
    body: Markdown | None = None
    after: Literal["record", "notice", "news", "recommendations", "classics", "practice", "free_talk",
                   "references", "plans", "notes"] = Field("notes", description="The section it follows")
    at: At = None


class Episode(Strict):
    """One episode: a numbered weekly talk, or a special (番外) article with its own title."""

    # the same rule as _numbered_or_special below, for editors
    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["number"]},
                                                           {"required": ["special", "title"]}]})

    # strict: "3" in quotes is text, as it is for the JSON Schema and for editors
    number: Annotated[int, Field(ge=0, le=9999, strict=True)] | None = None
    special: Slug | None = Field(None, description="Id of a special (番外) episode; it has a title and no number")
    ordinal: Annotated[int, Field(ge=0, le=999, strict=True)] | None = Field(
        None, description="A special's own count, shown as 番外 02")
    title: Markdown | None = None
    date: Day | None = Field(None, description="Leave out only when the date is unknown")
    date_text: Markdown | None = Field(None, description='When the exact date is unknown: "2023 年 6 月", "2023 年底"')
    after: Slug | None = Field(None, description="A special's place in the archive: the page id of the episode it "
                                                 "follows (003, special-rlhf); needed when it has no date")
    time: HHMM | None = Field(None, description="Start time when it differs from the series schedule")
    summary: Annotated[Many[Markdown], Field(description="本期提要: the topics of the episode")]
    crew: Crew = Crew.model_validate({})  # = Crew(), which mypy refuses: it misses defaults set in `Many`
    video: Video | None = None
    article: Url | None = Field(None, description="The original write-up, when the episode lives elsewhere")
    news: News | None = None
    recommendations: Recommendations | None = None
    classics: Classics | None = None
    practice: Practice | None = None
    free_talk: FreeTalk | None = None
    references: Many[Item]
    plans_note: Markdown | None = Field(None, description="A preamble above the plans")
    plans: Many[Plan]
    notes: Markdown | None = None
    sections: Annotated[Many[Section], Field(description="Sections of the episode's own, beyond the template")]
    roles: Annotated[dict[PersonId, Markdown], Field(default_factory=dict, description=(
        "A person's role in this episode, shown after their name among a section's contributors, e.g. xianyu: 编辑"))]
    # what the series file says for every episode, said differently for this one
    privacy: Markdown | None = Field(None, description="This episode's own privacy notice (注意事项)")
    requirements: Markdown | None = Field(None, description="This episode's own 小要求")
    join: Markdown | None = Field(None, description="This episode's own join/sponsor text (加入/赞助我们)")
    notices: Annotated[Many[Markdown], Field(description="Notices of this episode, shown with the series' own")]
    body: Markdown | None = Field(None, description="The article text of a special episode")
    image: Picture = None

    @model_validator(mode="after")
    def _numbered_or_special(self) -> Episode:
        if (self.number is None) == (self.special is None):
            raise ValueError("an episode has either a 'number' or a 'special' id (with a 'title'), exactly one")
        if self.special is not None and not self.title:
            raise ValueError("a special episode needs a 'title'")
        if self.number is not None and (self.ordinal is not None or self.after is not None):
            raise ValueError("'ordinal' and 'after' are for special episodes; a numbered one is placed by its number")
        if self.special is not None and self.date is None and self.after is None:
            raise ValueError("a special without a 'date' needs 'after: <episode page id>' to say where it goes "
                             "in the archive")
        ids = [section.id for section in self.sections]
        if dupes := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"two sections have the id {dupes[0]!r}; each needs its own anchor")
        return self

    @property
    def slug(self) -> str:
        """The ASCII URL part: 003 for numbered episodes, special-<id> for specials."""
        return f"{self.number:03d}" if self.number is not None else f"special-{self.special}"


# --- series settings -------------------------------------------------------------------------

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class Slot(Strict):
    """A regular meeting time, valid from `since` until the next slot starts."""

    since: Day
    weekday: Weekday
    time: HHMM
    duration_minutes: Annotated[int, Field(gt=0)] = 90


class Schedule(Strict):
    """When the series meets: its time zone and its regular meeting times, each valid from a date on."""

    timezone: Annotated[str, AfterValidator(_check_timezone),
                        Field(description="A time zone name such as Asia/Shanghai")] = "UTC"
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
    """The series file (series.yml): the name, texts and schedule that every episode shares."""

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
    image: Picture = None
    repo_url: Url | None = Field(None, description="Repository URL; enables 'edit this episode' links")
    edit_branch: Annotated[str, AfterValidator(_check_branch),
                           Field(json_schema_extra={"pattern": _BRANCH.pattern})] = "main"


class Person(Strict):
    """One person of data/people.yml: the name pages show, other spellings of it, and links."""

    name: str
    aliases: Many[str]
    links: Many[LinkRef]


class TopicAliases(Strict):
    """One topic and the other spellings that mean it."""

    name: str
    aliases: Many[str]


def markdown_texts(model: BaseModel, loc: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Every Markdown text of a model and the ones inside it, with its key path: what pages show, not code or links."""
    texts = _markdown_fields(type(model))
    for name in type(model).model_fields:
        value = getattr(model, name)
        for i, item in enumerate(value) if isinstance(value, list) else [(None, value)]:
            at = loc + ((name,) if i is None else (name, i))
            if isinstance(item, BaseModel):
                yield from markdown_texts(item, at)
            elif name in texts and isinstance(item, str):
                yield at, item


def moments(model: BaseModel, loc: tuple = ()) -> Iterator[tuple[tuple, int]]:
    """Every `at` of a model and the ones inside it (entries, sections), with its key path."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if name == "at" and value is not None:
            yield loc + (name,), value
        for i, item in enumerate(value) if isinstance(value, list) else [(None, value)]:
            if isinstance(item, BaseModel):
                yield from moments(item, loc + ((name,) if i is None else (name, i)))


@lru_cache(maxsize=None)
def _markdown_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(name for name, field in model.model_fields.items()
                     if _is_markdown(field.annotation, field.metadata))


def _is_markdown(annotation: Any, metadata: Any = ()) -> bool:
    """Whether a field's type is Markdown, or a list or optional of it (pydantic keeps the validator in the metadata
    of the field or of an inner Annotated)."""
    if any(getattr(m, "func", None) is _check_markdown for m in metadata):
        return True
    return any(_is_markdown(arg, getattr(arg, "__metadata__", ())) for arg in get_args(annotation))


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schemas of episode and series files, for editors; generated from the models above."""
    out = {}
    for name, model in (("episode", Episode), ("series", Series)):
        doc = model.model_json_schema(mode="validation")
        doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        out[f"{name}.schema.json"] = doc
    return out


def _names_person(annotation: Any) -> bool:
    return annotation == PersonId or any(_names_person(arg) for arg in get_args(annotation))


def _person_keys(model: type[BaseModel], seen: set | None = None) -> tuple[set[str], set[str]]:
    """(keys whose values are person ids, keys of mappings keyed by person ids) in `model` and inside it."""
    seen = set() if seen is None else seen
    values: set[str] = set()
    keyed: set[str] = set()
    if model in seen:
        return values, keyed
    seen.add(model)
    stack = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if getattr(annotation, "__origin__", None) is dict and _names_person(get_args(annotation)[0]):
            keyed.add(name)
        elif _names_person(annotation):
            values.add(name)
        stack += [annotation]
    while stack:  # the models inside, however deep in lists, optionals and mappings
        annotation = stack.pop()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            inner_values, inner_keyed = _person_keys(annotation, seen)
            values |= inner_values
            keyed |= inner_keyed
        stack += get_args(annotation)
    return values, keyed


# Where person ids live in an episode, read off the models above: the one list the loader's check of unknown
# ids (project.py) walks the raw data with, so a new field of type PersonId is checked without another edit.
PERSON_KEYS, PERSON_KEYED = map(frozenset, _person_keys(Episode))
