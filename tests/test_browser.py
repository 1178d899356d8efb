"""What a reader sees: the built site in a real Chromium, served over HTTP on 127.0.0.1.

One browser and one server for the whole session. Without Chromium these tests skip with a message
that says how to install it; where $CI is set they fail instead.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import lxml.html
import pytest
import yaml
from browser_kit import ChromiumMissing, SiteServer, browser, chromium, find_chromium, site_pages  # noqa: F401 - fixtures
from conftest import ROOT, build, make_project

try:
    from playwright.sync_api import Page, expect
except ImportError:  # checked by the `chromium` fixture, which says what to install
    pass

ARTIFACTS = ROOT / "test-artifacts"
NEWEST = max(int(p.stem) for p in (ROOT / "talks").glob("[0-9]*.yaml"))  # the latest numbered episode
LATEST_SLOT = yaml.safe_load((ROOT / "series.yml").read_text(encoding="utf-8"))["schedule"]["slots"][-1]
SECTIONS = ["record", "notice", "news", "recommendations", "classics", "practice", "free-talk", "references",
            "plans", "join", "past"]
# pages a phone reader must be able to read without scrolling sideways (every page is checked; these must exist)
PHONE_PAGES = ["", "talks/", "talks/003/", "topics/rope/", "people/xianyu/", "papers/"]

# The elements of a section: those after its <h2 id=...> up to the next <h2> (or a <section id=...> itself).
SECTION_JS = """(id) => {
  const start = document.getElementById(id);
  if (!start) return [];
  if (start.tagName === 'SECTION') return [start];
  const out = [];
  for (let el = start.nextElementSibling; el && el.tagName !== 'H2'; el = el.nextElementSibling) out.push(el);
  return out;
}"""


# ---------------------------------------------------------------------------------------------------------------
# fixtures: Chromium, one browser, one server, fresh browser contexts


@pytest.fixture(scope="module")
def server(site):
    served = SiteServer(site)
    yield served
    served.close()


@dataclass
class Tab:
    """A page in its own browser context, with what went wrong while it was open."""

    page: Page
    server: SiteServer
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    foreign: list[str] = field(default_factory=list)  # requests that left the local server

    def goto(self, path: str) -> None:
        response = self.page.goto(self.server.url(path))
        assert response is not None and response.status == 200, f"{path}: HTTP {response and response.status}"


@pytest.fixture
def open_page(browser, server):  # noqa: F811 - the fixture
    """open_page(path, width=, height=, scheme=, **context options) -> Tab, closed after the test."""
    contexts = []

    def open_(path: str | None = "", *, width: int = 1280, height: int = 900, scheme: str = "light", **options) -> Tab:
        context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme,
                                      locale="zh-CN", timezone_id="Asia/Shanghai", **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        tab = Tab(context.new_page(), server)
        tab.page.on("console", lambda m: m.type == "error" and tab.errors.append(f"console: {m.text}"))
        tab.page.on("pageerror", lambda e: tab.errors.append(f"uncaught: {e}"))
        tab.page.on("request", lambda r: r.url.startswith(server.base) or r.url.startswith(("data:", "blob:"))
                    or tab.foreign.append(r.url))
        if path is not None:
            tab.goto(path)
        return tab

    yield open_
    for context in contexts:
        context.close()


def section_text(page: Page, anchor: str) -> str:
    return page.evaluate(f"(id) => ({SECTION_JS})(id).map(e => e.innerText).join('\\n')", anchor)


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


# ---------------------------------------------------------------------------------------------------------------
# without Chromium


def test_missing_chromium_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("TALKBASE_CHROMIUM", str(tmp_path / "no-such-chrome"))
    with pytest.raises(ChromiumMissing) as err:
        find_chromium()
    assert "apt-get install -y chromium" in str(err.value)
    assert "TALKBASE_CHROMIUM=/path/to/chrome" in str(err.value)


@pytest.mark.parametrize("on_ci", [False, True], ids=["laptop", "ci"])
def test_browser_tests_skip_without_chromium_but_fail_on_ci(on_ci, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["TALKBASE_CHROMIUM"] = str(tmp_path / "no-such-chrome")
    if on_ci:
        env["CI"] = "true"
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                          f"{Path(__file__).name}::test_home_page_shows_the_latest_episode_and_the_next_session"],
                         cwd=Path(__file__).parent, env=env, capture_output=True, text=True, timeout=120)
    out = run.stdout + run.stderr
    assert "apt-get install -y chromium" in out and "TALKBASE_CHROMIUM=/path/to/chrome" in out, out
    if on_ci:
        assert run.returncode == 1, out
        assert "1 error" in out and "failing instead of skipping because CI is set" in out
    else:
        assert run.returncode == 0, out
        assert "1 skipped" in out


# ---------------------------------------------------------------------------------------------------------------
# home page and search


def test_home_page_shows_the_latest_episode_and_the_next_session(open_page):
    tab = open_page("")
    page = tab.page
    expect(page.locator("article h1")).to_have_text(re.compile(r"^OpenLLM Talk\W*$"))
    latest = page.locator("article .grid.cards li").filter(has_text="最新一期")
    expect(latest).to_be_visible()
    # made absolute by instant loading
    expect(latest.locator(f'a[href$="talks/{NEWEST:03d}/"]')).to_contain_text(f"OpenLLM Talk {NEWEST:03d}")
    upcoming = page.locator("article .grid.cards li").filter(has_text="下一期")
    expect(upcoming).to_contain_text(f"每周六 {LATEST_SLOT['time']}")
    nxt = upcoming.locator(".tb-next")
    expect(nxt).to_be_visible()
    when = dt.datetime.fromisoformat(nxt.get_attribute("data-next"))
    now = dt.datetime.now(dt.timezone.utc)
    # the announced session is the first one after the build (this test session): at most a week away
    assert now - dt.timedelta(days=7) < when <= now + dt.timedelta(days=7, hours=1)
    if when > now:
        expect(nxt).to_contain_text(f"{when:%Y-%m-%d}")
    page.wait_for_load_state("networkidle")  # the search worker has read the index's table of contents too
    assert tab.errors == []
    assert tab.foreign == []  # no font CDN, no analytics: the page needs nothing but the site


def test_next_session_moves_on_when_the_built_date_has_passed(open_page, server):
    """talkbase.js recomputes "next session" in the reader's browser when the site is older than a week."""
    tab = open_page(None)
    first = tab.page
    tab.goto("")
    built = dt.datetime.fromisoformat(first.locator(".tb-next").get_attribute("data-next"))
    first.clock.set_fixed_time(built + dt.timedelta(days=9))  # the Monday after the session the site announced
    first.reload()
    expected = built + dt.timedelta(days=14)
    shown = first.locator(".tb-next")
    expect(shown).to_contain_text(f"{expected.month}月{expected.day}日")
    expect(shown).to_contain_text(LATEST_SLOT["time"])
    assert f"{built:%Y-%m-%d}" not in shown.inner_text()


def test_pages_load_in_place_so_the_search_worker_lives_on(browser, tmp_path):  # noqa: F811 - the fixture
    """With navigation.instant, a page opened from a link loads in place: the search worker, and the parts of
    the index it fetched, live on, so a reader's browser reads the index's table of contents once per visit
    and fetches no part twice. Material does this only for the addresses of the sitemap, so the site is built
    for the address it is served at, as a published site is for its site_url."""
    project = make_project(tmp_path / "project")
    served = SiteServer(project / "site")
    try:
        config = project / "mkdocs.yml"
        config.write_text(re.sub(r"(?m)^site_url: .*$", f"site_url: {served.base}", config.read_text(encoding="utf-8")),
                          encoding="utf-8")
        build(project)
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(10_000)
        tab = Tab(context.new_page(), served)
        page, fetched = tab.page, []
        page.on("pageerror", lambda e: tab.errors.append(f"uncaught: {e}"))
        context.on("request", lambda r: "/search/" in r.url and fetched.append(urlsplit(r.url).path))
        tab.goto("")
        page.wait_for_load_state("networkidle")
        page.evaluate("window.tbSameDocument = true")
        page.locator(f'article .grid.cards a[href$="talks/{NEWEST:03d}/"]').first.click()
        page.wait_for_url(re.compile(rf"/talks/{NEWEST:03d}/$"))
        expect(page.locator("article h1")).to_contain_text(f"OpenLLM Talk {NEWEST:03d}")
        page.locator('.md-tabs a[href$="topics/"]').first.click()
        page.wait_for_url(re.compile(r"/topics/$"))
        expect(page.locator("article h1")).to_have_text(re.compile("话题"))
        # After a page loads in place the theme's search answers once its worker has answered again, and it
        # opens its results when the box gains focus. So: type, wait for the answer (its count of results),
        # then focus the box again to see them, as a reader who clicked too early would. Then search again.
        box, toggle = page.locator(".md-search__input"), page.locator("#__search")
        box.click()
        box.press_sequentially("RoPE")
        box.press("End")
        expect(page.locator(".md-search-result__meta")).to_contain_text(re.compile(r"\d"), timeout=20_000)
        if not toggle.is_checked():
            box.evaluate("el => el.blur()")
            box.click()
        expect(toggle).to_be_checked()
        expect(page.locator(".md-search-result a.md-search-result__link").first).to_be_visible()
        # 003's entries are among the results (below the first ones, now that the archive holds a dozen episodes)
        expect(page.locator(".md-search-result a.md-search-result__link[href*='talks/003/']").first).to_be_attached()
        box.fill("LongNet")
        box.press("End")
        expect(page.locator(".md-search-result a.md-search-result__link[href*='talks/003/']").first).to_be_visible()
        assert page.evaluate("window.tbSameDocument") is True  # never reloaded
        assert fetched.count("/search/talkbase/index.json") == 1, fetched
        assert len(fetched) == len(set(fetched)), fetched
        assert tab.errors == []
        context.close()
    finally:
        served.close()


def test_search_finds_episode_003_and_opens_the_section(open_page):
    page = open_page("").page
    box = page.locator(".md-search__input")
    box.click()
    found = {}
    for query in ("位置编码", "RoPE", "vllm"):
        box.fill("")
        box.press_sequentially(query)
        box.press("End")  # an input method commits Chinese text with a key press; material searches on keyup
        hits = page.locator(".md-search-result a.md-search-result__link[href*='talks/003/']").filter(visible=True)
        expect(hits.first).to_be_visible(timeout=20_000)  # the first query waits for the index to load
        found[query] = hits.evaluate_all("els => els.map(a => a.href)")
    assert all(found.values()), found

    # the last query (vllm): open the result for the group discussion about it
    hit = page.locator(".md-search-result a.md-search-result__link[href*='talks/003/'][href*='#']") \
        .filter(visible=True).filter(has_text=re.compile("vllm", re.I)).first
    href = hit.get_attribute("href")
    hit.click()
    page.wait_for_url(re.compile(r"/talks/003/.*#"))
    url = urlsplit(page.url)
    assert url.path.endswith("/talks/003/")
    anchor = unquote(url.fragment)
    assert anchor and anchor == unquote(urlsplit(href).fragment)
    target = page.locator(f"article [id='{anchor}']")
    expect(target).to_have_count(1)
    assert target.evaluate("e => /^H[1-6]$/.test(e.tagName)"), f"#{anchor} is not a heading"
    expect(target).to_contain_text(re.compile("vllm", re.I))
    expect(target).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 0


# ---------------------------------------------------------------------------------------------------------------
# episode 003


def test_every_section_of_003_is_visible(open_page):
    page = open_page("talks/003/").page
    expect(page.locator("article h1")).to_have_text(re.compile("OpenLLM Talk 003"))
    for anchor in SECTIONS:
        heading = page.locator(f"article h2#{anchor}")
        expect(heading).to_be_visible()
        heading.scroll_into_view_if_needed()
        expect(heading).to_be_in_viewport()


def test_math_is_rendered_as_mathml(open_page):
    page = open_page("talks/003/").page
    maths = page.locator("article math")
    assert maths.count() >= 10
    layout = maths.evaluate_all("els => els.map(e => [getComputedStyle(e).display, e.getBoundingClientRect().width,"
                                " e.getBoundingClientRect().height, e.getAttribute('alttext')])")
    for display, width, height, source in layout:
        assert display in ("math", "inline math", "block math"), f"{source}: laid out as {display}, not MathML"
        assert width > 0 and height > 0, f"{source}: empty box"
    free_talk = section_text(page, "free-talk")
    assert "ChatGPT 的数学能力的来源是什么呢" in free_talk
    assert "$" not in free_talk
    assert "\\dots" not in free_talk and "a_0x^0" not in free_talk  # no LaTeX source shown as text


def test_copy_button_copies_the_code(open_page):
    code = yaml.safe_load((ROOT / "talks/003.yaml").read_text(encoding="utf-8"))["practice"]["code"][0]["code"]
    tab = open_page("talks/003/", permissions=["clipboard-read", "clipboard-write"])
    page = tab.page
    block = page.locator("xpath=//h2[@id='practice']/following-sibling::div"
                         "[contains(concat(' ', normalize-space(@class), ' '), ' highlight ')][1]")
    block.scroll_into_view_if_needed()
    block.hover()
    button = block.locator("button[data-md-type='copy'], button.md-clipboard")
    expect(button).to_be_visible()
    button.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.rstrip("\n") == code.rstrip("\n")
    assert tab.errors == []


def test_video_is_embedded_and_linked_at_its_start(open_page):
    page = open_page("talks/003/").page
    frame = page.locator("article .tb-video iframe")
    expect(frame).to_have_count(1)
    frame.scroll_into_view_if_needed()
    expect(frame).to_be_visible()
    src = urlsplit(frame.get_attribute("src"))
    assert src.scheme == "https" and src.netloc == "player.bilibili.com"
    assert parse_qs(src.query)["bvid"] == ["BV1Kh4y1E7nX"] and parse_qs(src.query)["t"] == ["610"]
    box = frame.bounding_box()
    assert box["width"] >= 300 and abs(box["width"] / box["height"] - 16 / 9) < 0.02
    link = page.locator("article a[href*='bilibili.com/video/BV1Kh4y1E7nX']").first
    expect(link).to_be_visible()
    assert parse_qs(urlsplit(link.get_attribute("href")).query)["t"] == ["610"]
    expect(page.locator("article").get_by_text("精准空降到 10:10")).to_be_visible()


def test_the_notebook_plot_loads(open_page):
    page = open_page("talks/003/").page
    # <img> inside <section id="practice">, or after <h2 id="practice"> and before the next <h2>
    images = page.locator("xpath=//section[@id='practice']//img | //h2[@id='practice']/following-sibling::*"
                          "[not(self::h2)][preceding-sibling::h2[1][@id='practice']]/descendant-or-self::img")
    assert images.count(), "no image in the 本周实践 (#practice) section"
    for i in range(images.count()):
        image = images.nth(i)
        image.scroll_into_view_if_needed()  # lazy images load once in view
        page.wait_for_function("i => i.complete", arg=image.element_handle())
        natural, alt, src = image.evaluate("i => [i.naturalWidth, i.alt, i.currentSrc]")
        assert natural > 0, f"{src} did not load"
        assert alt.strip(), f"{src} has no alt text"
        expect(image).to_be_visible()


# ---------------------------------------------------------------------------------------------------------------
# following links


def broken_links(page: Page, server: SiteServer, checked: dict[str, tuple[int, frozenset[str]]]) -> list[str]:
    """Every link of the page into the site that does not answer 200, or whose #fragment is not an id there."""
    problems = []
    for href in sorted(set(page.locator("a[href]").evaluate_all("els => els.map(a => a.href)"))):
        if not href.startswith(server.base):
            continue
        document, _, fragment = href.partition("#")
        document = document.split("?", 1)[0]
        if document not in checked:
            response = page.request.get(document)
            ids = frozenset()
            if response.ok and "html" in response.headers.get("content-type", ""):
                tree = lxml.html.fromstring(response.body())
                ids = frozenset(tree.xpath("//@id")) | frozenset(tree.xpath("//a/@name"))
            checked[document] = (response.status, ids)
        status, ids = checked[document]
        if status != 200:
            problems.append(f"{page.url}: {href} -> HTTP {status}")
        elif fragment and unquote(fragment) not in ids:
            problems.append(f"{page.url}: {href} -> no element with id {unquote(fragment)!r}")
    return problems


def test_topic_to_episode_to_person_and_back(open_page, server):
    tab = open_page("topics/rope/")
    page = tab.page
    checked: dict[str, tuple[int, frozenset[str]]] = {}
    visited = []

    def arrive(path_end: str, anchor: str | None = None) -> None:
        page.wait_for_url(re.compile(re.escape(path_end) + (r"#" + re.escape(anchor) if anchor else r"$")))
        assert unquote(urlsplit(page.url).path).endswith(path_end)
        if anchor:
            expect(page.locator(f"[id='{anchor}']")).to_be_in_viewport()
        visited.append(page.url)
        problems = broken_links(page, server, checked)
        assert not problems, "\n".join(problems)

    arrive("/topics/rope/")
    # an item of the topic, on its episode page
    item = page.locator("article h2 ~ ul a[href*='talks/003/#']").first
    anchor = unquote(urlsplit(item.get_attribute("href")).fragment)
    expect(item).to_have_text("苏神的新博客，解读 rope")
    item.click()
    arrive("/talks/003/", anchor)
    expect(page.locator(f"[id='{anchor}']")).to_have_text(re.compile("苏神的新博客"))
    # one of the editors, on their person page
    page.locator("article h2#record ~ ul a[href$='people/xianyu/']").first.click()
    arrive("/people/xianyu/")
    expect(page.locator("article h1")).to_have_text(re.compile("羡鱼"))
    # back to the section of 003 they contributed to
    page.locator("article a[href$='talks/003/#free-talk']").click()
    arrive("/talks/003/", "free-talk")
    # and back through the history, each page as it was
    for expected in reversed(visited[:-1]):
        page.go_back()
        page.wait_for_url(expected)
        expect(page.locator("article h1")).to_be_visible()
    assert unquote(urlsplit(page.url).path).endswith("/topics/rope/")
    assert len(checked) >= 20  # the pages linked from these four were fetched and checked
    assert tab.errors == []


# ---------------------------------------------------------------------------------------------------------------
# dark mode, phones, screenshots


def test_dark_mode_toggles_and_stays_on_reload(open_page, server):
    tab = open_page("", scheme="light")
    page = tab.page
    body = page.locator("body")
    expect(body).to_have_attribute("data-md-color-scheme", "default")
    toggle = page.locator("form[data-md-component=palette] label").filter(visible=True)
    expect(toggle).to_have_count(1)
    expect(toggle).to_have_attribute("title", "切换到深色模式")
    toggle.click()
    expect(body).to_have_attribute("data-md-color-scheme", "slate")
    page.reload()
    expect(body).to_have_attribute("data-md-color-scheme", "slate")
    tab.goto("talks/003/")  # and on the other pages
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "slate")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
    assert sum(channels) < 3 * 100, f"slate scheme but background is {background}"


# Wider than the viewport: what makes a page scroll sideways (for the failure message).
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1) wide.push(`<${el.tagName.toLowerCase()} class="${el.className}"> `
      + `right=${Math.round(r.right)}: ${(el.textContent || '').trim().slice(0, 50)}`);
  }
  return {scroll: document.documentElement.scrollWidth, client: width, wide: wide.slice(0, 5)};
}"""

A11Y_JS = """() => {
  const words = (el) => (el.textContent || '').trim()
    || (el.getAttribute('aria-label') || '').trim() || (el.getAttribute('title') || '').trim()
    || Array.from(el.querySelectorAll('img[alt], svg[aria-label]'))
         .map(i => (i.getAttribute('alt') || i.getAttribute('aria-label') || '').trim()).join('')
    || (el.getAttribute('aria-labelledby') || '').split(/\\s+/).map(id => document.getElementById(id))
         .filter(Boolean).map(e => e.textContent.trim()).join('');
  const content = document.querySelector('article.md-content__inner');
  return {
    lang: document.documentElement.getAttribute('lang'),
    h1: document.querySelectorAll('h1').length,
    h1_in_content: content ? content.querySelectorAll('h1').length : 0,
    headings: content ? Array.from(content.querySelectorAll('h1,h2,h3,h4,h5,h6'))
      .map(h => [Number(h.tagName[1]), h.id || h.textContent.trim().slice(0, 40)]) : [],
    images_without_alt: Array.from(document.querySelectorAll('img'))
      .filter(i => !(i.getAttribute('alt') || '').trim() && i.getAttribute('role') !== 'presentation')
      .map(i => i.outerHTML.slice(0, 120)),
    nameless_links: Array.from(document.querySelectorAll('a[href]')).filter(a => !words(a))
      .map(a => a.outerHTML.slice(0, 120)),
  };
}"""


@pytest.fixture(scope="module")
def crawl(browser, server, site) -> dict[str, dict]:  # noqa: F811 - the fixture
    """Every page of the built site, opened once in a 375-pixel-wide (phone) window: what it shows."""
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    facts = {}
    for path in site_pages(site):
        response = page.goto(server.url(path))
        assert response is not None and response.status == 200, path
        facts[path] = {**page.evaluate(A11Y_JS), **page.evaluate(OVERFLOW_JS)}
    context.close()
    return facts


def test_no_page_scrolls_sideways_on_a_phone(crawl):
    assert set(PHONE_PAGES) <= set(crawl)
    wide = {path or "/": f["wide"] for path, f in crawl.items() if f["scroll"] > f["client"]}
    assert not wide, wide
    assert all(f["client"] <= 375 for f in crawl.values())


def test_every_page_declares_its_language(crawl):
    assert len(crawl) >= 30
    tag = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]+)*")
    assert {path or "/": f["lang"] for path, f in crawl.items() if not tag.fullmatch(f["lang"] or "")} == {}
    assert crawl[""]["lang"] == "zh"


def test_one_h1_and_no_skipped_heading_levels(crawl):
    problems = []
    for path, f in crawl.items():
        levels = [level for level, _ in f["headings"]]
        if f["h1"] != 1 or f["h1_in_content"] != 1 or levels[:1] != [1]:
            problems.append(f"{path or '/'}: {f['h1']} <h1> in the page, {f['h1_in_content']} in the content")
        for (before, _), (level, name) in zip(f["headings"], f["headings"][1:]):
            if level > before + 1:
                problems.append(f"{path or '/'}: <h{level}> {name} follows an <h{before}>")
    assert not problems, "\n".join(problems)
    assert max(level for level, _ in crawl["talks/003/"]["headings"]) >= 4  # the check saw the deep headings


def test_images_have_alt_text(crawl):
    assert {path or "/": f["images_without_alt"] for path, f in crawl.items() if f["images_without_alt"]} == {}


def test_links_have_discernible_text(crawl):
    assert {path or "/": f["nameless_links"] for path, f in crawl.items() if f["nameless_links"]} == {}


def test_screenshots_of_home_and_003(open_page):
    ARTIFACTS.mkdir(exist_ok=True)
    for path, name in (("", "home.png"), ("talks/003/", "talk-003.png")):
        tab = open_page(path, width=1280, height=900)
        tab.page.evaluate("document.fonts.ready")
        target = ARTIFACTS / name
        target.unlink(missing_ok=True)
        tab.page.screenshot(path=str(target), full_page=True, animations="disabled")
        width, height = png_size(target)
        assert width == 1280
        assert height >= 900
    assert png_size(ARTIFACTS / "talk-003.png")[1] > 5000  # the whole episode, not just the first screen
