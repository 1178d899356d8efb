"""The `talkbase` command: help, `new`, a strict `build`, `serve` on 127.0.0.1, with exit codes and no tracebacks.

Commands that must show no traceback run as a real process; the rest run in this process
through click's runner, which is the same code and much faster.
"""

from __future__ import annotations

import datetime as dt
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner, Result

from talkbase.cli import cli

TALKBASE = str(Path(sys.executable).with_name("talkbase"))
SECTIONS = ["news", "recommendations", "classics", "practice", "free_talk", "references", "plans"]


def talkbase(project: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([TALKBASE, *args], cwd=project, capture_output=True, text=True, timeout=timeout)


def invoke(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(project / "mkdocs.yml"), *args], catch_exceptions=False)


WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def next_regular_session(project: Path) -> set[dt.date]:
    """The day of the next session by series.yml's schedule, in the slot in force today (and the week after,
    should its start time pass while the test runs)."""
    schedule = yaml.safe_load((project / "series.yml").read_text(encoding="utf-8"))["schedule"]
    tz = ZoneInfo(schedule["timezone"])
    now = dt.datetime.now(tz)
    slot = max((s for s in schedule["slots"] if s["since"] <= now.date()), key=lambda s: s["since"])
    hour, minute = map(int, slot["time"].split(":"))
    day = now.date() + dt.timedelta(days=(WEEKDAYS.index(slot["weekday"]) - now.weekday()) % 7)
    start = dt.datetime.combine(day, dt.time(hour, minute), tz)
    if start <= now:
        start += dt.timedelta(days=7)
    return {start.date(), start.date() + dt.timedelta(days=7)}


def talks_files(project: Path) -> list[str]:
    return sorted(p.name for p in (project / "talks").iterdir())


# --- help --------------------------------------------------------------------------------------

def test_help_lists_every_command_untruncated():
    result = subprocess.run([TALKBASE, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr
    listing = result.stdout.split("Commands:\n", 1)[1].splitlines()
    commands = {line.split()[0] for line in listing if line.strip()}
    assert commands >= {"new", "validate", "build", "serve", "publish", "schema"}
    assert not [line for line in listing if line.rstrip().endswith("...")]
    assert "talkbase new          scaffold the next episode" in result.stdout


@pytest.mark.parametrize("command, words", [
    ("new", ["--date YYYY-MM-DD", "--special TITLE", "--id ID", "never overwritten"]),
    ("validate", ["path:line:column: message",
                  "Exit status 0 when clean, 1 when problems were found, 2 for usage errors"]),
    ("build", ["strictly", "--no-strict", "swapped in only when the build succeeded"]),
    ("serve", ["127.0.0.1", "--port", "live reload"]),
    ("publish", ["--remote REMOTE", "--branch BRANCH", "fast-forward", "publishes nothing"]),
    ("schema", ["--out", "yaml-language-server"]),
])
def test_each_command_explains_itself(command, words):
    result = CliRunner().invoke(cli, [command, "--help"], prog_name="talkbase", terminal_width=100)
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert text.startswith(f"Usage: talkbase {command} [OPTIONS]")
    for word in words:
        assert word in text


# --- new ---------------------------------------------------------------------------------------

def test_new_scaffolds_the_next_regular_episode_which_validates(project):
    result = invoke(project, "new")
    assert result.exit_code == 0, result.output
    path = project / "talks/004.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../schema/episode.schema.json"
    schema = text.splitlines()[0].split("=", 1)[1]
    assert (project / "talks" / schema).resolve() == (project / "schema/episode.schema.json")
    data = yaml.safe_load(text)
    assert data["number"] == 4
    assert data["date"] in next_regular_session(project)
    for section in SECTIONS:
        line = next(ln for ln in text.splitlines() if ln.startswith(f"{section}:"))
        assert "#" in line, f"{section} has no comment saying what goes there"
    assert invoke(project, "validate").exit_code == 0

    # the next one follows the scheduled 004, one week later, not the same Saturday
    assert invoke(project, "new").exit_code == 0
    following = yaml.safe_load((project / "talks/005.yaml").read_text(encoding="utf-8"))
    assert following["date"] == data["date"] + dt.timedelta(days=7)
    assert invoke(project, "validate").exit_code == 0


def test_new_special_keeps_its_title_and_never_overwrites(project):
    title = '大模型 "对齐": 番外'
    result = invoke(project, "new", "--special", title, "--date", "2023-07-20")
    assert result.exit_code == 0, result.output
    data = yaml.safe_load((project / "talks/special-2023-07-20.yaml").read_text(encoding="utf-8"))
    assert (data["special"], data["title"], data["date"]) == ("2023-07-20", title, dt.date(2023, 7, 20))
    assert "number" not in data and "body" in data

    assert invoke(project, "new", "--special", "RLHF", "--id", "rlhf").exit_code == 0
    path = project / "talks/special-rlhf.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    again = invoke(project, "new", "--special", "RLHF", "--id", "rlhf")
    assert again.exit_code == 1
    assert "talks/special-rlhf.yaml already exists; it was left untouched" in again.stderr
    assert path.read_text(encoding="utf-8").endswith("# edited\n")
    assert invoke(project, "validate").exit_code == 0


@pytest.mark.parametrize("args, message", [
    (["--special", "x", "--id", "Bad Id"], "expected lowercase letters, digits and '-'"),
    (["--id", "rlhf"], "--id names a special episode; give its title with --special"),
    (["--date", "15.07.2023"], "'15.07.2023' does not match the format '%Y-%m-%d'"),
])
def test_new_usage_errors_exit_2_and_write_nothing(project, args, message):
    before = talks_files(project)
    result = talkbase(project, "new", *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert talks_files(project) == before


def test_new_gives_its_template_what_every_template_gets_and_names_a_broken_one(project):
    template = project / "templates" / "new-episode.yaml.j2"
    original = template.read_text(encoding="utf-8")
    template.write_text("# {{ labels.special }} {{ series.name | inline }}\n" + original, encoding="utf-8")
    result = invoke(project, "new")
    assert result.exit_code == 0, result.output
    assert (project / "talks/004.yaml").read_text(encoding="utf-8").startswith("# 番外 OpenLLM Talk\n")

    template.write_text(original.replace("{{ heading }}", "{{ heading.nothing_here }}", 1), encoding="utf-8")
    result = talkbase(project, "new")
    assert result.returncode == 1 and "Traceback" not in result.stderr + result.stdout
    assert "templates/new-episode.yaml.j2:2:1: template error while rendering 005.yaml" in result.stdout
    assert "nothing was written" in result.stderr and not (project / "talks/005.yaml").exists()


def test_new_refuses_while_the_project_has_problems(project):
    (project / "talks/003.yaml").write_text("number: 3\ndate: 2023-07-08\nsumary: []\n", encoding="utf-8")
    result = invoke(project, "new")
    assert result.exit_code == 1
    assert "talks/003.yaml:3:1: unknown key 'sumary' at the top level; did you mean 'summary'?" in result.stdout
    assert not (project / "talks/004.yaml").exists()


# --- build -------------------------------------------------------------------------------------

def test_build_is_strict_shows_progress_and_builds_scaffolded_episodes(project):
    assert invoke(project, "new", "--date", "2023-07-15").exit_code == 0
    assert invoke(project, "new", "--special", "一篇番外", "--id", "extra").exit_code == 0
    for n in range(5, 65):  # an archive big enough to need progress lines
        day = dt.date(2023, 7, 15) + dt.timedelta(weeks=n - 4)
        (project / f"talks/{n:03d}.yaml").write_text(f"number: {n}\ndate: {day}\nsummary: [RoPE, topic {n}]\n",
                                                     encoding="utf-8")
    result = talkbase(project, "build")
    assert result.returncode == 0, result.stderr
    site = project / "site"
    assert (site / "talks/004/index.html").is_file() and (site / "talks/special-extra/index.html").is_file()
    lines = result.stderr.splitlines()
    assert "INFO    - talkbase: 66 episodes: " in "\n".join(lines)
    progress = [tuple(map(int, m.groups()))
                for ln in lines if (m := re.search(r"talkbase: rendered (\d+)/(\d+) pages", ln))]
    assert 5 <= len(progress) <= 12, progress  # a handful of lines, not one per page
    assert [done for done, _ in progress] == sorted({done for done, _ in progress})
    assert len({t for _, t in progress}) == 1
    assert lines[0] == "Checking 66 episode files ..." and lines[-1] == f"Site built into {site}"
    assert not [ln for ln in lines[1:] if not ln.startswith(("INFO    - ", "Site built"))], "unexpected output"
    for n in range(5, 65):
        (project / f"talks/{n:03d}.yaml").unlink()

    # a warning fails the strict build, and the site built above stays as it was
    (project / "docs/broken.md").write_text("# Broken\n\n[gone](missing.md)\n", encoding="utf-8")
    failed = talkbase(project, "build")
    assert failed.returncode == 1
    assert f"talkbase build: failed, {site} left as it was" in failed.stderr
    assert "contains a link 'missing.md', but the target is not found" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert (site / "talks/004/index.html").is_file() and not (site / "broken").exists()


def test_build_validates_first_and_touches_nothing(project):
    (project / "site").mkdir()
    (project / "site/marker").write_text("previous site", encoding="utf-8")
    (project / "talks/004.yaml").write_text("number: 4\ndate: 2023-07-15\nnews: {itmes: []}\n", encoding="utf-8")
    result = talkbase(project, "build")
    assert result.returncode == 1
    assert result.stdout.startswith("talks/004.yaml:3:8: unknown key 'itmes' in news; did you mean 'items'?")
    assert "Fix these first; nothing was built." in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in (project / "site").iterdir()) == ["marker"]


# --- serve -------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening_addresses(port: int) -> set[str]:
    """Local addresses listening on `port`, from the kernel's socket table (Linux)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_serve_previews_on_localhost_only_with_live_reload(project):
    port = _free_port()
    server = subprocess.Popen([TALKBASE, "serve", "--port", str(port)], cwd=project, stderr=subprocess.PIPE, text=True)
    try:
        seen = []
        for line in server.stderr:
            seen.append(line)
            if "Serving on" in line:
                break
        assert f"Serving on http://127.0.0.1:{port}/" in seen[-1], "".join(seen)
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/talks/003/", timeout=30).read().decode("utf-8")
        assert "OpenLLM Talk 003" in page and "livereload" in page
        if Path("/proc/net/tcp").exists():
            assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1, nothing else
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()


def test_serve_names_a_port_in_use_before_it_builds(project):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = talkbase(project, "serve", "--port", str(port), timeout=60)
    assert result.returncode == 1
    assert f"talkbase serve: 127.0.0.1:{port} is not free (" in result.stderr
    assert f"talkbase serve --port {port + 1}" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "Documentation built" not in result.stderr and "Checking" not in result.stdout + result.stderr


def test_serve_refuses_an_invalid_project(project):
    (project / "talks/004.yaml").write_text("number: 4\ndate: 2023-13-01\n", encoding="utf-8")
    result = talkbase(project, "serve", timeout=60)
    assert result.returncode == 1
    assert re.match(r"talks/004.yaml:2:7: cannot read value '2023-13-01': month must be in 1..12", result.stdout)
    assert "Fix these first; the preview would not build." in result.stderr and "Traceback" not in result.stderr
