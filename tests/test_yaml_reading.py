"""One YAML reading everywhere (issue 16): a file reads the same whether PyYAML composes it with libyaml or with
its Python parser alone, an integer is never silently octal, and the slips people make in YAML get a hint.

One project holds every file, and the real `talkbase validate` runs on it twice: with libyaml as installed, and
with the Python parser alone, as where PyYAML was built without libyaml. Each test checks that both runs print
the same exact lines for its files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_project

from talkbase import load
from talkbase.cli import cli
from talkbase.schema import Crew, Episode

LINKS = ["https://arxiv.org/abs/2309.00071?utm_source=talk&utm_medium=notes", "https://github.com/jquesnelle/yarn?tab=readme"]
QUOTE = "(put the value in quotes)"
ASCII_COLON = "(use an ASCII colon ':' after the key)"

# numbered far above the bundled episodes, so that the episodes still to come never share a number with these
FILES = {
    "link-query.yaml": f"number: 9020\nreferences:\n  - title: YaRN\n    links: [{LINKS[0]}, {LINKS[1]}]\n",
    "tab.yaml": "number: 9021\ntitle:\tYaRN\n",
    "block-header.yaml": "number: 9022\nnotes: |# the notes\n  text\n",
    "bom-line.yaml": "# pasted after another file, byte order mark and all\n\ufeffnumber: 9023\n",
    "empty-tag.yaml": "number: !\n",
    "tag-handle.yaml": "number: 9024\ntitle: !a.!b c\n",
    "octal.yaml": "number: 010\n",
    "hexadecimal.yaml": "number: 0x1A\n",
    "octal-prefix.yaml": "number: 0o31\n",
    "octal-title.yaml": "number: 9025\ntitle: 0_26\n",
    "colon.yaml": "number: 9027\ntitle: 位置编码: RoPE\n",
    "item-colon.yaml": "number: 9028\nsummary:\n  - 问题: 回答\n",
    "wide-colon.yaml": "number: 9029\ntitle：RoPE\ndate: 2023-09-02\n",
    "wide-colon-nested.yaml": "number: 9030\ncrew:\n  hosts：[suc16]\n  editors: [xianyu]\n",
    "wide-colon-last.yaml": "number: 9031\ncrew:\n  hosts：[suc16]\n",
    "wide-colons.yaml": "number：9032\ntitle：RoPE\n",
    "tag.yaml": "number: 9033\ntitle: !重要 新闻\n",
    "unknown-tag.yaml": "number: 9034\ntitle: !important news\n",
    "flow.yaml": "number: 9035\ntitle: [RFC] RoPE\n",
    "flow-list.yaml": "number: 9036\ntitle: [RFC]\n",
    "alias.yaml": "number: 9037\ntitle: *重要* RoPE\n",
    "zero-width.yaml": "number: 9038\nti\u200btle: RoPE\ncrew:\n  \u2060hosts: [suc16]\n",
}


def _validate(project: Path) -> dict[str, list[str]]:
    """The lines `talkbase validate` prints, by file, without the file's path."""
    result = CliRunner().invoke(cli, ["--config", str(project / "mkdocs.yml"), "validate"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    lines: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        path, _, rest = line.partition(":")
        lines.setdefault(path.removeprefix("talks/"), []).append(rest)
    return lines


@pytest.fixture(scope="module")
def readings(tmp_path_factory) -> dict[str, dict[str, list[str]]]:
    """What `talkbase validate` prints for each file with libyaml and with the Python parser alone. The cache on disk
    is off and each reading has its own copy of the project, so that each run parses every file itself."""
    out = {}
    for name, fast in (("libyaml", load._FAST_LOADER), ("python", None)):
        project = make_project(tmp_path_factory.mktemp(name) / "project")
        for file, text in FILES.items():
            (project / "talks" / file).write_text(text, encoding="utf-8")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("TALKBASE_CACHE", "off")
            patch.setattr(load, "_FAST_LOADER", fast)
            out[name] = _validate(project)
    return out


def read_both(text: str):
    """The data of `text` as libyaml and as the Python parser alone read it, which must be the same."""
    fast = load.parse_yaml(text, "x.yaml").data
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(load, "_FAST_LOADER", None)
        assert load.parse_yaml(text, "x.yaml").data == fast
    return fast


def check(readings, name: str, expected: list[str]) -> None:
    assert readings["libyaml"].get(name, []) == expected
    assert readings["python"].get(name, []) == expected


def test_a_link_with_a_query_in_a_flow_list_is_one_link(readings):
    """libyaml read `[https://...?utm_source=x]` as one link; PyYAML's parser ended the text at the '?' and
    refused it."""
    check(readings, "link-query.yaml", [])
    assert read_both(FILES["link-query.yaml"])["references"][0]["links"] == LINKS
    assert read_both("links: [a?b, 'c', {d?e: f?g}]\n") == {"links": ["a?b", "c", {"d?e": "f?g"}]}


@pytest.mark.parametrize("name, expected", [
    ("block-header.yaml", ["2:9: notes: invalid YAML: expected chomping or indentation indicators, but found '#' "
                           "(put a space before the '#' of a comment)"]),
    ("bom-line.yaml", [f"2:1: unknown key '<U+FEFF>number' at the top level; did you mean 'number'? (expected one of: "
                       f"{', '.join(Episode.model_fields)})"]),
    ("empty-tag.yaml", ["1:1: an episode has either a 'number' or a 'special' id (with a 'title'), exactly one"]),
    ("tag-handle.yaml", [f"2:8: title: invalid YAML: expected '!', but found '.' {QUOTE}"]),
])
def test_what_libyaml_alone_accepted_or_read_otherwise_is_refused_alike(readings, name, expected):
    """libyaml took a comment stuck to `|` for a comment, skipped a byte order mark that starts a line, read a lone `!`
    as '' and composed tags that PyYAML refuses: the same file passed with one parser and failed with the other, or
    gave another value. Now both refuse it with the Python parser's message."""
    check(readings, name, expected)


def test_a_tab_between_the_parts_of_a_line_is_refused_and_one_in_text_kept(readings):
    """libyaml took `title:<tab>YaRN` for `title: YaRN`, PyYAML's parser refused it. Both refuse it now, with a hint;
    in quoted and block text a tab stays a character like any other."""
    check(readings, "tab.yaml", ["2:7: title: invalid YAML: found character '\\t' that cannot start any token "
                                 "(replace the tab with a space)"])
    assert read_both('title: "a\tb"\nnotes: |\n  x\ty\n') == {"title": "a\tb", "notes": "x\ty\n"}


@pytest.mark.parametrize("name, expected", [
    ("octal.yaml", ['1:9: number: YAML reads 010 as the octal number 8 (write 10, or "010" if you mean text)']),
    ("hexadecimal.yaml", ['1:9: number: YAML reads 0x1A as the hexadecimal number 26 '
                          '(write 26, or "0x1A" if you mean text)']),
    ("octal-prefix.yaml", ["1:9: number: expected a whole number, found '0o31' (write 25)"]),
    ("octal-title.yaml", ['2:8: title: YAML reads 0_26 as the octal number 22 (write 26, or "0_26" if you mean text)']),
])
def test_an_integer_with_a_leading_zero_or_a_base_is_refused(readings, name, expected):
    """YAML 1.1 reads `number: 010` as 8: episode 010 would silently be episode 8. Every notation but plain decimal is
    refused at its key, with the number that was meant."""
    check(readings, name, expected)


@pytest.mark.parametrize("name, expected", [
    ("colon.yaml", [f"2:12: title: invalid YAML: mapping values are not allowed here {QUOTE}"]),
    ("item-colon.yaml", [f"3:5: summary[1]: expected text, found a mapping of keys {QUOTE}"]),
    ("wide-colon.yaml", [f"2:6: title: invalid YAML: could not find expected ':' {ASCII_COLON}"]),
    ("wide-colon-nested.yaml", [f"3:8: crew.hosts: invalid YAML: mapping values are not allowed here {ASCII_COLON}"]),
    ("wide-colon-last.yaml", [f"3:3: crew: expected a mapping of keys, found 'hosts：[suc16]' {ASCII_COLON}"]),
    ("wide-colons.yaml", ["1:1: expected a mapping of keys at the top level, "
                          f"found 'number：9032 title：RoPE' {ASCII_COLON}"]),
    ("tag.yaml", [f"2:8: title: invalid YAML: expected URI, but found '重' {QUOTE}"]),
    ("unknown-tag.yaml", [f"2:8: title: unknown YAML tag '!important' {QUOTE}"]),
    ("flow.yaml", [f"2:8: title: invalid YAML: expected <block end>, but found '<scalar>' {QUOTE}"]),
    ("flow-list.yaml", [f"2:8: title: expected text, found a list {QUOTE}"]),
    ("alias.yaml", [f"2:8: title: invalid YAML: expected alphabetic or numeric character, but found '重' {QUOTE}"]),
])
def test_a_common_slip_gets_a_hint_at_the_slip(readings, name, expected):
    """YAML's own words for these (mapping values are not allowed, could not find expected ':', expected URI) do not
    say what to change; at the key and column of the slip, the hint does."""
    check(readings, name, expected)


def test_an_invisible_character_in_a_key_is_shown(readings):
    """A zero-width space or word joiner pasted into a key makes it unknown while it looks right: the message
    shows it."""
    check(readings, "zero-width.yaml", [
        "2:1: unknown key 'ti<U+200B>tle' at the top level; did you mean 'title'? "
        f"(expected one of: {', '.join(Episode.model_fields)})",
        "4:3: unknown key '<U+2060>hosts' in crew; did you mean 'hosts'? "
        f"(expected one of: {', '.join(Crew.model_fields)})",
    ])
