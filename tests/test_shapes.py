"""Real episodes vary: blocks of any shape inside answers and points, texts of their own, specials, no dates.

Fixture tree `shapes`: episode 010 puts every Markdown block (paragraphs, a list, a code block, a table,
a block quote, display math) into an item summary, a point, an answer, a nested answer and a discussion
body, and uses every per-episode text; special-rlhf is an undated 番外 02 placed after 010 (and so before the
bundled episode numbered next after 010).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import lxml.html
import pytest
import yaml
from conftest import ROOT, build, make_project, tracked

BLOCKS = ["p", "ul", "div[contains(@class, 'highlight')]", "table", "blockquote", "*[local-name()='math']"]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return build(make_project(tmp_path_factory.mktemp("shapes") / "project", "shapes"))


def parse(site: Path, page: str) -> lxml.html.HtmlElement:
    return lxml.html.parse(str(site / page)).getroot()


def blocks_inside(item: lxml.html.HtmlElement) -> list[str]:
    """Which kinds of block stand inside this list item itself (not in a nested item of it)."""
    found = []
    for block in BLOCKS:
        own = [b for b in item.xpath(f".//{block}") if next(b.iterancestors("li"), None) is item]
        if own:
            found.append(block)
    return found


def test_every_block_stays_inside_its_point_answer_and_nested_answer(site):
    doc = parse(site, "talks/010/index.html")
    point = doc.xpath('//li[p/strong[normalize-space(.)="方法"]]')
    answer = doc.xpath('//h4[@id="q-1"]/following-sibling::ul[1]/li')
    assert len(point) == 1 and len(answer) == 1
    nested = answer[0].xpath("./ul[last()]/li")  # after the answer's own list
    assert len(nested) == 1
    for item in (point[0], answer[0], nested[0]):
        assert blocks_inside(item) == BLOCKS
        assert "第二段。" in [p.text_content() for p in item.xpath("./p")]


def test_every_block_of_a_summary_and_a_discussion_body_reaches_the_page(site):
    doc = parse(site, "talks/010/index.html")
    for anchor, end in (("news-1", "news-projects"), ("g-1", None)):
        heading = doc.xpath(f'//*[@id="{anchor}"]')[0]
        after = heading.xpath("following-sibling::*")
        kinds = {el.tag for el in after[:12]}
        assert {"p", "ul", "table", "blockquote"} <= kinds, anchor
        assert any(el.xpath("descendant-or-self::*[local-name()='math']") for el in after[:12]), anchor


def test_an_episode_says_what_differs_from_the_series(site):
    doc = parse(site, "talks/010/index.html")
    text = doc.find(".//article").text_content()
    for words in ("本期的隐私说明", "本期的小要求。", "本期通知一则。", "本期的加入方式。", "新闻版块的说明。",
                  "注：论文+重点", "线上讨论的说明。", "计划的前言。", "后续放出", "多人", "（后续每期由大家自行认领）",
                  "（编辑）", "（进行中）", "2023 年 8 月"):
        assert words in text, words
    note = doc.xpath('//h3[@id="news-academic"]/following-sibling::p[1]')[0]
    assert note.text_content() == "注：论文+重点"
    assert "待认领" not in doc.xpath('//li[strong[normalize-space(.)="版块负责人"]]')[0].text_content()
    hosts = doc.xpath('//li[strong[normalize-space(.)="主持人"]]')[0].text_content()
    assert "（编辑）" not in hosts  # a role shows among a section's contributors, not in the crew lines


def test_a_section_of_its_own_stands_where_it_says(site):
    doc = parse(site, "talks/010/index.html")
    ids = [h.get("id") for h in doc.xpath("//article//h2")]
    assert ids.index("organisation") == ids.index("news") + 1
    assert doc.xpath('//h2[@id="organisation"]')[0].text_content().startswith("组织建设")
    assert doc.xpath('//h2[@id="organisation"]/following-sibling::p[1]')[0].text_content() == "组织建设的正文。"


def test_classics_and_practice_tags_reach_their_topic_pages(site):
    for name, anchor in (("经典标签", "classics"), ("实践标签", "practice")):
        topics = parse(site, "topics/index.html")
        link = topics.xpath(f'//article//a[normalize-space(.)="{name}"]')
        assert len(link) == 1, name
        page = parse(site, "topics/" + unquote(link[0].get("href")).rstrip("/") + "/index.html")
        targets = [a.get("href") for a in page.xpath("//article//li/a[1]")]
        assert any(t.endswith(f"talks/010/#{anchor}") for t in targets), (name, targets)


def test_a_special_keeps_its_ordinal_and_crew_and_an_undated_one_its_place(site):
    doc = parse(site, "talks/special-rlhf/index.html")
    assert doc.find(".//h1").text_content().startswith("OpenLLM Talk 番外 02：RLHF 漫谈")
    assert "番外 02" in doc.findtext(".//title")
    hosts = doc.xpath('//li[strong[normalize-space(.)="主持人"]]')
    assert len(hosts) == 1 and "suc16" in hosts[0].text_content()
    # the bundled episode numbered next after 010, if any, follows the special
    numbers = [yaml.safe_load((ROOT / rel).read_text(encoding="utf-8")).get("number") for rel in tracked("talks")
               if rel.endswith(".yaml")]
    later = sorted(n for n in numbers if n is not None and n > 10)
    following = [f"{later[0]:03d}"] if later else []
    archive = [a.get("href") for a in parse(site, "talks/index.html").xpath("//article//table//a")]
    order = [h for h in archive
             if h.rstrip("/").rsplit("/", 1)[-1] in ("000", "003", "010", "special-rlhf", *following)]
    # newest first
    assert [h.rstrip("/").rsplit("/", 1)[-1] for h in order] == [*following, "special-rlhf", "010", "003", "000"]
    pager = doc.xpath('//nav[contains(@class, "tb-pager")]//a')
    assert [a.get("href").rstrip("/").rsplit("/", 1)[-1] for a in pager] == ["010", *following]


def test_past_episodes_show_their_article_and_video_links(site):
    doc = parse(site, "talks/special-rlhf/index.html")
    past = doc.xpath('//h2[@id="past"]/following-sibling::div[1]//li')
    assert past, "the special lists its predecessors"
    with_video = [li for li in past if li.xpath('.//a[contains(@href, "bilibili.com")]')]
    assert with_video, "episode 003 has a video: its card links it"
