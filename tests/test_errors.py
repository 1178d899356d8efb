"""Errors a person can act on: bad input ends in `path:line:column: key: message` lines and exit status 1, at the
line of the YAML or JSON file that is wrong, never in a traceback or an "internal error" (issue 17).

Time zones, math, links to missing pages, control characters, links and branch names, notebooks and freezes
with a merge conflict left in them: each through the real command, as a person meets it.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import ROOT, build, early_project

from talkbase import pagelinks
from talkbase.cli import cli
from talkbase.schema import json_schemas

TALKBASE = str(Path(sys.executable).with_name("talkbase"))
SUGGEST = ("; did you mean 'Asia/Shanghai'? "
           "(expected a name from the time zone database, such as Asia/Shanghai or Europe/Berlin)")
CONTROL = "is not allowed; only tab and line breaks are"


def talkbase(project: Path, *args: str) -> subprocess.CompletedProcess:
    """The installed command in its own process: an uncaught error would show as a traceback or 'internal error'."""
    return subprocess.run([TALKBASE, *args], cwd=project, capture_output=True, text=True, timeout=300)


def invoke(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(project / "mkdocs.yml"), *args], catch_exceptions=False)


def problems(result: subprocess.CompletedProcess) -> list[str]:
    """The problem lines of a failed command, after checking that it failed as a person's mistake should."""
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "internal error" not in output and "Traceback" not in output, output
    # the problems, not the other lines of `demos status`
    return [line for line in result.stdout.splitlines() if re.match(r"\S+:\d+:\d+: ", line)]


def line_of(path: Path, text: str) -> int:
    """The line of `path` where `text` starts, counted from 1 as the messages count."""
    content = path.read_text(encoding="utf-8")
    assert text in content
    return content[:content.index(text)].count("\n") + 1


def column_of(path: Path, text: str) -> int:
    """The column of `path` where `text` starts, counted in characters from 1 as the messages count."""
    content = path.read_text(encoding="utf-8")
    assert text in content
    at = content.index(text)
    return at - (content.rfind("\n", 0, at) + 1) + 1


TIMEZONE_LINE = line_of(ROOT / "series.yml", "timezone:")  # each test's project is a copy of it
ORIGIN_LINE = line_of(ROOT / "series.yml", "origin:")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- time zones ---------------------------------------------------------------------------------

@pytest.mark.parametrize("zone", ["Asia/Beijing", "UTC+8", "北京时间", "GMT +08:00", "asia/shanghai"])
def test_an_unknown_time_zone_is_reported_at_its_line_with_the_zone_meant(project, zone):
    edit(project / "series.yml", "timezone: Asia/Shanghai", f"timezone: {zone}")
    result = invoke(project, "validate")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"series.yml:{TIMEZONE_LINE}:13: schedule.timezone: unknown time zone {zone!r}{SUGGEST}"]


def test_a_misspelt_time_zone_gets_the_closest_name(project):
    edit(project / "series.yml", "timezone: Asia/Shanghai", "timezone: Europe/Berln")
    assert invoke(project, "validate").stdout.startswith(
        f"series.yml:{TIMEZONE_LINE}:13: schedule.timezone: unknown time zone 'Europe/Berln'; "
        "did you mean 'Europe/Berlin'?")


@pytest.mark.parametrize("command", [["build"], ["new"], ["new", "--special", "番外"], ["generate"],
                                     ["publish", "--remote", "nowhere"]])
def test_an_unknown_time_zone_stops_every_command_with_the_same_line(project, command):
    edit(project / "series.yml", "timezone: Asia/Shanghai", "timezone: Asia/Beijing")
    before = sorted(p.name for p in (project / "talks").iterdir())
    assert problems(talkbase(project, *command)) == [
        f"series.yml:{TIMEZONE_LINE}:13: schedule.timezone: unknown time zone 'Asia/Beijing'{SUGGEST}"]
    assert sorted(p.name for p in (project / "talks").iterdir()) == before  # `new` wrote no episode


# --- math and links to missing pages --------------------------------------------------------------

EPISODES = {
    "010.yaml": "number: 10\ndate: 2023-08-12\nnotes: 'one $\\frac{1}{$ two'\n",
    "011.yaml": ("number: 11\ndate: 2023-08-19\nnotes: |\n  block:\n\n  $$\n  x^\n  $$\nfree_talk:\n  online:\n"
                 "    - question: why\n      answers:\n        - text: 'so $\\sqrt$ it is'\n"),
    "012.yaml": ("number: 12\ndate: 2023-08-26\nreferences:\n  - title: '\\(a_b_c\\) and `$x^$` in code'\n"
                 "    summary: 'costs $5 a month; \\$x^\\$ is escaped; $x^2$ renders'\n"
                 "notes: |\n  ~~~bash\n  echo $a^$\n  ~~~\n"),
    "013.yaml": ("number: 13\ndate: 2023-09-02\nnotes: |\n  [prev](002.md), [people](../people/xianyu.md),"
                 " [how](../contributing.md), [home](../index.md), [calendar](../calendar.ics)\n"
                 "summary: ['see [the paper](../missing.md)']\n"
                 "practice:\n  body: 'by address [x](../002/), from the root [y](/talks/002/),"
                 " an image ![z](../assets/x.png)'\n"
                 "  code:\n    - code: 'a[i](j)'\n"),
}
EXPECTED = [
    f"series.yml:{ORIGIN_LINE}:9: origin: the link 'talks/003.md' points to no page of the site from talks/000.md, "
    "which shows this text too",
    f"series.yml:{ORIGIN_LINE}:9: origin: the link 'talks/nowhere.md' points to no page of the site from index.md, "
    "which shows this text too",
    "talks/010.yaml:3:8: notes: cannot render math '\\frac{1}{': it ends too early: a command is missing its argument "
    "or a '{' its '}'",
    "talks/011.yaml:3:8: notes: cannot render math 'x^': a ^ or _ has nothing after it",
    "talks/011.yaml:13:17: free_talk.online[1].answers[1].text: cannot render math '\\sqrt': it ends too early: "
    "a command is missing its argument or a '{' its '}'",
    "talks/012.yaml:4:12: references[1].title: cannot render math 'a_b_c': two subscripts in a row; "
    "group them as x_{ab}",
    "talks/013.yaml:5:11: summary[1]: the link '../missing.md' points to no page of the site",
    "talks/013.yaml:7:9: practice.body: file not found: assets/x.png (the link '../assets/x.png')",  # beside the file
    "talks/013.yaml:7:9: practice.body: the link '../002/' points to no page of the site; did you mean '002.md'?",
    "talks/013.yaml:7:9: practice.body: the link '/talks/002/' starts at the root of the host, so it breaks where the "
    "site is not served from the root; write it relative to this page; did you mean '002.md'?",
]


@pytest.fixture(scope="module")
def content(tmp_path_factory) -> Path:
    """The early episodes 000-003, and 010-013 with the mistakes of EPISODES."""
    project = early_project(tmp_path_factory.mktemp("content") / "project")
    for name, text in EPISODES.items():
        (project / "talks" / name).write_text(text, encoding="utf-8")
    edit(project / "series.yml", "origin: >-\n", "origin: >-\n  [nowhere](talks/nowhere.md), [003](talks/003.md)\n")
    return project


def test_math_and_missing_pages_are_found_by_validate_at_the_field(content):
    assert problems(talkbase(content, "validate")) == EXPECTED


def test_build_stops_at_the_same_lines_before_mkdocs_runs(content):
    result = talkbase(content, "build")
    assert problems(result) == EXPECTED
    assert "Fix these first; nothing was built." in result.stderr and not (content / "site").exists()


def test_validate_finds_what_the_build_would_warn_about(content, tmp_path, monkeypatch):
    """With the check left out, the build's own warnings name the same links and formulas, on generated pages."""
    project = early_project(tmp_path / "project")
    for name in EPISODES:
        shutil.copy(content / "talks" / name, project / "talks" / name)
    shutil.copy(content / "series.yml", project / "series.yml")
    monkeypatch.setattr(pagelinks, "problems", lambda project: [])
    monkeypatch.setattr("talkbase.schema.math_problem", lambda text: None)
    warnings: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: warnings.append(record.getMessage()) if record.levelno >= logging.WARNING else None
    logging.getLogger("mkdocs").addHandler(handler)
    try:
        build(project, strict=False)
    finally:
        logging.getLogger("mkdocs").removeHandler(handler)
    warned = r"contains an? (?:unrecognized relative |absolute )?link '([^']+)'"
    links = {m.group(1) for w in warnings if (m := re.search(warned, w))}
    expected = "\n".join(EXPECTED)
    assert links == set(re.findall(r"the link '([^']+)'", expected))
    # math becomes MathML where the Markdown is written (mathml.py): a formula that cannot is left as the notes
    # wrote it, visible on its page, never dropped
    shown = " ".join(" ".join(p.read_text(encoding="utf-8").split()) for p in (project / "docs" / "talks").glob("*.md"))
    for tex in re.findall(r"cannot render math '([^']+)'", expected):
        assert tex in shown, tex


# --- control characters ----------------------------------------------------------------------------

CONTROLS = {
    "talks/020.yaml": (b'number: 20\ntitle: "a\\x01b"\n',
                       f"2:10: title: control character U+0001 (written \\x01) {CONTROL}"),
    "talks/021.yaml": (b"number: 21\ntitle: a\x07b\n", f"2:9: title: control character U+0007 {CONTROL}"),
    "talks/022.yaml": (b"number: 22\ntitle: a\rb\n",
                       "2:9: title: a carriage return (U+000D) without a line feed; "
                       "save the file with LF or CRLF line breaks"),
    "talks/023.yaml": (b'number: 23\nsummary: ["ok", "x\\ry"]\n',
                       f"2:19: summary[2]: control character U+000D (written \\r) {CONTROL}"),
    "talks/024.yaml": ("number: 24\nnotes: |\n  NEL\x85here\n".encode(),
                       f"3:6: notes: control character U+0085 {CONTROL}"),
    "talks/025.yaml": (b"# a comment \x1b[31m\nnumber: 25\n", f"1:13: control character U+001B {CONTROL}"),
    "talks/026.yaml": (b'number: 26\r\ntitle: "CRLF line breaks and a \\t tab are fine"\r\n', None),
    "talks/027.yaml": (b"number: 27\ntitle: a\x00b\n", f"2:9: title: control character U+0000 {CONTROL}"),
    "talks/028.yaml": ("number: 28\ntitle: a\ufffeb\n".encode(),
                       "2:9: title: character U+FFFE is not allowed in a YAML file"),
}


@pytest.fixture
def controls(project) -> Path:
    for name, (data, _) in CONTROLS.items():
        (project / name).write_bytes(data)
    note = yaml.safe_load((project / "series.yml").read_text(encoding="utf-8"))["schedule"]["note"]
    # before its last two characters
    edit(project / "series.yml", f"note: {note}", f'note: "{note[:-2]}\\e{note[-2:]}"')
    edit(project / "data/people.yml", "  name: 初七", '  name: "初\\u009b七"')
    edit(project / "data/topics.yml", "aliases: [positional encoding,", 'aliases: ["positional\\x7fencoding",')
    return project


def test_control_characters_are_errors_at_their_line_and_column(controls):
    def at(path: str, escape: str) -> str:  # where the escape was written, as the message names it
        return f"{path}:{line_of(controls / path, escape)}:{column_of(controls / path, escape)}"

    topics = yaml.safe_load((ROOT / "data/topics.yml").read_text(encoding="utf-8"))  # the project's, before the edit
    topic = next(i for i, t in enumerate(topics, 1) if t.get("aliases", [])[:1] == ["positional encoding"])
    expected = [f"{name}:{line}" for name, (_, line) in CONTROLS.items() if line] + [
        at("series.yml", "\\e") + f": schedule.note: control character U+001B (written \\e) {CONTROL}",
        at("data/people.yml", "\\u009b") + f": chuqi.name: control character U+009B (written \\u009b) {CONTROL}",
        at("data/topics.yml", "\\x7f") + f": [{topic}].aliases[1]: control character U+007F (written \\x7f) {CONTROL}",
    ]
    assert sorted(problems(talkbase(controls, "validate"))) == sorted(expected)


# --- links and branch names -----------------------------------------------------------------------

URLS = {  # as written in a link list: what the validator says
    "https://例子.测试/路径?q=1&r=%20#x": None,
    "http://[::1]:8080/x": None,
    "https://": "expected an http:// or https:// link with a host name, found 'https://'",
    "http:///etc/passwd": "expected an http:// or https:// link with a host name, found 'http:///etc/passwd'",
    "https://:443/": "expected an http:// or https:// link with a host name, found 'https://:443/'",
    "https://host:port/": "expected an http:// or https:// link, found 'https://host:port/' "
                          "(Port could not be cast to integer value as 'port')",
    "https://x.org/\"onmouseover=alert(1)": "a link cannot contain quotes, found 'https://x.org/\"onmouseover=alert(1)'",
    "https://x.org/<b>": "a link cannot contain angle brackets, found 'https://x.org/<b>'",
    "https://x.org/a`b": "a link cannot contain backticks, found 'https://x.org/a`b'",
    "https://x.org\\@evil.org/": "a link cannot contain backslashes, found 'https://x.org\\\\@evil.org/'",
    "https://x.org/a　b": "a link cannot contain spaces, line breaks or control characters, found 'https://x.org/a\\u3000b'",
}


def test_links_must_be_absolute_http_with_a_host_and_nothing_that_ends_them(project):
    refs = "".join(f"  - title: link {i}\n    links: [{json.dumps(url, ensure_ascii=False)}]\n"
                   for i, url in enumerate(URLS))
    (project / "talks/030.yaml").write_text(f"number: 30\ndate: 2023-09-30\nreferences:\n{refs}", encoding="utf-8")
    edit(project / "series.yml", "schedule:",
         'repo_url: "https://github.com/x/y\\"onclick=alert(1)"\nedit_branch: ../../etc\nschedule:')
    expected = [f"talks/030.yaml:{5 + 2 * i}:13: references[{i + 1}].links[1].url: {why}"
                for i, why in enumerate(URLS.values()) if why]
    at = line_of(project / "series.yml", "repo_url:")
    expected += [f"series.yml:{at}:11: repo_url: a link cannot contain quotes, "
                 "found 'https://github.com/x/y\"onclick=alert(1)'",
                 f"series.yml:{at + 1}:14: edit_branch: expected a branch name "
                 "(letters, digits and . _ / -, not starting with - or /, no '..'), found '../../etc'"]
    assert sorted(problems(talkbase(project, "validate"))) == sorted(expected)


def test_the_json_schema_refuses_the_links_and_branches_the_validator_refuses():
    jsonschema = pytest.importorskip("jsonschema")
    episode = jsonschema.Draft202012Validator(json_schemas()["episode.schema.json"])
    series = jsonschema.Draft202012Validator(json_schemas()["series.schema.json"])
    for url, why in URLS.items():
        assert bool(list(episode.iter_errors({"number": 1, "video": {"url": url}}))) == bool(why), url
    slots = [{"since": "2023-01-01", "weekday": "monday", "time": "20:00"}]
    for branch, ok in (("main", True), ("release/1.0", True), ("-x", False), ("/x", False), ("a..b", False),
                       ("a b", False)):
        errors = list(series.iter_errors({"name": "x", "schedule": {"slots": slots}, "edit_branch": branch}))
        assert not errors == ok, branch


# --- notebooks and frozen outputs with a merge conflict ---------------------------------------------

CONFLICT = "<<<<<<< HEAD\n  \"x\": 1,\n=======\n  \"x\": 2,\n>>>>>>> theirs\n"
MERGE = "a merge conflict was left in the file, from this '<<<<<<<' line; keep one side of it"


def conflicted(path: Path, line: int) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:line - 1]) + CONFLICT + "".join(lines[line - 1:]), encoding="utf-8")


@pytest.fixture
def merged(project) -> Path:
    freeze = project / "notebooks/_freeze/ntk_rope"
    conflicted(project / "notebooks/ntk_rope.ipynb", 12)
    conflicted(freeze / "run.json", 3)
    (freeze / "executed.ipynb").write_text('{"cells": [], "nbformat": 4', encoding="utf-8")  # cut short
    return project


NOTEBOOK_PROBLEMS = [
    "notebooks/_freeze/ntk_rope/executed.ipynb:1:28: not valid JSON: Expecting ',' delimiter",
    f"notebooks/_freeze/ntk_rope/run.json:3:1: {MERGE}",
    f"notebooks/ntk_rope.ipynb:12:1: {MERGE}",
]


@pytest.mark.parametrize("command", [["validate"], ["build"], ["demos", "status"]])
def test_a_notebook_or_freeze_that_is_not_json_is_named_by_every_command(merged, command):
    assert sorted(problems(talkbase(merged, *command))) == NOTEBOOK_PROBLEMS


def test_running_a_notebook_that_is_not_json_names_it(merged):
    assert problems(talkbase(merged, "demos", "run", "ntk_rope")) == [NOTEBOOK_PROBLEMS[2]]


@pytest.mark.parametrize("record", ["[]", '{"code_key": "x"}', '{"code_key": "x", "started": "", "duration_s": "1", '
                                               '"device": "", "python": "", "packages": {}}'])
def test_a_freeze_record_of_the_wrong_shape_is_named(project, record):
    (project / "notebooks/_freeze/ntk_rope/run.json").write_text(record, encoding="utf-8")
    assert problems(talkbase(project, "demos", "status")) == [
        "notebooks/_freeze/ntk_rope/run.json:1:1: expected the record of a run, with code_key, started, duration_s, "
        "device, python, packages; make it again: talkbase demos run ntk_rope"]
