"""Topics, people, papers, feed and calendar: checked on a real build and with real parsers (search: test_search.py)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import icalendar
import lxml.html
import pytest
import yaml
from conftest import ROOT, build, tracked

from talkbase.links import classify
from talkbase.load import ProblemsFound
from talkbase.project import Layout, load_project
from talkbase.render import reading_minutes


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def doc(site: Path, path: str):
    return lxml.html.fromstring((site / path).read_bytes())


def content_links(tree) -> list[str]:
    return tree.xpath('//article//a/@href')


def resolves(site: Path, page: str, href: str) -> bool:
    """A relative href from `page` (a directory URL) points at an existing page with that anchor."""
    target, _, anchor = href.partition("#")
    base = (site / page).parent
    path = (base / target).resolve() if target else (site / page).resolve()
    if path.is_dir():
        path = path / "index.html"
    if not path.is_file():
        return False
    return not anchor or bool(lxml.html.fromstring(path.read_bytes()).xpath(f'//*[@id="{anchor}"]'))


def test_rope_topic_lists_003_and_its_items_with_exact_anchors(site):
    tree = doc(site, "topics/rope/index.html")
    hrefs = content_links(tree)
    assert "../../talks/003/" in hrefs and "../../talks/002/" in hrefs  # 002 via the alias "RoPE 外推"
    anchored = [h for h in hrefs if h.startswith("../../talks/003/#")]
    assert {"../../talks/003/#rec-2", "../../talks/003/#rec-3"} <= set(anchored)
    for href in anchored:
        assert resolves(site, "topics/rope/index.html", href), href
    # newest first
    assert hrefs.index("../../talks/003/") < hrefs.index("../../talks/002/")


def test_aliases_merge_spellings_into_one_vllm_topic(site):
    hrefs = content_links(doc(site, "topics/vllm/index.html"))
    assert "../../talks/003/" in hrefs and "../../talks/002/" in hrefs
    assert "../../talks/003/#g-1" in hrefs
    topics = [p.name for p in (site / "topics").iterdir()]
    assert "vllm-讨论" not in topics and "vllm-vs-llama-cpp" not in topics


def spelling_key(name: str) -> str:
    """What a topic name is matched by: its words, casefolded (RoPE, rope and "RoPE " are one topic)."""
    return "".join(re.findall(r"\w+", unicodedata.normalize("NFKC", str(name)).casefold()))


def tags_in(node) -> list:
    """Every tag written anywhere in an episode: on its items, questions, classics and practice."""
    if isinstance(node, dict):
        return [t for k, v in node.items() for t in (v if k == "tags" and isinstance(v, list) else tags_in(v))]
    if isinstance(node, list):
        return [t for v in node for t in tags_in(v)]
    return []


def episodes_naming(spellings: list[str]) -> int:
    """How many bundled episodes name a topic, by any of its spellings, in their summary or a tag."""
    keys = {spelling_key(s) for s in spellings}
    count = 0
    for rel in tracked("talks"):
        if rel.endswith(".yaml"):
            talk = yaml.safe_load((ROOT / rel).read_text(encoding="utf-8")) or {}
            named = {spelling_key(n) for n in [*(talk.get("summary") or []), *tags_in(talk)]}
            count += bool(named & keys)
    return count


def test_topic_index_counts(site):
    rows = doc(site, "topics/index.html").xpath("//article//table//tr[td]")
    counts = {r.xpath("string(td[1])").strip(): int(r.xpath("string(td[2])")) for r in rows}
    declared = yaml.safe_load((ROOT / "data/topics.yml").read_text(encoding="utf-8"))
    # a topic of data/topics.yml counts every episode naming it by any spelling, each once
    expected = {t["name"]: episodes_naming([t["name"], *t["aliases"]]) for t in declared}
    expected["SuperCLUE-Open"] = episodes_naming(["SuperCLUE-Open"])  # a topic nobody declared
    assert any(expected[t["name"]] > episodes_naming([t["name"]]) for t in declared)  # aliases add episodes somewhere
    assert {name: counts.get(name) for name in expected} == expected


def test_every_person_in_the_seed_has_a_page_listing_what_they_did(site):
    talk = yaml.safe_load((ROOT / "talks/003.yaml").read_text(encoding="utf-8"))
    ids = set(talk["crew"]["hosts"] + talk["crew"]["editors"] + talk["news"]["contributors"]
              + talk["recommendations"]["contributors"] + talk["free_talk"]["contributors"])
    assert ids == {"suc16", "chuqi", "xianyu", "openllm-members"}
    for pid in ids:
        tree = doc(site, f"people/{pid}/index.html")
        hrefs = content_links(tree)
        assert any(h.startswith("../../talks/003/") for h in hrefs), pid
        for href in hrefs:
            if href.startswith("../../talks/"):
                assert resolves(site, f"people/{pid}/index.html", href), href
    xianyu = lxml.html.tostring(doc(site, "people/xianyu/index.html"), encoding="unicode")
    assert "羡鱼" in xianyu and 'href="../../talks/003/#news"' in xianyu and 'href="../../talks/000/"' in xianyu


@pytest.mark.parametrize("written, hint", [("suc61", "did you mean 'suc16'?"), ("羡鱼", "write the id 'xianyu'")])
def test_unknown_person_id_names_file_line_and_closest_id(project, written, hint):
    path = project / "talks/003.yaml"
    text = path.read_text(encoding="utf-8").replace("hosts: [suc16, chuqi]", f"hosts: [{written}, chuqi]")
    path.write_text(text, encoding="utf-8")
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if ln.strip().startswith("hosts:"))
    with pytest.raises(ProblemsFound) as err:
        load_project(Layout.at(project))
    message = str(err.value)
    assert f"talks/003.yaml:{line}:" in message and f"unknown person id '{written}'" in message and hint in message


def test_papers_page_merges_abs_and_pdf_links_of_one_paper(site):
    tree = doc(site, "papers/index.html")
    headings = [h.text_content().strip(" ¶") for h in tree.xpath("//article//h2")]
    assert headings.count("arXiv:2303.18223") == 1
    html = lxml.html.tostring(tree, encoding="unicode")
    assert "https://arxiv.org/abs/2303.18223" in html and "https://arxiv.org/pdf/2303.18223.pdf" in html
    assert "../talks/003/#rec-1" in content_links(tree) and "../talks/003/#ref-1" in content_links(tree)


@pytest.mark.parametrize("url, kind, key", [
    ("https://arxiv.org/abs/2303.18223", "arxiv", "2303.18223"),
    ("https://arxiv.org/pdf/2303.18223v2.pdf", "arxiv", "2303.18223"),
    ("https://arxiv.org/abs/hep-th/9901001", "arxiv", "hep-th/9901001"),
    ("https://github.com/RUCAIBox/LLMSurvey/blob/main/assets/x.pdf", "github", "RUCAIBox/LLMSurvey"),
    ("https://huggingface.co/lmsys/longchat-13b-16k", "huggingface", "lmsys/longchat-13b-16k"),
    ("https://huggingface.co/datasets/foo/bar", "web", ""),
    ("https://m.bilibili.com/video/BV1zM4y1j7zt?p=1", "bilibili", "BV1zM4y1j7zt"),
    ("https://mp.weixin.qq.com/s/kxnlB62uZk52lGQnjIP3Ew", "wechat", ""),
    ("https://zhuanlan.zhihu.com/p/641652465", "zhihu", ""),
    ("https://arxiv.org/list/cs.CL/recent", "web", ""),
])
def test_link_kinds_are_recognised_offline(url, kind, key):
    found = classify(url)
    assert (found.kind, found.key) == (kind, key)


def test_link_kinds_shown_on_the_episode_page(site):
    html = (site / "talks/003/index.html").read_text(encoding="utf-8")
    assert re.search(r'tb-arxiv">arXiv:2303\.18223<', html)
    assert re.search(r'tb-github">GitHub InternLM/InternLM<', html)
    assert re.search(r'tb-huggingface">Hugging Face lmsys/longchat-13b-16k<', html)


def test_atom_feed_parses_with_episode_entries(site):
    parsed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "OpenLLM Talk"
    entry = next(e for e in parsed.entries if e.title == "OpenLLM Talk 003")
    assert entry.link == "https://openllm-talk.example.org/talks/003/"
    assert entry.updated_parsed[:3] == (2023, 7, 8)
    assert "NTK-Aware Scaled RoPE" in entry.summary
    assert {t.term for t in entry.tags} >= {"vllm 讨论", "InternLM"}


def test_calendar_is_valid_icalendar_with_upcoming_sessions(site):
    raw = (site / "calendar.ics").read_bytes()
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"")
    cal = icalendar.Calendar.from_ical(raw)
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) >= 8
    now = dt.datetime.now(dt.timezone.utc)
    starts = [e.decoded("DTSTART") for e in events]
    assert all(s > now - dt.timedelta(hours=2) for s in starts)
    # each session at the time of the series.yml slot in force on its day
    schedule = yaml.safe_load((ROOT / "series.yml").read_text(encoding="utf-8"))["schedule"]
    slots = sorted(schedule["slots"], key=lambda s: s["since"])
    zone = ZoneInfo(schedule["timezone"])
    for start in (s.astimezone(zone) for s in starts):
        slot = [s for s in slots if s["since"] <= start.date()][-1]
        assert (WEEKDAYS[start.weekday()], f"{start:%H:%M}") == (slot["weekday"], slot["time"]), start
    assert len({str(e["UID"]) for e in events}) == len(events)


def test_future_dated_episode_joins_the_calendar(project):
    day = dt.date.today() + dt.timedelta(days=30)
    (project / "talks/900.yaml").write_text(f"number: 900\ndate: {day}\ntime: '20:00'\nsummary: [长上下文]\n",
                                            encoding="utf-8")
    site = build(project)
    cal = icalendar.Calendar.from_ical((site / "calendar.ics").read_bytes())
    planned = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == "OpenLLM Talk 900"]
    assert len(planned) == 1
    assert str(planned[0]["URL"]).endswith("/talks/900/")
    assert planned[0].decoded("DTSTART").astimezone(dt.timezone(dt.timedelta(hours=8))).hour == 20


def test_reading_time_counts_chinese_by_characters():
    assert reading_minutes(["字" * 4000]) == 10
    assert reading_minutes(["word " * 2000]) == 10
    assert reading_minutes(["字" * 2000, "word " * 1000]) == 10


def test_episode_pages_link_previous_next_and_edit(project):
    series = project / "series.yml"
    series.write_text(series.read_text(encoding="utf-8") + "repo_url: https://github.com/example/openllm-talk\n",
                      encoding="utf-8")
    site = build(project)
    tree = doc(site, "talks/003/index.html")
    hrefs = content_links(tree)
    assert "../002/" in hrefs and "https://github.com/example/openllm-talk/edit/main/talks/003.yaml" in hrefs
    assert "../003/" in content_links(doc(site, "talks/002/index.html"))
    assert re.search(r"阅读时间约 \d+ 分钟", tree.text_content())
