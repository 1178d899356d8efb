"""`talkbase validate` on bad input: every problem in one run, as path:line:column: message, never a traceback.

One project holds every bad file at once and is validated once through the real command; each test
then checks the exact lines for its file. The JSON Schema tests are here too: the schema must be
what the models generate and must accept what the validator accepts.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import ROOT, make_project, tracked

from talkbase.cli import cli
from talkbase.load import MAX_BYTES, parse_yaml
from talkbase.schema import json_schemas

TALKBASE = str(Path(sys.executable).with_name("talkbase"))


def talkbase(project: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """The installed command in its own process, so a traceback would really reach stderr."""
    return subprocess.run([TALKBASE, *args], cwd=project, capture_output=True, text=True, timeout=timeout)


def invoke(project: Path, *args: str) -> Result:
    """The same command in this process (faster), for checks that need no separate process."""
    return CliRunner().invoke(cli, ["--config", str(project / "mkdocs.yml"), *args], catch_exceptions=False)


def billion_laughs() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"  # 9**9 = 387 million strings once expanded


BAD_FILES: dict[str, str | bytes] = {
    "syntax.yaml": "number: 104\ndate: [2023-07-15\n",
    "tab.yaml": "number: 105\ncrew:\n\thosts: []\n",
    "latin1.yaml": "number: 106\ntitle: café\n".encode("latin-1"),
    "empty.yaml": "",
    "list.yaml": "- number: 107\n",
    "dupkey.yaml": "number: 108\ndate: 2023-07-15\nnumber: 109\n",
    "types.yaml": 'number: "110"\ndate: next week\ntime: 9pm\nsummary: [RoPE, 2023]\ncrew: [suc16]\n',
    "unknown.yaml": "number: 111\ndate: 2023-07-15\ntitel: x\ncrew:\n  hosst: [suc16]\n  editors: [xianyuu]\n",
    "links.yaml": ("number: 112\ndate: 2023-07-15\nvideo:\n  url: javascript:alert(1)\nreferences:\n"
                   "  - title: x\n    links: ['data:text/html,<script>alert(1)</script>']\n"),
    "bomb.yaml": billion_laughs(),
    "recursive.yaml": "number: 113\nsummary: &s [*s]\n",
    "huge.yaml": "number: 114\nnotes: '" + "长" * (MAX_BYTES // 3) + "'\n",
    "dup.yaml": "number: 3\ndate: 2023-07-08\n",
    "order.yaml": "number: 50\ndate: 2020-01-01\n",
    "special-a.yaml": "special: same\ntitle: A\ndate: 2023-08-01\n",
    "special-b.yaml": "special: same\ntitle: B\ndate: 2023-08-02\n",
    "notebook-missing.yaml": "number: 60\ndate: 2023-09-02\npractice:\n  notebook: notebooks/missing.py\n",
    "notebook-outside.yaml": "number: 61\ndate: 2023-09-09\npractice:\n  notebook: ../../etc/passwd\n",
}

EXPECTED = {
    "syntax.yaml": ["3:1: invalid YAML: expected ',' or ']', but got '<stream end>' "
                    "(while parsing a flow sequence that starts on line 2, column 7)"],
    "tab.yaml": ["3:1: tab used for indentation; YAML needs spaces"],
    "latin1.yaml": ["2:11: the file is not UTF-8 (byte 0xe9); save it as UTF-8"],
    "empty.yaml": ["1:1: the file is empty; expected a mapping of keys such as 'number' and 'date'"],
    "list.yaml": ["1:1: expected a mapping of keys at the top level, found a list"],
    "dupkey.yaml": ["3:1: duplicate key 'number' (first defined on line 1)"],
    "types.yaml": ["1:9: number: expected a whole number, found '110'",
                   "2:7: date: expected a date as YYYY-MM-DD, found 'next week'",
                   '3:7: time: expected a time as "HH:MM" (24-hour), found \'9pm\'',
                   "4:17: summary[2]: expected text, found 2023 (a number); put it in quotes",
                   "5:7: crew: expected a mapping of keys, found a list"],
    "unknown.yaml": ["3:1: unknown key 'titel' at the top level; did you mean 'title'? "
                     "(expected one of: number, special, ordinal, title, date, date_text, after, time, summary, "
                     "crew, video, article, news, recommendations, classics, practice, free_talk, references, "
                     "plans_note, plans, notes, sections, roles, privacy, requirements, join, notices, body, image)",
                     "5:3: unknown key 'hosst' in crew; did you mean 'hosts'? "
                     "(expected one of: hosts, editors, section_owners, contributors, note, hosts_note, editors_note, "
                     "section_owners_note)",
                     "6:13: crew.editors[1]: unknown person id 'xianyuu' (add it to data/people.yml); "
                     "did you mean 'xianyu'?"],
    "links.yaml": ["4:8: video.url: expected an http:// or https:// link, found 'javascript:alert(1)'",
                   "7:13: references[1].links[1].url: expected an http:// or https:// link, "
                   "found 'data:text/html,<script>alert(1)</script>'"],
    "bomb.yaml": ["6:1: the value of 'f' expands to more than 100,000 values (aliases repeated too often?)"],
    "recursive.yaml": ["2:10: values nested more than 64 levels deep (an alias that contains itself?)"],
    "huge.yaml": [f"1:1: file is {len(BAD_FILES['huge.yaml'].encode()):,} bytes; "
                  f"an episode file must be under {MAX_BYTES:,} bytes"],
    "dup.yaml": ["1:9: number: 3 is also used by talks/003.yaml; two episodes cannot share the page talks/003/"],
    "order.yaml": [],  # filled in below: the message names the dated episode just before 50
    "special-a.yaml": [],
    "special-b.yaml": ["1:10: special: 'same' is also used by talks/special-a.yaml; two episodes cannot share the page "
                       "talks/special-same/"],
    "notebook-missing.yaml": ["4:13: practice.notebook: no such file 'notebooks/missing.py'; "
                              "expected a notebook in notebooks/"],
    "notebook-outside.yaml": ["4:13: practice.notebook: expected a path inside notebooks/, found '../../etc/passwd'"],
    "outside.yaml": [],  # filled in by the fixture: the message names the link's target
    "loop.yaml": [],  # filled in by the fixture: a link to itself, in the words of this Python's pathlib
}


def dated_before(number: int) -> tuple[int, dt.date, str]:
    """The numbered, dated episode just before `number` among the bundled episodes and BAD_FILES (for one number
    used twice, the later file), whose date a date of `number` must not be before: (number, date, file name)."""
    texts = {Path(rel).name: (ROOT / rel).read_text(encoding="utf-8")
             for rel in tracked("talks") if rel.endswith(".yaml")}
    texts.update((name, text) for name, text in BAD_FILES.items() if isinstance(text, str) and len(text) < 1000)
    dated = []
    for name, text in sorted(texts.items()):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        if isinstance(data, dict) and type(data.get("number")) is int and isinstance(data.get("date"), dt.date):
            dated.append((data["number"], data["date"], name))
    return [d for d in sorted(dated, key=lambda d: d[0]) if d[0] < number][-1]  # files in name order, as validate reads


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict[str, list[str]], Path]:
    """Every bad file in one project, validated once by the real command."""
    root = tmp_path_factory.mktemp("bad")
    project = make_project(root / "project")
    for name, content in BAD_FILES.items():
        path = project / "talks" / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    outside = root / "outside.yaml"
    outside.write_text("number: 115\n", encoding="utf-8")
    (project / "talks/outside.yaml").symlink_to(outside)
    EXPECTED["outside.yaml"] = [f"1:1: the file resolves to {outside}, outside the project; "
                                "copy it into the project instead"]
    loop = project / "talks/loop.yaml"
    loop.symlink_to(loop.name)
    with pytest.raises((OSError, RuntimeError)) as err:  # RuntimeError, without strerror, before Python 3.13
        loop.resolve(strict=True)
    EXPECTED["loop.yaml"] = [f"1:1: cannot open file: {getattr(err.value, 'strerror', None) or err.value}"]
    number, date, name = dated_before(50)
    assert date > dt.date(2020, 1, 1)  # so order.yaml's date is out of order
    EXPECTED["order.yaml"] = [f"2:7: date 2020-01-01 of episode 50 is before the date {date} of episode {number} "
                              f"(talks/{name})"]
    result = talkbase(project, "validate", timeout=60)  # the alias bomb must not make this hang
    lines: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        path, _, rest = line.partition(":")
        lines.setdefault(path, []).append(rest)
    return result, lines, project


def test_bad_input_exits_1_without_traceback(bad_run):
    result, lines, _ = bad_run
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    total = sum(len(v) for v in EXPECTED.values())
    assert result.stderr.strip().endswith(f"{total} problem(s) in {sum(1 for v in EXPECTED.values() if v)} file(s)")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_problem_at_its_line_and_column(bad_run, name):
    _, lines, _ = bad_run
    assert lines.get(f"talks/{name}", []) == EXPECTED[name]


def test_the_good_episodes_have_no_problems(bad_run):
    _, lines, _ = bad_run
    bundled = {rel for rel in tracked("talks") if rel.endswith(".yaml")}
    assert "talks/003.yaml" in bundled and not [p for p in lines if p in bundled]


def test_paths_limit_the_report_but_cross_checks_see_all_of_talks(bad_run):
    _, _, project = bad_run
    clean = invoke(project, "validate", str(project / "talks/003.yaml"), str(project / "talks/special-a.yaml"))
    assert (clean.exit_code, clean.stdout) == (0, "")
    assert "2 episode(s) checked, no problems" in clean.stderr
    dup = invoke(project, "validate", str(project / "talks/dup.yaml"))
    assert dup.exit_code == 1
    assert dup.stdout.splitlines() == [f"talks/dup.yaml:{EXPECTED['dup.yaml'][0]}"]


def test_a_symlink_given_by_name_is_reported_as_the_link(bad_run):
    _, _, project = bad_run
    result = invoke(project, "validate", str(project / "talks/outside.yaml"))
    assert result.exit_code == 1
    assert result.stdout == f"talks/outside.yaml:{EXPECTED['outside.yaml'][0]}\n"


def test_clean_project_exits_0(project):
    result = invoke(project, "validate")
    assert (result.exit_code, result.stdout) == (0, "")
    assert "4 episode(s) checked, no problems" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["validate", "talks/nope.yaml"], "talks/nope.yaml: expected an episode file (.yaml) or a folder of them"),
    (["validate", "--strict"], "No such option '--strict'"),
    (["-f", "nowhere.yml", "validate"], "no nowhere.yml in"),
    (["valdate"], "No such command 'valdate'"),
])
def test_usage_errors_exit_2(project, args, message):
    result = talkbase(project, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_mkdocs_yml_is_a_usage_error(project):
    (project / "mkdocs.yml").write_text("site_name: [unclosed\n", encoding="utf-8")
    result = talkbase(project, "validate")
    assert result.returncode == 2
    assert "cannot read mkdocs.yml" in result.stderr
    assert "Traceback" not in result.stderr


def test_plugin_options_and_inherit_are_read_as_a_build_reads_them(project):
    """validate reads only docs_dir and the plugin's options from mkdocs.yml, through MkDocs' own reader:
    a moved talks folder is followed, and so is a configuration split with INHERIT."""
    (project / "talks").rename(project / "episodes")
    config = (project / "mkdocs.yml").read_text(encoding="utf-8")
    (project / "base.yml").write_text(config.replace("  - talkbase\n", "  - talkbase:\n      talks_dir: episodes\n"),
                                      encoding="utf-8")
    (project / "mkdocs.yml").write_text("INHERIT: base.yml\n", encoding="utf-8")
    (project / "episodes" / "003.yaml").write_text("number: 3\ndate: [\n", encoding="utf-8")
    result = invoke(project, "validate")
    assert result.exit_code == 1
    assert result.stdout.startswith("episodes/003.yaml:3:1: invalid YAML")


@pytest.mark.parametrize("plugins, message", [
    ("  - talkbase:\n      parallel: sometimes\n", "plugins: talkbase: parallel: Expected type: <class 'bool'>"),
    ("", "the talkbase plugin is not listed under 'plugins:'"),
])
def test_bad_plugin_options_are_usage_errors(project, plugins, message):
    config = (project / "mkdocs.yml").read_text(encoding="utf-8")
    (project / "mkdocs.yml").write_text(config.replace("  - talkbase\n", plugins), encoding="utf-8")
    result = talkbase(project, "validate")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_misspelt_plugin_option_is_a_warning(project):
    config = (project / "mkdocs.yml").read_text(encoding="utf-8")
    (project / "mkdocs.yml").write_text(config.replace("  - talkbase\n", "  - talkbase:\n      talk_dir: episodes\n"),
                                        encoding="utf-8")
    result = talkbase(project, "validate")
    assert result.returncode == 0
    assert "WARNING - mkdocs.yml: plugins: talkbase: talk_dir: Unrecognised configuration name: talk_dir" \
        in result.stderr


def test_without_plugin_options_the_layout_is_the_plugins_default(project, tmp_path):
    """With `- talkbase` alone, validate takes Layout's defaults and never imports MkDocs' option types (figures:
    benchmarks/README.md); so the plugin's defaults must be Layout's, and a build must find the folders validate
    checked."""
    from talkbase.config import TalkbaseConfig
    from talkbase.project import Layout

    options = TalkbaseConfig()
    options.load_dict({})
    assert options.validate() == ([], [])
    assert options.layout(tmp_path, "site-docs") == Layout.at(tmp_path, docs="site-docs")
    check = ("import sys; from pathlib import Path; from talkbase.cli import _layout; "
             "from talkbase.settings import layout_from; "
             "layout = layout_from(Path('mkdocs.yml').resolve()); "
             "print(layout.talks.name, 'mkdocs.config.config_options' in sys.modules)")
    ran = subprocess.run([sys.executable, "-c", check], cwd=project, capture_output=True, text=True, timeout=60)
    assert ran.stdout.split() == ["talks", "False"], ran.stderr


# --- JSON Schema --------------------------------------------------------------------------------

def test_committed_schemas_are_what_talkbase_schema_writes(tmp_path):
    result = invoke(ROOT, "schema", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    for name, doc in json_schemas().items():
        committed = (ROOT / "schema" / name).read_text(encoding="utf-8")
        assert (tmp_path / name).read_text(encoding="utf-8") == committed, \
            f"run `talkbase schema` to update schema/{name}"
        assert json.loads(committed) == doc


def _as_json(value):
    """YAML data as JSON would carry it: dates become the strings editors see."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def test_schema_accepts_every_valid_file_and_rejects_unknown_keys(project):
    jsonschema = pytest.importorskip("jsonschema")
    assert invoke(project, "new", "--date", "2023-07-15").exit_code == 0
    assert invoke(project, "new", "--special", "一篇番外", "--id", "extra").exit_code == 0
    assert invoke(project, "validate").exit_code == 0  # the validator accepts all of these...
    episode = jsonschema.Draft202012Validator(json_schemas()["episode.schema.json"])
    files = sorted((project / "talks").glob("*.yaml"))
    assert len(files) == 6
    for path in files:
        data = _as_json(parse_yaml(path.read_text(encoding="utf-8"), path.name).data)
        assert not [e.message for e in episode.iter_errors(data)], path.name  # ...so the schema does too
    series = jsonschema.Draft202012Validator(json_schemas()["series.schema.json"])
    assert not list(series.iter_errors(_as_json(yaml.safe_load((ROOT / "series.yml").read_text(encoding="utf-8")))))
    for wrong in ({"number": 4, "titel": "x"}, {"number": "4"}, {"number": 4, "video": {"url": "javascript:alert(1)"}}):
        assert list(episode.iter_errors(wrong)), wrong
