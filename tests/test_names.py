"""Names cannot become paths: person ids, topics and episode ids name pages inside docs/ only, through
`slugs.page`, and never an overview's place. Topics that differ in a symbol stay apart."""

from __future__ import annotations

import posixpath
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
from conftest import build, make_project

from talkbase import slugs
from talkbase.index import topic_key, topic_slug
from talkbase.publish import BuildFailed

TALKBASE = str(Path(sys.executable).with_name("talkbase"))
FIVE = {"C++": "c-plus-plus", "C#": "c-sharp", "C": "c", "🚀": "rocket", "🎉": "party-popper"}
HOSTILE = ["..", ".", "", "/", "a/b", "../../../tmp/x", "/etc/passwd", "\\", "a\\b", "..\\..\\x", "a\0b", "\0",
           "a\n", " a", "a.", "-a", "_a", "index", "Index", "INDEX", "con", "NUL", "lpt1", "com9", "x" * 101, "长" * 34]


@pytest.fixture(scope="module")
def names_site(tmp_path_factory) -> Path:
    return build(make_project(tmp_path_factory.mktemp("names") / "project", "names"))


def page(site: Path, path: str):
    return lxml.html.fromstring((site / path).read_bytes())


def heading(site: Path, path: str) -> str:
    return "".join(page(site, path).xpath("//article//h1[1]/text()")).strip()  # without the ¶ link


def overview(site: Path) -> dict[str, str]:
    """Topic name -> link, as the topics overview lists them."""
    rows = page(site, "topics/index.html").xpath("//article//table//tr[td]")
    return {r.xpath("string(td[1])").strip(): r.xpath("string(td[1]//a/@href)") for r in rows}


def test_topics_that_differ_in_a_symbol_or_emoji_get_pages_of_their_own(names_site):
    listed = overview(names_site)
    assert {name: listed.get(name) for name in FIVE} == {name: f"{slug}/" for name, slug in FIVE.items()}
    for name, slug in FIVE.items():
        assert heading(names_site, f"topics/{slug}/index.html") == name
        assert page(names_site, f"topics/{slug}/index.html").xpath("string(//title)").startswith(name)


def test_a_tag_named_index_does_not_replace_the_topics_overview(names_site):
    listed = overview(names_site)
    assert heading(names_site, "topics/index.html") == "话题"
    assert {"RoPE", "vLLM", "Index", *FIVE} <= set(listed)
    assert listed["Index"] == "index-topic/"
    assert heading(names_site, "topics/index-topic/index.html") == "Index"


def test_ids_that_cannot_be_pages_are_refused_where_they_are_written(tmp_path):
    project = make_project(tmp_path / "project")
    people = project / "data/people.yml"
    first = len(people.read_text(encoding="utf-8").splitlines()) + 1
    with people.open("a", encoding="utf-8") as out:
        out.write("'../../../tmp/x':\n  name: Evil\na/b:\n  name: Slash\nindex:\n  name: Index\n")
    (project / "talks/005.yaml").write_text("number: 5\ndate: 2023-07-22\ncrew:\n  hosts: [index]\n", encoding="utf-8")
    long_id = "x" * 93  # special-<id> is 101 bytes
    (project / "talks/special-long.yaml").write_text(f"special: {long_id}\ntitle: Long\ndate: 2023-08-01\n",
                                                     encoding="utf-8")
    result = subprocess.run([TALKBASE, "validate"], cwd=project, capture_output=True, text=True, timeout=120)
    pattern = "expected lowercase ASCII letters, digits, '-' and '_', starting with a letter or digit, found"
    reserved = ("'index' is reserved: index.md is the overview of its folder "
                "(the list of all people, or of all topics); choose another")
    assert result.stdout.splitlines() == [
        f"data/people.yml:{first}:1: person id: {pattern} '../../../tmp/x'",
        f"data/people.yml:{first + 2}:1: person id: {pattern} 'a/b'",
        f"data/people.yml:{first + 4}:1: person id: {reserved}",
        f"talks/005.yaml:4:11: crew.hosts[1]: {reserved}",
        f"talks/special-long.yaml:1:10: special: talks/special-{long_id}/ cannot be a page: "
        "expected at most 100 bytes (it names a file), found 101",
    ]
    assert result.returncode == 1 and "Traceback" not in result.stderr
    with pytest.raises(BuildFailed):
        build(project)
    assert [p.name for p in tmp_path.iterdir()] == ["project"]  # nothing was written beside the project
    assert not (project / "docs/people").exists()


@pytest.mark.parametrize("special_id", ["x" * 93, "a\n"])
def test_talkbase_new_refuses_a_special_id_that_cannot_be_a_file_name(project, special_id):
    before = sorted(p.name for p in (project / "talks").iterdir())
    result = subprocess.run([TALKBASE, "new", "--special", "Long", "--id", special_id], cwd=project,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Invalid value for '--id'" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in (project / "talks").iterdir()) == before  # no file was written


@pytest.mark.parametrize("name", HOSTILE)
def test_a_name_that_is_no_page_is_refused(name):
    assert slugs.refusal(name)
    with pytest.raises(ValueError):
        slugs.page("people", name)


@pytest.mark.parametrize("name", ["suc16", "openllm-members", "a_b", "003", "special-rlhf", "位置编码", "x" * 100])
def test_a_name_that_is_a_page_stays_as_it_is(name):
    assert slugs.page("people", name) == f"people/{name}.md"


def test_every_topic_name_makes_a_page_inside_its_folder_and_distinct_topics_distinct_pages():
    names = HOSTILE + ["..index", "C++", "C#", "C", "🚀", "🎉", "👩‍💻", "❤️", "RoPE 外推", "a" * 300, "a" * 301]
    seen: dict[str, str] = {}
    for name in names:
        target = slugs.page("topics", topic_slug(name))
        assert posixpath.normpath(target) == target and target.startswith("topics/") and target.count("/") == 1
        seen.setdefault(topic_key(name), topic_slug(name))
    assert len(set(seen.values())) == len(seen)
    assert topic_slug("Index") == "index-topic" and topic_slug("CON") == "con-topic"
    assert [topic_slug(n) for n in ["RoPE 外推", "vllm vs llama.cpp", "百川智能-7B 模型"]] == \
        ["rope-外推", "vllm-vs-llama-cpp", "百川智能-7b-模型"]
