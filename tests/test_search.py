"""Search: the index the build writes in small files, and material's search box answering from it in Chromium.

The index holds every run of Chinese as its character pairs, and the browser's worker splits a query the
same way (talkbase/search.py, docs/javascripts/talkbase-search.js): what is typed is found wherever the text
holds it, whatever a dictionary would make of it. The worker fetches only the files a query needs.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

import pytest
from browser_kit import SiteServer, browser, chromium  # noqa: F401 - fixtures
from conftest import ROOT, build

from talkbase import mkdocs_internals as internals
from talkbase import search

try:
    from playwright.sync_api import expect
except ImportError:  # checked by the `chromium` fixture, which says what to install
    pass

TERMS = ["位置编码", "量化", "显存", "RoPE", "vllm", "LongNet"]
WORKER = ROOT / "docs" / search.SCRIPT


# ---------------------------------------------------------------------------------------------------------------
# the index side


def test_chinese_is_indexed_as_character_pairs_and_other_words_in_lower_case():
    assert search.index_words("旋转位置编码 RoPE") == ["旋转", "转位", "位置", "置编", "编码", "码", "rope"]
    assert search.index_words("显存") == ["显存", "存"]
    assert search.index_words("上海ai lab的7b模型") == ["上海", "海", "ai", "lab", "的", "7b", "模型", "型"]
    assert search.index_words("量") == ["量"]
    assert search.index_words("Models, NTK-Aware gpu_memory_utilization class") == [
        "model", "ntk", "aware", "gpu_memory_utilization", "class"]


def test_a_word_and_every_word_it_begins_share_a_shard():
    """The worker looks a query's word up in one shard: the longer words it begins must be there too."""
    for word, longer in [("显", "显存"), ("mo", "models"), ("vllm", "vllm0"), ("位置", "位置")]:
        assert search.shard_of(word, 256) == search.shard_of(longer, 256)
    assert len({search.shard_of(w, 256) for w in ["显存", "位置", "编码", "rope", "vllm", "longnet"]}) > 3


def test_the_worker_splits_the_same_characters_as_the_index():
    """The browser's side of the split names the same characters (the query side: pairs, without the index's
    trailing single character, which serves a query of one character)."""
    source = WORKER.read_text(encoding="utf-8")
    han = re.search(r"const HAN = /\[(.*?)\]\+/gu;", source).group(1)
    decoded = re.sub(r"\\u\{([0-9a-f]+)\}|\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1) or m.group(2), 16)), han)
    assert decoded == search.HAN


def _page(content: str, url: str = "talks/003/", title: str = "OpenLLM Talk 003", meta: dict | None = None):
    return SimpleNamespace(content=content, url=url, title=title, meta=meta or {})


def test_records_follow_the_headings_and_leave_out_what_is_marked():
    html = ('<h1 id="t">OpenLLM Talk 003<a class="headerlink" href="#t">¶</a></h1><p>本期&lt;提要&gt;</p>'
            '<div data-search-exclude><p>目录 <span>不要</span></p><div><p>也不要</p></div></div>'
            '<h2 id="news">本周新闻<a class="headerlink" href="#news">¶</a></h2>'
            '<p>位置<strong>编码</strong><br>RoPE</p>'
            '<h2 id="plan" data-search-exclude>计划</h2><p>不索引</p>'
            '<h4 id="g-1">1. vllm</h4><ul><li>显存</li><li>利用率</li></ul>')
    records = search.page_records(_page(html))
    assert [(r["url"], r["title"], r["text"]) for r in records] == [
        ("talks/003/", "OpenLLM Talk 003", "本期<提要>"),
        ("talks/003/#news", "本周新闻", "位置编码 RoPE"),
        ("talks/003/#g-1", "1. vllm", "显存 利用率"),
    ]
    assert {r["page"] for r in records} == {"OpenLLM Talk 003"}
    assert {r["kind"] for r in records} == {"entry"}


def test_listing_pages_rank_after_entries_and_excluded_pages_are_left_out():
    kinds = {url: search.page_records(_page("<p>RoPE</p>", url=url))[0]["kind"]
             for url in ["", "talks/", "topics/rope/", "people/xianyu/", "papers/", "talks/003/", "contributing/"]}
    assert kinds == {"": "listing", "talks/": "listing", "topics/rope/": "listing", "people/xianyu/": "listing",
                     "papers/": "listing", "talks/003/": "entry", "contributing/": "entry"}
    assert search.page_records(_page("<p>RoPE</p>", meta={"search": {"exclude": True}})) == []


def test_the_index_numbers_entries_before_listings_and_weighs_what_a_section_is_about(tmp_path):
    entry = {"url": "talks/003/#g-1", "title": "1. vllm", "page": "OpenLLM Talk 003", "kind": "entry",
             "text": "显存利用率 " * 3 + "x" * 2000}
    passing = {"url": "talks/004/#q-1", "title": "问题", "page": "OpenLLM Talk 004", "kind": "entry",
               "text": "显存 " + "长文本 " * 50}
    listing = {"url": "topics/vllm/", "title": "vLLM", "page": "vLLM", "kind": "listing", "text": ""}
    written = search.write_index([[listing], [entry], [passing]], str(tmp_path))
    bundle = tmp_path / search.BUNDLE
    manifest = json.loads((bundle / "index.json").read_text(encoding="utf-8"))
    assert written["records"] == manifest["records"] == 3 and manifest["entries"] == 2

    def postings(word):
        shard = json.loads(gzip.decompress((bundle / f"w{search.shard_of(word, manifest['shards'])}.bin").read_bytes()))
        idf, *rest = shard[word]
        numbers = [sum(rest[:i + 1]) for i in range(len(rest) // 2)]
        return dict(zip(numbers, rest[len(rest) // 2:]))

    assert set(postings("vllm")) == {0, 2}  # 003's entry (its title) and the topic, numbered last
    weights = postings("显存")
    assert set(weights) == {0, 1} and weights[0] > weights[1]  # three times in a short text beats once in a long one
    texts = json.loads(gzip.decompress((bundle / "r0.bin").read_bytes()))
    assert texts[0][:3] == ["talks/003/#g-1", "1. vllm", "OpenLLM Talk 003"]
    assert len(texts[0][3]) == search.EXCERPT_CHARS and texts[2][0] == "topics/vllm/"


def test_another_material_version_falls_back_to_materials_own_search(monkeypatch):
    plugin = type("SearchPlugin", (), {"__module__": "material.plugins.search.plugin"})()
    config = SimpleNamespace(plugins={"material/search": plugin})
    assert search.unusable(config) is None
    tested = internals.installed
    monkeypatch.setattr(internals, "installed", lambda name: "9.9.0" if name == "mkdocs-material" else tested(name))
    assert "9.9.0" in search.unusable(config) and internals.TESTED["mkdocs-material"] in search.unusable(config)
    assert search.unusable(SimpleNamespace(plugins={})) is not None

def _indexed_pages(site) -> set[str]:
    """The pages the talkbase index holds sections of."""
    bundle = site / "search" / "talkbase"
    manifest = json.loads((bundle / "index.json").read_text(encoding="utf-8"))
    return {record[0].split("#")[0] for n in range(manifest["records"] // manifest["chunk"] + 1)
            if (bundle / f"r{n}.bin").is_file()
            for record in json.loads(gzip.decompress((bundle / f"r{n}.bin").read_bytes()))}


def test_a_dirty_build_in_a_new_process_renders_and_indexes_every_page(project):
    """`mkdocs build --dirty` skips pages whose output is up to date; a new process has no search sections
    of those, so talkbase has every output built again, and the index stays whole."""
    env = {**os.environ, "TALKBASE_CACHE": "off"}
    command = [str(Path(sys.executable).with_name("mkdocs")), "build", "--dirty"]
    first = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-3000:]
    whole = _indexed_pages(project / "site")
    page = project / "site" / "talks" / "001" / "index.html"
    before = page.stat().st_mtime_ns
    again = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert page.stat().st_mtime_ns != before  # built again, though nothing changed
    assert _indexed_pages(project / "site") == whole and len(whole) > 20


def test_the_site_holds_the_index_in_small_files_and_an_empty_material_index(site):
    bundle = site / search.BUNDLE
    manifest = json.loads((bundle / "index.json").read_text(encoding="utf-8"))
    assert manifest["records"] > 300 and 0 < manifest["entries"] < manifest["records"]
    shards = [bundle / f"w{i}.bin" for i in range(manifest["shards"])]
    assert all(gzip.decompress(f.read_bytes()) for f in shards)
    assert max(f.stat().st_size for f in bundle.iterdir()) < 64_000
    records = json.loads(gzip.decompress((bundle / "r0.bin").read_bytes()))
    assert len(records) == manifest["chunk"] and all(len(r) == 4 for r in records)  # url, title, page, text
    assert json.loads((site / "search/search_index.json").read_text(encoding="utf-8"))["docs"] == []
    page = (site / "talks/003/index.html").read_text(encoding="utf-8")
    config = page.index('id="__config"')
    assert config < page.index("javascripts/talkbase-search.js") < page.index("assets/javascripts/bundle.")


def test_listing_pages_are_found_by_name_without_repeating_the_entries_they_list(site):
    """Topic, person and paper pages list places on episode pages: indexed again, every entry would come up
    two or three times (their lists are marked data-search-exclude)."""
    bundle = site / search.BUNDLE
    manifest = json.loads((bundle / "index.json").read_text(encoding="utf-8"))
    records = [r for i in range(-(-manifest["records"] // manifest["chunk"]))
               for r in json.loads(gzip.decompress((bundle / f"r{i}.bin").read_bytes()))]
    listing = [dict(zip(["url", "title", "page", "text"], r)) for r in records[manifest["entries"]:]]
    assert all(re.fullmatch(r"|talks/|(topics|people|papers)/.*", r["url"].split("#")[0]) for r in listing)
    topics = {p.parent.name for p in (site / "topics").glob("*/index.html")}
    assert {unquote(r["url"].split("/")[1]) for r in listing
            if r["url"].startswith("topics/") and r["url"] != "topics/"} == topics
    assert all(r["text"] == "" for r in listing if re.match(r"topics/[^/]+/", r["url"]))  # the name, nothing else
    assert any(r["title"].startswith("arXiv:") and "arxiv.org" in r["text"] for r in listing)
    assert not [r for r in listing if re.match(r"(topics|people|papers)/", r["url"]) and "OpenLLM Talk" in r["text"]]


# ---------------------------------------------------------------------------------------------------------------
# the reader's side: material's search box in Chromium


@pytest.fixture(scope="module")
def server(site):
    served = SiteServer(site)
    yield served
    served.close()


@pytest.fixture
def searching(browser, server):  # noqa: F811 - the browser fixture
    """A fresh page of 003 with its search box focused; every request it makes is recorded."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.requests, page.errors = [], []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    context.on("request", lambda r: page.requests.append(r.url))
    page.goto(server.url("talks/003/"))
    page.locator(".md-search__input").click()
    yield page
    context.close()


def ask(page, query: str):
    """Type `query` as an input method commits it, then wait for the answer to this very query."""
    box = page.locator(".md-search__input")
    page.evaluate("() => { const l = document.querySelector('.md-search-result__list'); l.dataset.old = '1';"
                  " for (const c of l.children) c.dataset.old = '1'; }")
    box.fill(query)
    box.press("End")
    expect(page.locator(".md-search-result__meta")).not_to_contain_text("初始化")
    page.wait_for_function("() => { const l = document.querySelector('.md-search-result__list');"
                           " return [...l.children].some(c => !c.dataset.old) || /没有/.test("
                           "document.querySelector('.md-search-result__meta').textContent); }")
    return page.locator(".md-search-result__item")


def every_result(page, items) -> None:
    """Material shows ten results, and four more each time the list is scrolled to its end: scroll until all show."""
    while True:
        count = items.count()
        page.locator(".md-search__scrollwrap").evaluate("e => e.scrollTo(0, e.scrollHeight)")
        page.wait_for_timeout(200)
        if items.count() == count:
            return


@pytest.mark.parametrize("term", TERMS)
def test_domain_terms_find_003s_entries_above_the_pages_that_list_them(searching, term):
    page = searching
    every_result(page, ask(page, term))
    links = page.locator(".md-search-result a.md-search-result__link").evaluate_all("els => els.map(a => a.href)")
    paths = [urlsplit(href).path + ("#" + urlsplit(href).fragment if urlsplit(href).fragment else "") for href in links]
    entries = [i for i, p in enumerate(paths) if "/talks/003/#" in p]
    assert entries, f"{term}: no entry of 003 among {paths}"
    listing = [i for i, p in enumerate(paths) if re.search(r"/(topics|people|papers)/", p)]
    assert not listing or entries[0] < listing[0], paths
    # the entry's excerpt marks what was typed, in the material look
    hit = page.locator(".md-search-result a.md-search-result__link[href*='talks/003/'][href*='#']").first
    expect(hit.locator("mark").first).to_be_attached()
    assert re.sub(r"\s", "", "".join(hit.locator("mark").all_inner_texts())).lower().find(term.lower()[:2]) >= 0
    assert page.errors == []


def test_english_words_are_stemmed_and_results_show_episode_entry_and_excerpt(searching):
    page = searching
    items = ask(page, "scaling transformers")
    item = items.filter(has=page.locator("a[href*='talks/003/']")).first
    expect(item.locator("h1")).to_have_text("OpenLLM Talk 003")  # the episode
    entry = item.locator("a[href*='#news-1'] article")
    expect(entry.locator("h2")).to_contain_text("LongNet")  # the entry, what was typed marked
    expect(entry.locator("h2 mark").first).to_have_text(re.compile("scaling", re.I))
    expect(entry.locator("p")).to_contain_text("序列长度")  # its excerpt
    expect(page.locator(".md-search-result__meta")).to_contain_text("个符合条件的结果")  # material's Chinese texts


def test_a_result_opens_its_section_and_the_keys_work(searching):
    page = searching
    ask(page, "gpu_memory_utilization")
    page.keyboard.press("ArrowDown")
    expect(page.locator(".md-search-result a.md-search-result__link").first).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(page.locator(".md-search__input")).to_be_focused()
    page.keyboard.press("Enter")  # the best result
    page.wait_for_url(re.compile(r"/talks/003/.*#"))
    anchor = unquote(urlsplit(page.url).fragment)
    target = page.locator(f"article [id='{anchor}']")
    expect(target).to_contain_text("vllm")
    expect(target).to_be_in_viewport()
    toggle = page.locator("#__search")
    expect(toggle).not_to_be_checked()  # the search closed when its result opened
    page.keyboard.press("/")  # material's key: open search, the box focused
    expect(page.locator(".md-search__input")).to_be_focused()
    expect(toggle).to_be_checked()
    page.keyboard.press("Escape")
    expect(toggle).not_to_be_checked()


def test_the_index_comes_in_small_chunks_from_the_site_itself(searching, server):
    page = searching
    page.wait_for_load_state("networkidle")  # the worker has read the index's table of contents
    page.requests.clear()
    ask(page, "位置编码")
    searched = page.requests
    bundle = rf"{re.escape(server.base)}search/talkbase/[wr]\d+\.bin"
    assert searched and all(re.match(bundle, u) for u in searched), searched
    assert {urlsplit(u).path.rsplit("/", 1)[1][0] for u in searched} == {"w", "r"}  # a shard per word, texts


def test_dark_mode_shows_the_results_in_materials_slate_colours(browser, server):  # noqa: F811
    context = browser.new_context(locale="zh-CN", color_scheme="dark")
    page = context.new_page()
    page.goto(server.url(""))
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "slate")
    page.locator(".md-search__input").click()
    ask(page, "RoPE")
    article = page.locator(".md-search-result__article").first
    expect(article).to_be_visible()
    text = article.locator("h1, h2").first.evaluate("e => getComputedStyle(e).color")
    background = page.locator(".md-search__scrollwrap").evaluate("e => getComputedStyle(e).backgroundColor")
    assert lightness(text) > 0.5 > lightness(background), (text, background)
    context.close()


def lightness(colour: str) -> float:
    """0 for black to 1 for white, from a computed rgb()/rgba() colour."""
    r, g, b = (int(v) for v in re.findall(r"\d+", colour)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_contributors_text_shows_as_text_in_the_results(browser, project):  # noqa: F811
    """Titles and excerpts come from contributors' YAML: the worker escapes them before it marks them up."""
    episode = project / "talks" / "003.yaml"
    episode.write_text(episode.read_text(encoding="utf-8").replace(
        "LongNet: Scaling Transformers", "LongNet <img src=x onerror=window.tbRan=1> Scaling Transformers"),
        encoding="utf-8")
    served = SiteServer(build(project))
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(served.url("talks/003/"))
        page.locator(".md-search__input").click()
        ask(page, "onerror")
        hit = page.locator(".md-search-result a.md-search-result__link[href*='#news-1']").first
        expect(hit.locator("h2")).to_contain_text("<img src=x onerror=window.tbRan=1>")
        expect(hit.locator("h2 mark")).to_have_text("onerror")
        assert page.locator(".md-search-result img").count() == 0
        assert page.evaluate("window.tbRan") is None
    finally:
        context.close()
        served.close()
