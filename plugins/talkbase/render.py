"""Models -> Markdown pages through the Jinja2 templates in `templates/`.

Python prepares everything a page shows (anchors, relative links, dates, the past-episodes list);
templates only lay it out. User text is Markdown; the `<` of raw HTML in it is shown as typed
(rawtext.py), and every page's HTML passes an allowlist (sanitize.py) before a reader gets it.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path
import math
import posixpath
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache, partial
from importlib import resources
from typing import TYPE_CHECKING, Any, Callable, cast
from urllib.parse import quote

import jinja2
import yaml

from talkbase import assets, index, slugs
from talkbase.links import at_moment, bilibili_start, classify
from talkbase.outline import SECTION_IDS
from talkbase.mathml import in_markdown
from talkbase.rawtext import shield
from talkbase.load import Problem, ProblemsFound
from talkbase.project import Layout, Project, Source
from talkbase.schedule import WEEKDAYS, Schedule
from talkbase.schema import Episode, LinkRef, Series, format_offset

if TYPE_CHECKING:  # the notebook library is only needed where frozen demos are read (generate.py)
    from talkbase.demos import RenderedDemo

_MD_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\([^)]*\)")  # a link, not an image: an image may stand in a link
_URL = re.compile(r"<?(https?://[^\s<>]+)>?")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_HALVES = re.compile(r"\\ud[89ab][0-9a-f]{2}\\ud[c-f][0-9a-f]{2}")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'._-]*")
PAST_LIMIT = 10  # earlier episodes listed on an episode page; more would make every page grow with the archive


def markdown(text: str | None) -> str:
    """Contributor Markdown as a page holds it: raw HTML shown as typed (rawtext.py), math as MathML (mathml.py)."""
    return in_markdown(shield(text))


def inline(text: str | None) -> str:
    """Contributor Markdown on one line, for headings and list entries. A '#' at its end is escaped: a
    heading would take it for a closing mark, and the topic C# would be titled C."""
    line = in_markdown(" ".join(shield(text).split()))
    return line[:-1] + "\\#" if line.endswith("#") and not line.endswith("\\#") else line


def link_label(text: str | None) -> str:
    """Contributor Markdown to stand inside a link's `[...]` (a card, a pager, a listed entry): a link in there
    would nest, leaving the outer one empty, so a link shows its text and a web address shows as code."""
    line = inline(text)
    if "](" in line:
        line = _MD_LINK.sub(r"\1", line)
    if "://" in line and "`" not in line:
        line = _URL.sub(lambda m: f"`{m.group(1)}`", line)
    return line


def plain(text: str) -> str:
    """Contributor Markdown as plain text on one line, for what is not a page (feeds, previews, chapter lists):
    a link shows its text, an autolink its address."""
    line = " ".join(text.split())
    line = _MD_LINK.sub(r"\1", line) if "](" in line else line
    return _URL.sub(r"\1", line) if "://" in line else line


def front_matter(text: str) -> str:
    """A page's title or description in its front matter: the theme writes these into `<title>`, `<meta>`,
    the header, the navigation and the search index as they are, so they are HTML-escaped here, once."""
    quoted = json.dumps(html.escape(text))  # ASCII: no line separator (U+2028) can break the YAML line
    return _HALVES.sub(_one_escape, quoted) if "\\ud" in quoted else quoted


def _one_escape(halves: re.Match) -> str:
    """JSON writes 🚀 as two UTF-16 halves, which YAML reads as two broken characters; YAML's escape is one."""
    char = json.loads('"' + halves[0] + '"')
    return f"\\U{ord(char):08x}"


class Record:
    """Facts a template reads as attributes (`card.title`), kept as the instance's own attributes, which is
    where Python looks first: a dict answering through `__getattr__` cost a failed lookup for every use on
    every page. `labels[key]` and `key in labels` work as they would on a dict."""

    def __init__(self, facts: dict[str, Any] | None = None, **more: Any):
        self.__dict__.update(facts or {}, **more)

    def __getitem__(self, key: str) -> Any:
        return self.__dict__[key]

    def __contains__(self, key: object) -> bool:
        return key in self.__dict__

    def __getattr__(self, name: str) -> Any:
        """Only for names the instance lacks (Python looks there first): a template's error names the fact."""
        raise AttributeError(name)


def fence(code: str) -> str:
    """A backtick fence longer than any backtick run in `code`, so code cannot end its own block."""
    return "`" * max(3, max((len(run) for run in re.findall(r"`+", code)), default=0) + 1)


def reading_minutes(texts: list[str]) -> int:
    """Chinese is read by characters (~400/min), other text by words (~200/min)."""
    text = "\n".join(texts)
    cjk = sum(map(len, _CJK.findall(text)))  # runs of characters: a match per character cost ten times more
    words = len(_WORD.findall(text))  # a Chinese character is never part of a word, so it parts words already
    return max(1, math.ceil(cjk / 400 + words / 200))


def _strings(value: Any, out: list[str] | None = None) -> list[str]:
    """The texts a reader reads in JSON-like data (plain dicts, lists and strings), in order: no URLs, code
    or sources."""
    out = [] if out is None else out
    cls = value.__class__
    if cls is str:
        if not value.startswith(("http://", "https://")):
            out.append(value)
    elif cls is dict:
        for k, v in value.items():
            if k not in ("code", "url", "source"):
                _strings(v, out)
    elif cls is list:
        for v in value:
            _strings(v, out)
    return out


_IMPORT = re.compile(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", re.M)
_FENCE = re.compile(r"^\s*(```|~~~)")


def demote(markdown: str, levels: int) -> str:
    """Push Markdown headings down so an embedded document nests under the page's own headings."""
    out, fenced = [], False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,6}\s", line):
            hashes = len(line) - len(line.lstrip("#"))
            line = "#" * min(6, hashes + levels) + line[hashes:]
        out.append(line)
    return "\n".join(out)


def _frames(tb):
    while tb is not None:
        yield tb
        tb = tb.tb_next


def load_labels(language: str) -> dict[str, Any]:
    """The words the pages use in `language` (labels/<language>.yml): headings, weekdays, 番外."""
    text = resources.files("talkbase").joinpath(f"labels/{language}.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@lru_cache(maxsize=None)
def _relative_folder(folder: str, start: str) -> str:
    """posixpath.relpath is slow (abspath, getcwd) and a site has few folders, so each pair is computed once."""
    return posixpath.relpath(folder or ".", start or ".")


@lru_cache(maxsize=4096)
def _link_markdown(url: str, label: str | None) -> str:
    """Renderer.link_md; cached because the same links recur on episode, topic, person and paper pages."""
    kind = classify(url)
    text = f"{inline(label)}：<{url}>" if label else f"<{url}>"
    return f"{text} <small class=\"tb-kind tb-{kind.kind}\">{kind.label}</small>" if kind.kind != "web" else text


def video_start(episode: Episode) -> int:
    """Where the talk begins in its video: `video.start`, or the `t=` its link already carries (0: no video)."""
    video = episode.video
    return 0 if video is None else video.start or (bilibili_start(video.url) if video.url else 0)


def template_env(folder: Path, series: Series, bytecode_cache: jinja2.BytecodeCache | None = None,
                 text: Callable[[Callable[[str | None], str]], Callable[..., str]] | None = None) -> jinja2.Environment:
    """The project's templates (templates/) as Jinja reads them: undefined names are errors, nothing is escaped
    (the output is Markdown; the texts are escaped where they land), and `{#id}` stays Markdown's heading-anchor
    syntax, so Jinja comments are written {## ... ##}. Every template, `talkbase new`'s too, gets the same names
    and filters; `text` makes the text filters (md, inline, label) from their functions (Renderer: with links
    to files pointed at their copies)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        comment_start_string="{##",
        comment_end_string="##}",
        bytecode_cache=bytecode_cache,
        auto_reload=False,  # an environment lives for one render; checking every template's time cost 2 stats a page
    )
    make = text or _plain_text
    env.filters.update(md=make(markdown), inline=make(inline), label=make(link_label), meta=front_matter,
                       offset=format_offset, fence=fence)
    env.globals.update(labels=Record(load_labels(series.language)), series=series, section_ids=SECTION_IDS)
    return env


def _plain_text(markdown: Callable[[str | None], str]) -> Callable[..., str]:
    """A text filter as it is: a context filter, as the Renderer's are (see `Renderer._linking`)."""
    return jinja2.pass_context(lambda context, text: markdown(text))


def render_template(env: jinja2.Environment, layout: Layout, template: str, context: dict[str, Any],
                    what: str) -> str:
    """`template` rendered with `context`; a broken template becomes a Problem naming its file and line, and
    `what` was being rendered."""
    try:
        return env.get_template(template).render(context)
    except jinja2.TemplateSyntaxError as err:
        where = layout.rel(Path(err.filename)) if err.filename else layout.rel(layout.templates / template)
        raise ProblemsFound([Problem(where, err.lineno, 1, f"template error: {err.message}")]) from None
    except jinja2.TemplateError as err:
        line = next((tb.tb_lineno for tb in _frames(err.__traceback__)
                     if tb.tb_frame.f_code.co_filename.endswith(".j2")), 1)
        raise ProblemsFound([Problem(layout.rel(layout.templates / template), line, 1,
                                     f"template error while rendering {what}: {err}")]) from None


@dataclass
class SiteOptions:
    """What the renderer needs to know beyond the project itself."""

    site_url: str = ""
    now: dt.datetime | None = None  # fixed in tests; the real clock otherwise


class Renderer:
    """Renders every page of the site from one loaded project."""

    def __init__(self, project: Project, options: SiteOptions, demos: dict[str, RenderedDemo | None] | None = None,
                 changed: dict[str, dt.datetime] | None = None, bytecode_cache: jinja2.BytecodeCache | None = None):
        """`changed`: when each episode file last changed (history.py), by its path; `bytecode_cache`: where Jinja
        keeps compiled templates between runs (`speed.pages.compiled_templates`), or None to compile them each time."""
        self.project = project
        self.changed = changed or {}
        self.knowledge = index.build(project)
        self.demos = demos or {}
        self.series: Series = project.series
        self.options = options
        self.schedule = Schedule(self.series.schedule)
        self.tz = self.schedule.tz
        self.files = assets.Files(project)  # the images and files the texts link; generate.py copies them into docs/
        self.env = template_env(project.layout.templates, self.series, bytecode_cache, self._linking)
        self.labels = cast(Record, self.env.globals["labels"])
        self._cards: dict[int, dict[str, Any]] = {}

    def _linking(self, markdown: Callable[[str | None], str]) -> Callable[..., str]:
        """A text filter that first points the text's links to files at their copies, from the page being rendered
        (the `href` of its context). Always a context filter: Jinja decides how to call a filter when it compiles a
        template, and compiled templates may be kept across projects, with files or without (`bytecode_cache`)."""
        if not self.files:
            return _plain_text(markdown)
        return jinja2.pass_context(lambda context, text: markdown(self.files.rewrite(text, context["href"])))

    # --- shared facts ------------------------------------------------------------------------

    @cached_property
    def newest_first(self) -> list[Source]:
        """The episodes newest first, as the archive and the feeds list them."""
        return list(reversed(self.project.sources))

    def now(self) -> dt.datetime:
        """The time the pages are rendered at, in the series' zone (fixed by `SiteOptions.now` in tests)."""
        return self.schedule.now(self.options.now)

    def start_of(self, episode: Episode) -> dt.datetime | None:
        """When an episode began (`Schedule.start_of`)."""
        return self.schedule.start_of(episode)

    def next_session(self) -> dt.datetime:
        """The next regular session after now, or an earlier future-dated episode."""
        return self.schedule.next_session(self.now(), self.project.episodes)

    def when(self, moment: dt.datetime | None, with_time: bool = True) -> str:
        """A moment as the pages write it: date, weekday in the series' language, and the time unless not wanted."""
        if moment is None:
            return self.labels["undated"]
        weekday = self.labels["weekdays"][moment.weekday()]
        text = f"{moment:%Y-%m-%d}（{weekday}）" if self.series.language == "zh" else f"{weekday} {moment:%Y-%m-%d}"
        return f"{text} {moment:%H:%M}" if with_time else text

    def title_of(self, episode: Episode) -> str:
        """An episode's full title: the series, its number (or 番外 and ordinal) and its own title."""
        if episode.number is None:
            ordinal = f" {episode.ordinal:02d}" if episode.ordinal is not None else ""
            return f"{self.series.name} {self.labels['special']}{ordinal}：{episode.title}"
        base = f"{self.series.name} {episode.number:03d}"
        return f"{base}：{episode.title}" if episode.title else base

    def date_of(self, episode: Episode, with_time: bool = True) -> str:
        """When it took place, as exactly as the notes know it: a date, or words such as 2023 年底."""
        if episode.date is None and episode.date_text:
            return inline(episode.date_text)
        return self.when(self.start_of(episode), with_time)

    @cached_property
    def separator(self) -> str:
        """Between the items of a list written on one line: 本期提要, a page's newest places."""
        return "；" if self.series.language == "zh" else "; "

    def summary_of(self, episode: Episode) -> str:
        """本期提要 on one line, or the title when there is none."""
        return self.separator.join(episode.summary) or (episode.title or "")

    def follow_title(self, name: str) -> str:
        """The title of the feed that follows a topic or a person."""
        return f"{self.series.name} · {name}"

    def schedule_line(self) -> str:
        """When the series meets now, in words (the home page, the calendar's events)."""
        slot = self.schedule.slot_for(self.now().date())
        weekday = self.labels["weekdays"][WEEKDAYS.index(slot.weekday)]
        line = self.labels["schedule_line"].format(weekday=weekday, time=slot.time,
                                                   timezone=self.series.schedule.timezone)
        return f"{line}，{self.series.schedule.note}" if self.series.schedule.note else line

    @staticmethod
    def href(page: str, target: str) -> str:
        """A relative link from one docs page to another docs file (MkDocs resolves and checks it)."""
        folder, _, name = target.rpartition("/")  # posixpath.split and dirname, for paths without trailing slashes
        up = _relative_folder(folder, page.rpartition("/")[0])
        return name if up == "." else f"{up}/{name}"

    @staticmethod
    def link_md(link: LinkRef) -> str:
        """A link as the notes wrote it, plus what kind of link it is."""
        return _link_markdown(link.url, link.label)

    def episode_card(self, src: Source, page: str) -> Record:
        """What a list shows of an episode (title, date, summary, link from `page`); made once per episode."""
        facts = self._card_facts(src)
        return Record(facts, href=self.href(page, facts["target"]))

    def _card_facts(self, src: Source) -> dict[str, Any]:
        """What a card shows apart from its link; computed once per episode, though listed on many pages."""
        facts = self._cards.get(id(src))
        if facts is None:
            e = src.episode
            facts = self._cards[id(src)] = {"title": self.title_of(e), "summary": self.summary_of(e),
                                            "date": self.date_of(e, with_time=False), "episode": e,
                                            "video": e.video.url if e.video else None,
                                            "target": slugs.page("talks", e.slug)}
        return facts

    # --- pages -------------------------------------------------------------------------------

    def context(self, page: str, **extra: Any) -> dict[str, Any]:
        """What every template gets: its own path, a relative-link helper and the person formatter."""

        roles = extra.get("roles") or {}

        def person(pid: str, with_role: bool = False) -> str:
            """A person's name linked to their page; in a section's contributors, with their role there."""
            role = self.labels.role.format(role=inline(roles[pid])) if with_role and pid in roles else ""
            return f"[{inline(self.person_name(pid))}]({self.href(page, slugs.page('people', pid))}){role}"

        def topic(name: str) -> str:
            found = self.knowledge.topic(name)
            return f"[{inline(name)}]({self.href(page, slugs.page('topics', found.slug))})" if found else inline(name)

        return {"page": page, "href": lambda target: self.href(page, target), "person": person, "topic": topic,
                "link": self.link_md, **extra}

    def person_name(self, pid: str) -> str:
        """A person's name from data/people.yml, or the id itself when they are not listed there."""
        person = self.project.people.get(pid)
        return person.name if person else pid

    def render(self, template: str, page: str, **extra: Any) -> str:
        """Render one page with its template (`render_template`)."""
        return render_template(self.env, self.project.layout, template, self.context(page, **extra), page)

    def episode_page(self, index: int) -> str:
        """The page of the episode at `index` in build order, with its neighbours and the latest before it."""
        src = self.project.sources[index]
        e = src.episode
        page = slugs.page("talks", e.slug)
        sources = self.project.sources
        video, chapters, moments = None, [], {}
        if e.video:
            start, jump, embed = 0, None, None  # announced, not out yet: its note stands in for the link
            if e.video.url:
                start = video_start(e)
                kind = classify(e.video.url)
                jump = at_moment(e.video.url, start) if start else e.video.url
                embed = (f"https://player.bilibili.com/player.html?bvid={kind.key}&autoplay=0&t={start}"
                         if kind.kind == "bilibili" else None)
                chapters = [Record(c, time=format_offset(c["at"]), href=at_moment(e.video.url, c["at"]))
                            for c in self.chapters(src)]
                moments = {c.anchor: c for c in chapters if c.anchor != "record"}
            files = {form: self.href(page, path) for form, path in self.chapter_files(e).items()} if chapters else {}
            video = Record(title=e.video.title or self.title_of(e), jump=jump, embed=embed, start=start,
                           note=e.video.note, files=files)
        edit_url = None
        if self.series.repo_url:
            edit_url = f"{self.series.repo_url.rstrip('/')}/edit/{self.series.edit_branch}/{src.display}"
        return self.render(
            "episode.md.j2", page,
            ep=e, src=src, title=self.title_of(e), summary=self.summary_of(e), outline=src.outline,
            preview=self.preview("article", e),
            start=self.date_of(e), changed=self._changed(src), video=video, chapters=chapters, moments=moments,
            edit_url=edit_url, roles=e.roles,
            own_sections={key: [s for s in e.sections if s.after == key] for key in {s.after for s in e.sections}},
            minutes=reading_minutes(_strings(e.model_dump(mode="json"))),
            previous=self.episode_card(sources[index - 1], page) if index > 0 else None,
            next=self.episode_card(sources[index + 1], page) if index + 1 < len(sources) else None,
            past=[self.episode_card(s, page) for s in reversed(sources[max(0, index - PAST_LIMIT):index])],
            archive=self.href(page, "talks/index.md") if index > PAST_LIMIT else None,
            demo="\n\n".join(self.demo_markdown(ref, page) for ref in e.practice.notebooks) if e.practice else "",
        )

    def _changed(self, src: Source) -> str:
        """The day the episode's file last changed, in the series' time zone; "" when the history does not say."""
        when = self.changed.get(src.display)
        return f"{when.astimezone(self.tz):%Y-%m-%d}" if when else ""

    def chapters(self, src: Source) -> list[dict[str, Any]]:
        """The moments of an episode's video in time order: where the talk starts (its `video.start`, at the
        record section), then each entry and section with an `at`; each with its time, title and anchor."""
        e = src.episode
        if e.video is None or e.video.url is None:
            return []
        start = video_start(e)
        found = [{"at": start, "title": self.labels["chapter_start"], "anchor": "record"}] if start else []
        found += [{"at": entry.at, "title": entry.title, "anchor": entry.anchor}
                  for entry in src.outline.entries() if entry.at is not None]
        found += [{"at": section.at, "title": section.title, "anchor": section.id} for section in e.sections
                  if section.at is not None]
        return sorted(found, key=lambda c: c["at"])

    @staticmethod
    def feed_files(folder: str, name: str) -> tuple[str, str]:
        """Where the feeds of a topic's or person's page go in docs/, beside it: Atom, and JSON Feed."""
        return slugs.page(folder, name, ".xml"), slugs.page(folder, name, ".json")

    @staticmethod
    def chapter_files(e: Episode) -> dict[str, str]:
        """Where an episode's chapter files go in docs/: WebVTT chapters, and the `mm:ss title` list."""
        return {"vtt": slugs.page("talks", e.slug, ".chapters.vtt"),
                "txt": slugs.page("talks", e.slug, ".chapters.txt")}

    def preview(self, kind: str, episode: Episode | None = None, description: str = "",
                feed: tuple[str, str, str] | None = None) -> Record:
        """What a link preview shows of a page (Open Graph, Twitter cards; overrides/partials/talkbase-head.html):
        its kind, when an episode took place, its picture (the episode's own or the series'), and the feed that
        follows it: (title, folder, name) of a topic's or person's. Paths are under docs/, quoted for a URL."""
        image = (self.files.previews.get(episode.slug) if episode else None) or self.files.previews.get("")
        start = self.start_of(episode) if episode else None
        follow = None
        if feed and self.options.site_url:  # feeds are written only with an address for their links
            title, folder, name = feed
            atom, json_feed = self.feed_files(folder, name)
            follow = Record(title=title, atom=atom, json=json_feed)
        return Record(type=kind, published=start.isoformat() if start else "", description=description,
                      image=quote(image) if image else "", feed=follow)

    def demo_markdown(self, notebook: str, page: str) -> str:
        """The frozen run of a notebook, laid out by notebook.md.j2 (empty if it never ran)."""
        demo = self.demos.get(notebook)
        if demo is None:
            return ""
        name = Path(notebook).stem
        imported = {m.group(1).lower() for c in demo.cells if c["kind"] == "code"
                    for m in _IMPORT.finditer(c["source"])}
        packages = {k: v for k, v in demo.record.get("packages", {}).items() if k.lower().replace("-", "_") in imported}
        cells = [{**c, "text": demote(c["text"], 3)} if c["kind"] == "markdown" else c for c in demo.cells]
        return self.render("notebook.md.j2", page, name=name, notebook=notebook, cells=cells, record=demo.record,
                           packages=packages, download=self.href(page, demo.download), state=demo.state,
                           command=f"talkbase demos run {name}")

    def home_page(self) -> str:
        """The home page: the series' constant texts, the latest episode, the next session."""
        page = "index.md"
        latest = self.episode_card(self.newest_first[0], page) if self.project.sources else None
        upcoming = self.next_session()
        return self.render("home.md.j2", page, latest=latest, preview=self.preview("website"),
                           schedule=self.schedule_line(), feed=bool(self.options.site_url),
                           next_session=self.when(upcoming), next_iso=upcoming.isoformat())

    def archive_page(self) -> str:
        """往期: every episode, newest first, by year."""
        page = "talks/index.md"
        # Newest first, in the order of the series: an episode without a date stays between its neighbours,
        # in the year of the newer one (or of the older one, when it is the newest)
        years: dict[tuple[str, str], list[Record]] = {}  # (heading, anchor) -> episodes
        waiting: list[Record] = []
        for src in self.newest_first:
            card, d = self.episode_card(src, page), src.episode.date
            if d is None:
                (years[next(reversed(years))] if years else waiting).append(card)
            else:
                years.setdefault((str(d.year), f"year-{d.year}"), []).extend([*waiting, card])
                waiting = []
        if waiting:  # no episode has a date
            years[(self.labels["undated"], "undated")] = waiting
        return self.render("archive.md.j2", page, years=years)

    def ref_title(self, ref: index.Ref) -> str:
        """What a listed place is called: its title; a section (本周经典, 本周实践) has none, its heading names it."""
        return ref.title or (self.labels[ref.role] if ref.role in SECTION_IDS else "")

    def ref(self, ref: index.Ref, page: str) -> Record:
        """What a topic, person or paper page shows of one place: its title, role, link and episode."""
        return Record(href=self.href(page, ref.target), title=self.ref_title(ref), role=ref.role,
                      episode=self.episode_card(ref.source, page))

    def knowledge_pages(self) -> list[Job]:
        """Topic, people and paper pages: every list newest first, every link to an exact anchor."""
        k = self.knowledge
        topics = sorted(k.topics.values(), key=lambda t: (-len(t.episodes), t.name.casefold()))
        people = sorted(k.people.values(), key=lambda p: (-len(p.episodes), p.pid))
        jobs = [Job("topics/index.md", None, lambda: self.render("topics.md.j2", "topics/index.md", topics=[
            Record(name=t.name, href=self.href("topics/index.md", slugs.page("topics", t.slug)),
                   episodes=len(t.episodes), entries=len(t.refs)) for t in topics]))]
        jobs += [Job(slugs.page("topics", t.slug), _inputs(t.name, t.episodes, t.refs), partial(self.topic_page, t))
                 for t in topics]
        jobs.append(Job("people/index.md", None, lambda: self.render("people.md.j2", "people/index.md", people=[
            Record(name=self.person_name(p.pid), href=self.href("people/index.md", slugs.page("people", p.pid)),
                   episodes=len(p.episodes)) for p in people])))
        jobs += [Job(slugs.page("people", p.pid), _inputs(p.pid, [], p.refs), partial(self.person_page, p))
                 for p in people]
        cited = [r for paper in k.papers.values() for r in paper.refs]  # every link to a paper is in a cited place
        jobs.append(Job("papers.md", _inputs("papers", [], cited), lambda: self.render(
            "papers.md.j2", "papers.md", papers=[
                Record(id=paper.arxiv_id, urls=paper.urls, refs=[self.ref(r, "papers.md") for r in paper.refs])
                for paper in k.papers.values()])))
        return jobs

    def topic_page(self, t: index.Topic) -> str:
        """A topic's page: the episodes about it and every entry tagged with it, newest first."""
        page = slugs.page("topics", t.slug)
        return self.render("topic.md.j2", page, name=t.name, episodes=[self.episode_card(s, page) for s in t.episodes],
                           refs=[self.ref(r, page) for r in t.refs],
                           preview=self.preview("website", description=self._latest(t.refs, t.episodes),
                                                feed=(self.follow_title(t.name), "topics", t.slug)))

    def person_page(self, p: index.PersonRecord) -> str:
        """A person's page: every place they are credited, newest first."""
        page, info = slugs.page("people", p.pid), self.project.people.get(p.pid)
        name = self.person_name(p.pid)
        return self.render("person.md.j2", page, name=name, pid=p.pid,
                           aliases=info.aliases if info else [], links=info.links if info else [],
                           refs=[self.ref(r, page) for r in p.refs],
                           preview=self.preview("profile", description=self._latest(p.refs, []),
                                                feed=(self.follow_title(name), "people", p.pid)))

    def _latest(self, refs: list[index.Ref], episodes: list[Source]) -> str:
        """A topic's or person's page described by its newest places (up to five): the entries, else the episodes."""
        named = [plain(t) for r in refs if (t := self.ref_title(r))] or [self.title_of(s.episode) for s in episodes]
        return self.separator.join(dict.fromkeys(named[:5]))

    def episode_jobs(self) -> list[Job]:
        """The episode pages, each with what it depends on: itself, its neighbours and the latest before it."""
        sources = self.project.sources
        jobs = []
        for i, src in enumerate(sources):
            shown = sources[max(0, i - PAST_LIMIT):i + 2]  # the page itself, its neighbours and the past list
            # a notebook's frozen run is not tracked here; the day the file last changed is
            inputs = None if src.episode.practice and src.episode.practice.notebook else \
                _inputs((min(i, PAST_LIMIT + 1), src.display, self._changed(src)), shown, [])
            # src.display: the page links to its file for edits, and a renamed file keeps its text's digest
            jobs.append(Job(slugs.page("talks", src.episode.slug), inputs, partial(self.episode_page, i)))
        return jobs

    def jobs(self) -> list[Job]:
        """Every generated Markdown page, not rendered yet: `talkbase validate` checks links against their paths."""
        jobs = [Job("index.md", None, self.home_page), Job("talks/index.md", None, self.archive_page)]
        return jobs + self.episode_jobs() + self.knowledge_pages()

    def pages(self) -> dict[str, str]:
        """Every generated Markdown page, keyed by its path under docs/ (`speed.pages.render_pages` renders the same
        pages, remembering earlier work)."""
        return {job.path: job.make() for job in self.jobs()}


@dataclass
class Job:
    """One page to render: its path under docs/, what its content depends on (None: always render), how."""

    path: str
    inputs: str | None
    make: Callable[[], str]


def _inputs(name: str | tuple, sources: list[Source], refs: list[index.Ref]) -> str | None:
    """A page's own inputs: the content of the episode files it shows, as the digests of their texts (which
    also decide the anchors, titles and roles of the places it lists); None if one is not known."""
    shown, listed = [s.digest for s in sources], [r.source.digest for r in refs]
    if not all(shown) or not all(listed):
        return None
    return f"{name!r}:{','.join(shown)}|{','.join(listed)}"
