"""The bundled episodes render to a complete site: checked on the HTML of a real strict build."""

from __future__ import annotations

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest
import yaml
from conftest import ROOT, SEED, build, tracked

from talkbase.speed import cache
from talkbase.publish import BuildFailed

SECTIONS = {"record": "本期记录", "news": "本周新闻", "recommendations": "本周推荐", "classics": "本周经典",
            "practice": "本周实践", "free-talk": "Free Talk", "references": "参考资料", "plans": "后续计划",
            "join": "加入/赞助我们", "past": "往期精彩"}


def page(site, path: str) -> str:
    return (site / path).read_text(encoding="utf-8")


def seed_urls() -> set[str]:
    text = SEED.read_text(encoding="utf-8")
    return {u.rstrip(".,;，；") for u in re.findall(r"https?://[^\s<>()\[\]]+", text)}


def test_every_url_of_the_seed_is_on_the_003_page(site):
    body = html.unescape(page(site, "talks/003/index.html"))
    urls = seed_urls()
    assert len(urls) >= 25
    missing = sorted(u for u in urls if u not in body)
    assert not missing


def test_sections_in_template_order_with_ascii_anchors(site):
    body = page(site, "talks/003/index.html")
    positions = []
    for anchor, title in SECTIONS.items():
        match = re.search(rf'<h2 id="{re.escape(anchor)}">{re.escape(title)}', body)
        assert match, f"section {title} (#{anchor}) missing"
        positions.append(match.start())
    assert positions == sorted(positions)


def test_code_block_survives_highlighted_with_copy_button(site):
    body = page(site, "talks/003/index.html")
    code = yaml.safe_load((ROOT / "talks/003.yaml").read_text(encoding="utf-8"))["practice"]["code"][0]["code"]
    practice = body[body.index('id="practice"'):body.index('id="free-talk"')]
    block = re.search(r'<div class="[^"]*highlight">.*?</code></pre></div>', practice, re.S)
    assert block, "no highlighted code block"
    assert '<span class="k">def</span>' in block.group(0)  # Pygments ran
    text = html.unescape(re.sub(r"<[^>]+>", "", block.group(0)))
    # the highlighter may add line anchors; every line of the code must be there, in order
    lines = [ln for ln in code.splitlines() if ln.strip()]
    pos = 0
    for line in lines:
        found = text.find(line.strip(), pos)
        assert found >= 0, f"code line lost: {line!r}"
        pos = found
    assert '"content.code.copy"' in body  # material adds the copy button from this flag


def test_math_is_mathml_and_no_raw_dollars_remain(site):
    body = page(site, "talks/003/index.html")
    maths = re.findall(r"<math\b[^>]*>.*?</math>", body, re.S)
    assert len(maths) >= 10
    assert any('alttext="f(x) = a_0x^0 + \\dots + a_nx^n"' in m for m in maths)
    free_talk = body[body.index('id="free-talk"'):body.index('id="references"')]
    visible = re.sub(r"<math\b.*?</math>", "", free_talk, flags=re.S)
    assert "$" not in re.sub(r"<[^>]+>", "", visible)


def test_video_embedded_and_linked_at_its_start(site):
    body = html.unescape(page(site, "talks/003/index.html"))
    assert 'src="https://player.bilibili.com/player.html?bvid=BV1Kh4y1E7nX&autoplay=0&t=610"' in body
    assert 'href="https://www.bilibili.com/video/BV1Kh4y1E7nX/?share_source=copy_web&vd_source=' in body
    assert "精准空降到 10:10" in body


def test_past_episodes_generated_from_archive(site):
    body = page(site, "talks/003/index.html")
    past = body[body.index('id="past"'):]
    links = re.findall(r'href="\.\./(00\d)/"', past)
    assert links[:3] == ["002", "001", "000"]
    # 000 has no episode before it, so no past list at all
    assert 'id="past"' not in page(site, "talks/000/index.html")


WEEKDAYS = {"monday": "周一", "tuesday": "周二", "wednesday": "周三", "thursday": "周四", "friday": "周五",
            "saturday": "周六", "sunday": "周日"}


def test_home_page_shows_latest_episode_and_next_session(site):
    body = page(site, "index.html")
    talks = [yaml.safe_load((ROOT / rel).read_text(encoding="utf-8"))
             for rel in tracked("talks") if rel.endswith(".yaml")]
    latest = max(t["number"] for t in talks if t.get("number") is not None)  # episodes are ordered by number
    assert f'href="talks/{latest:03d}/"' in body
    schedule = yaml.safe_load((ROOT / "series.yml").read_text(encoding="utf-8"))["schedule"]
    tz = ZoneInfo(schedule["timezone"])
    now = dt.datetime.now(tz)
    slot = max((s for s in schedule["slots"] if s["since"] <= now.date()), key=lambda s: s["since"])  # in force today
    days = (list(WEEKDAYS).index(slot["weekday"]) - now.weekday()) % 7
    start = dt.datetime.combine(now.date() + dt.timedelta(days=days), dt.time.fromisoformat(slot["time"]), tz)
    if start <= now:
        start += dt.timedelta(days=7)
    # the build ran moments ago: allow for a session falling between build and check
    assert any(f"{s:%Y-%m-%d}" in body and f'data-next="{s.isoformat()}"' in body
               for s in (start, start - dt.timedelta(days=7)))
    assert f"每{WEEKDAYS[slot['weekday']]} {slot['time']}" in body and schedule["note"] in body


def test_archive_lists_every_episode_by_year(site):
    body = page(site, "talks/index.html")
    for n in ("000", "001", "002", "003"):
        assert f'href="../{n}/"' in body or f'href="{n}/"' in body
    assert re.search(r'<h2 id="year-2023">2023', body)
    # 000-002 have no date: they stay in the series' order, under the year of their newer neighbour
    assert 'id="undated"' not in body
    assert body.index('href="003/"') < body.index('href="002/"') < body.index('href="001/"') < body.index('href="000/"')


def test_chinese_text_kept_exactly(site):
    body = html.unescape(page(site, "talks/003/index.html"))
    for phrase in ("我们或许不够 AI，但尽量足够 Open", "LLaMA 的 sp model 应该是更接近于 BBPE 的方式，byte-level 编码",
                   "vllm 很快的，主要是调度优化和节省了 kv cache 显存，batchsize 可以开得更大，所以快",
                   "群号: 740679327"):
        assert phrase in body


def test_unknown_key_fails_the_build_naming_file_and_key(project):
    (project / "talks/004.yaml").write_text("number: 4\ndate: 2023-07-15\ntitel: 拼错的键\n", encoding="utf-8")
    with pytest.raises(BuildFailed) as err:
        build(project)
    message = str(err.value)
    assert "talks/004.yaml:3:1: unknown key 'titel'" in message
    assert "did you mean 'title'?" in message
    assert not (project / "site").exists()


def test_the_themes_templates_are_compiled_once_and_kept(project):
    """MkDocs compiles the theme's templates on every build (0.3 s for material); talkbase keeps them compiled in
    its cache, so a second build, or a rebuild in serve, loads them, and renders the same pages."""
    first = build(project)
    pages = {p.relative_to(first): p.read_bytes() for p in (first / "talks").rglob("*.html")}
    kept = cache.folder_for(project.resolve()) / "theme"
    compiled = {p.name: p.stat().st_mtime_ns for p in kept.iterdir()}
    assert len(compiled) >= 20  # main, base, 404 and material's partials
    second = build(project)
    assert {p.relative_to(second): p.read_bytes() for p in (second / "talks").rglob("*.html")} == pages
    assert {p.name: p.stat().st_mtime_ns for p in kept.iterdir()} == compiled  # none compiled again
