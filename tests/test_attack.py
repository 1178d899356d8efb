"""A hostile corpus in real Chromium: payloads in every text field of every file a contributor writes.

The fixture is made from the schema itself: every string of an episode, a special, series.yml,
data/people.yml and data/topics.yml gets the next payload of PAYLOADS (fields that the schema
constrains get hostile values their rule still admits), so a field added later is attacked too.
The project must validate and build strictly; then every page is opened in Chromium with a dialog
handler and a request filter, and must show no dialog, carry no `on*` attribute or script URL in
its live DOM, and ask no host but the site (the embedded video player is the one exception).
"""

from __future__ import annotations

import base64
import gzip
import itertools
import json
from pathlib import Path
from urllib.parse import urlsplit

import icalendar
import lxml.etree
import lxml.html
import nbformat
import pytest
import yaml
from playwright.sync_api import expect
from browser_kit import SiteServer, browser, chromium, site_pages  # noqa: F401 - fixtures
from click.testing import CliRunner
from conftest import build, make_project

from talkbase import demos
from talkbase.cli import cli
from talkbase.sanitize import VIDEO_HOSTS
from talkbase.schema import Episode, Person, Series, TopicAliases

# Each payload calls alert() or asks another host: either would be caught. Families:
# raw tags and handlers; parser differentials (mutation XSS: noscript, style, textarea, title, xmp, noembed,
# template, comments, CDATA); SVG and MathML namespace tricks; Markdown tricks (code spans the escaping
# might misread, link titles, autolinks, attribute lists, reference definitions, HTML blocks); entities and
# encodings; CSS and images that fetch; template and front-matter injection; JSON/JS string breakers.
PAYLOADS = [
    '<script>alert("script")</script>',
    '<img src=x onerror=alert("img")>',
    '<svg onload=alert("svg")><circle r=1 /></svg>',
    '<noscript><p title="</noscript><img src=x onerror=alert("noscript")>"></noscript>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert("mglyph")>',
    '<svg><style><img src=x onerror=alert("svg-style")></style></svg>',
    '<textarea></textarea><img src=x onerror=alert("textarea")>',
    '<title><img src=x onerror=alert("title")></title>',
    '<xmp><img src=x onerror=alert("xmp")></xmp>',
    '<noembed><img src=x onerror=alert("noembed")></noembed>',
    '<template><img src=x onerror=alert("template")></template>',
    '<!--><img src=x onerror=alert("comment")>-->',
    '<![CDATA[><img src=x onerror=alert("cdata")>]]>',
    '<iframe srcdoc="<script>alert(&quot;srcdoc&quot;)</script>"></iframe>',
    '<svg><a xlink:href="javascript:alert(\'xlink\')"><text y="20">x</text></a></svg>',
    '<math href="javascript:alert(\'math-href\')">m</math>',
    '<svg><animate onbegin=alert("animate") attributeName=x dur=1s></svg>',
    '<details open ontoggle=alert("details")>',
    '<a href="jav&#x09;ascript:alert(\'entity-tab\')">tab</a>',
    '<object data="javascript:alert(\'object\')"></object><embed src="javascript:alert(\'embed\')">',
    '<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<link rel=stylesheet href="https://evil.example/x.css"><style>@import "https://evil.example/i.css";</style>',
    '<div style="background:url(https://evil.example/bg.png)">css</div>',
    '<img src="https://evil.example/pixel.png" alt="pixel">',
    '![tracker](https://evil.example/tracker.png)',
    '`code` <img src=x onerror=alert("after-code")> `',
    '``two `<img src=x onerror=alert("double-tick")>``',
    '\\`<img src=x onerror=alert("escaped-tick")>`',
    '[link](https://example.com/ "title\\" onmouseover=\\"alert(\'link-title\')")',
    '<javascript:alert("autolink")> and <https://example.com/?a=1&b=<img src=x onerror=alert("autolink-2")>>',
    '[ok](https://example.com/){: .md-typeset title=x }',
    '&lt;img src=x onerror=alert("entity")&gt; &#60;script&#62;alert("numeric")&#60;/script&#62;',
    '%3Cscript%3Ealert("percent")%3C/script%3E \u2028 \u2029 </script><script>alert("json")</script>',
    '{{ 7*7 }} {% raw %}{{ "jinja" }}{% endraw %} ${7*7} \'"\n---\ntitle: injected\n---\n',
    '$\\href{javascript:alert("tex-href")}{x}$ and $\\text{<b>tex</b>} a<b$',
    '<div markdown="1">\n\n<img src=x onerror=alert("md-in-html")>\n\n</div>',
    '<p>para</p>\n\n<script>alert("block")</script>\n',
    '<span class="tb-video"><iframe src="https://player.bilibili.com/player.html?bvid=BVx&x=%22"></iframe></span>',
    'C++ C# 🤖 <Index> ../../etc/passwd index',
]
# Values for fields the schema constrains (a pattern, a format or a rule), as hostile as the rule admits
URL = "https://example.com/a?b=1&c=%22%3E%3Cscript%3Ealert(1)%3C/script%3E#x&quot;onmouseover=alert(1)"
CONSTRAINED = {"time": "21:00", "language": "python", "timezone": "Asia/Shanghai", "weekday": "saturday",
               "edit_branch": "main", "since": "2023-06-10", "date": "2023-07-15", "special": "attack",
               "image": "images/attack.png"}  # a preview picture beside the episode and beside series.yml
PERSON = "mallory"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5E"
                       "rkJggg==")


class Filler:
    """Walks a model's JSON Schema and fills every field, handing out payloads in turn."""

    def __init__(self):
        self.payloads = itertools.cycle(PAYLOADS)
        self.placed: dict[str, str] = {}  # where each payload went, for a failure message

    def fill(self, schema: dict, defs: dict, path: str, depth: int = 0) -> object:
        if "$ref" in schema:
            return self.fill(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, path, depth + 1)
        options = schema.get("anyOf") or schema.get("oneOf")
        if options and "properties" not in schema:  # an episode's oneOf only says which keys it requires
            chosen = [o for o in options if o.get("type") != "null"]
            objects = [o for o in chosen if "$ref" in o or o.get("type") == "object"]
            return self.fill((objects or chosen)[0], defs, path, depth)
        key = path.rsplit(".", 1)[-1].split("[")[0]
        kind = schema.get("type")
        if kind == "object" and isinstance(schema.get("additionalProperties"), dict):  # keyed by person id (roles)
            return {PERSON: self.fill(schema["additionalProperties"], defs, f"{path}.{PERSON}", depth)}
        if kind == "object":
            return {name: self.fill(sub, defs, f"{path}.{name}", depth)
                    for name, sub in schema.get("properties", {}).items()
                    if name not in ("notebook", "number", "special", "items", "ordinal", "after")}
        if kind == "array":
            return [self.fill(schema["items"], defs, f"{path}[1]", depth)] if path.count("answers") < 3 else []
        if "enum" in schema:
            return schema["enum"][0]
        if kind == "integer":
            return {"start": 610, "length": 7200, "at": 3600, "duration_minutes": 90}.get(key, 1)
        if kind == "boolean":
            return False
        if schema.get("format") == "uri" or key in ("url", "link", "source", "article", "repo_url", "template_link"):
            return URL
        if key in CONSTRAINED:
            return CONSTRAINED[key]
        if "pattern" in schema:  # person ids and other slugs
            return PERSON
        text = next(self.payloads)
        self.placed[path] = text
        return text

    def model(self, model, path: str) -> dict:
        schema = model.model_json_schema(mode="validation")
        return self.fill(schema, schema.get("$defs", {}), path)


def hostile_project(dest: Path) -> tuple[Path, Filler]:
    """The bundled project with its episodes replaced by two hostile ones, and hostile series and data files."""
    project = make_project(dest)
    for old in (project / "talks").glob("*.yaml"):
        old.unlink()
    filler = Filler()
    episode = filler.model(Episode, "900")
    episode.update(number=900)
    episode["video"]["url"] = "https://www.bilibili.com/video/BV1Kh4y1E7nX/?x=%22%3E%3Cscript%3E"
    episode["news"]["projects"] = episode["news"]["industry"] = []  # the groups, once: academic
    special = filler.model(Episode, "special")
    special.update(special="attack", date=None, ordinal=2, after="900")
    special["news"] = {"items": [filler.fill(Episode.model_json_schema()["$defs"]["Item"],
                                             Episode.model_json_schema()["$defs"], "special.news.items[1]")]}
    series = filler.model(Series, "series")
    series["schedule"]["slots"][0].update(since="2023-06-10", weekday="saturday")
    episode["practice"]["notebook"] = "notebooks/attack.ipynb"
    hostile_notebook(project / "notebooks", filler)
    for folder in (project / "talks" / "images", project / "images"):
        folder.mkdir(exist_ok=True)
        (folder / "attack.png").write_bytes(PNG)
    people = {PERSON: filler.model(Person, "people.mallory")}
    topics = [filler.model(TopicAliases, "topics[1]")]
    for name, data in (("talks/900.yaml", episode), ("talks/special-attack.yaml", special), ("series.yml", series),
                       ("data/people.yml", people), ("data/topics.yml", topics)):
        (project / name).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return project, filler


# Every attribute in the live DOM that runs code: a handler, a script URL, a frame's own document
HANDLERS_JS = """() => {
    const found = [];
    for (const el of document.querySelectorAll('*')) {
        for (const a of el.attributes) {
            const v = a.value.replace(/[\\u0000-\\u0020]/g, '').toLowerCase();
            if (a.name.startsWith('on') || v.startsWith('javascript:') || a.name === 'srcdoc')
                found.push(el.tagName + ' ' + a.name + '=' + a.value);
        }
    }
    return found;
}"""


def hostile_notebook(folder: Path, filler: Filler) -> None:
    """A notebook and its freeze whose cells, outputs and run record all carry payloads."""
    text = lambda where: filler.fill({"type": "string"}, {}, where)  # noqa: E731 - the next payload
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text("notebook.markdown")),
                                         nbformat.v4.new_code_cell(text("notebook.code"))])
    nbformat.write(nb, folder / "attack.ipynb")
    nb.cells[1].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=text("notebook.stdout")),
        nbformat.v4.new_output("display_data", data={"text/markdown": text("notebook.markdown-output"),
                                                     "text/html": '<img src=x onerror=alert("html-output")>'}),
        nbformat.v4.new_output("execute_result", data={"text/plain": text("notebook.result")}, execution_count=1),
        nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(PNG).decode(),
                                                     "text/plain": text("notebook.image-alt")}),
    ]
    freeze = folder / "_freeze" / "attack"
    freeze.mkdir(parents=True)
    nbformat.write(nb, freeze / "executed.ipynb")
    record = {"code_key": demos.code_key(nb), "kernel": "python3", "started": text("record.started"), "duration_s": 1.0,
              "device": text("record.device"), "python": text("record.python"),
              "packages": {"x-evil": text("record.package")}}
    (freeze / "run.json").write_text(json.dumps(record), encoding="utf-8")


@pytest.fixture(scope="module")
def attacked(tmp_path_factory) -> tuple[Path, Path, Filler]:
    project, filler = hostile_project(tmp_path_factory.mktemp("attack") / "project")
    result = CliRunner().invoke(cli, ["--config", str(project / "mkdocs.yml"), "validate"], catch_exceptions=False)
    assert result.exit_code == 0, f"the hostile corpus must be valid input:\n{result.output}"
    return project, build(project), filler


def test_every_text_field_carries_a_payload(attacked):
    _, _, filler = attacked
    assert len(filler.placed) >= 80  # every text of an episode, a special, the series and the data files
    assert set(PAYLOADS) <= set(filler.placed.values())  # and every payload lands somewhere


def test_no_payload_runs_or_calls_out_in_chromium(attacked, browser):  # noqa: F811 - the fixture
    project, site, filler = attacked
    server = SiteServer(site)
    dialogs, foreign, handlers = [], [], []

    def route(r):
        host = urlsplit(r.request.url).hostname
        if host == "127.0.0.1":
            return r.continue_()
        framed = r.request.frame.parent_frame is not None and r.request.resource_type == "document"
        if not (framed and host in VIDEO_HOSTS):
            foreign.append((page_url, r.request.resource_type, r.request.url))
        r.abort()

    context = browser.new_context()
    context.route("**/*", route)
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append((page_url, d.message)), d.dismiss()))
    try:
        pages = site_pages(site)
        assert "talks/900/" in pages and "talks/special-attack/" in pages and "people/mallory/" in pages
        for page_url in pages:
            page.goto(server.url(page_url), wait_until="load")
            page.wait_for_timeout(50)  # handlers such as onload and animations fire right after load
            handlers += [(page_url, h) for h in page.evaluate(HANDLERS_JS)]
        # the search results show titles and text from the index: search for words the payloads carry
        page_url = "search"
        page.goto(server.url("talks/900/"), wait_until="load")
        box = page.locator(".md-search__input")
        box.click()
        searched = 0
        for query in ("本周新闻", "alert", "onerror", "script", "img"):
            box.fill("")
            box.press_sequentially(query)
            box.press("End")
            # the theme says 正在初始化 until its index is built, then how many results it found
            expect(page.locator(".md-search-result__meta")).not_to_contain_text("初始化", timeout=20_000)
            page.wait_for_timeout(300)
            searched += page.locator(".md-search-result__item").count()
            handlers += [("search", h) for h in page.evaluate(HANDLERS_JS)]
    finally:
        context.close()
        server.close()
    assert searched > 0, "the searches found nothing to show"
    assert not dialogs, f"script ran: {dialogs[:5]}"
    assert not foreign, f"requests to other hosts: {foreign[:5]}"
    assert not handlers, f"event handlers or script URLs in the DOM: {handlers[:5]}"


def test_payloads_are_shown_as_written(attacked):
    """The escaping is the parser's: raw HTML in prose, code spans and math shows as the text typed."""
    _, site, filler = attacked
    article = lxml.html.parse(str(site / "talks/900/index.html")).getroot().find(".//article")
    text = article.text_content()
    for payload in ('<script>alert("script")</script>', '<img src=x onerror=alert("img")>',
                    '<noscript><p title="</noscript><img src=x onerror=alert("noscript")>"></noscript>'):
        assert payload in text
    code = [c.text_content() for c in article.iter("code")]
    assert 'two `<img src=x onerror=alert("double-tick")>' in code


def test_feed_calendar_and_search_index_parse(attacked):
    _, site, _ = attacked
    feed = lxml.etree.parse(str(site / "feed.xml")).getroot()
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    assert feed.find("{http://www.w3.org/2005/Atom}title").text == yaml.safe_load(
        (site.parent / "series.yml").read_text(encoding="utf-8"))["name"]
    calendar = icalendar.Calendar.from_ical((site / "calendar.ics").read_bytes())
    assert calendar.walk("VEVENT")
    records = [r for part in sorted((site / "search" / "talkbase").glob("r*.bin"))
               for r in json.loads(gzip.decompress(part.read_bytes()))]  # [url, title, page, text] (search.py)
    assert any(url.startswith("talks/900/") for url, *_ in records)
    for atom in [*(site / "topics").glob("*.xml"), *(site / "people").glob("*.xml")]:  # the feeds that follow them
        assert lxml.etree.parse(str(atom)).getroot().tag == "{http://www.w3.org/2005/Atom}feed"
        json.loads(atom.with_suffix(".json").read_text(encoding="utf-8"))
    assert (site / "feed.json").is_file()
