"""Crash safety: `talkbase generate`, `serve`, `build` and `publish` killed with SIGKILL leave a project whose next
run succeeds by itself, gives exactly a clean run's output and leaves no temporary file or folder behind, while a
file a person edited by hand is still refused. Generated files and the site get the usual permissions.

A killed run is the real command in a fresh interpreter that has an audit hook (`sys.addaudithook`; nothing in
talkbase) send the process SIGKILL right before the n-th file operation or git command of a kind, so each kill
lands at a known moment: between two page writes, between writing a temporary file and renaming it, between the
two renames that swap the site in, before the push. Where a run makes many such operations, the moments are taken
from an uninterrupted run of the same change, spread over all of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, make_project

TALKBASE = str(Path(sys.executable).with_name("talkbase"))

KILLER = r"""
import atexit, os, re, signal, sys

me, pattern, at = os.getpid(), re.compile(os.environ["KILL_MATCH"]), int(os.environ["KILL_AT"])
seen = []

def hook(event, args):
    if os.getpid() != me:  # a forked helper process
        return
    if event == "subprocess.Popen":
        what = " ".join(map(os.fsdecode, args[1]))
    elif event in ("open", "os.rename", "os.remove", "os.mkdir", "shutil.rmtree") and not isinstance(args[0], int):
        if event == "open" and not args[2] & (os.O_WRONLY | os.O_RDWR):
            return
        what = os.fsdecode(args[0])
        if not os.path.isabs(what):  # relative to a folder descriptor (inside rmtree): not a moment of its own
            return
    else:
        return
    if pattern.search(line := f"{event} {what}"):
        seen.append(line)
        if len(seen) == at:
            os.kill(me, signal.SIGKILL)

sys.addaudithook(hook)
if log := os.environ.get("KILL_LOG"):
    atexit.register(lambda: open(log, "w").write("\n".join(seen)))
sys.argv = ["talkbase", *sys.argv[1:]]
from talkbase.cli import main
main()
"""


def talkbase(project: Path, *args: str, kill: tuple[str, int] | None = None, log: Path | None = None,
             umask: int = -1, timeout: float = 180) -> subprocess.CompletedProcess:
    """`talkbase ARGS` in `project`; with kill=(pattern, n), SIGKILL right before the n-th operation matching pattern
    (`open PATH` for writing, `os.rename SRC`, `os.remove PATH`, `os.mkdir PATH`, `shutil.rmtree PATH`, `git ARGS`)."""
    env = {**os.environ, "TMPDIR": str(project.parent / "tmp")}  # publish's temporary folder is looked for there
    (project.parent / "tmp").mkdir(exist_ok=True)
    command = [TALKBASE, *args]
    if kill:
        env |= {"KILL_MATCH": kill[0], "KILL_AT": str(kill[1]), "KILL_LOG": str(log or "")}
        command = [sys.executable, "-c", KILLER, *args]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=timeout, env=env, umask=umask)


def killed(project: Path, *args: str, at: tuple[str, int], timeout: float = 180) -> None:
    result = talkbase(project, *args, kill=at, timeout=timeout)
    assert result.returncode == -signal.SIGKILL, f"not killed at {at} (exit {result.returncode}):\n{result.stderr}"


def moments(project: Path, pattern: str, *args: str) -> list[str]:
    """The operations matching `pattern` that an uninterrupted `talkbase ARGS` makes, in order (it must succeed)."""
    log = project.parent / "moments.log"
    result = talkbase(project, *args, kill=(pattern, 0), log=log)
    assert result.returncode == 0, result.stderr
    return log.read_text().splitlines()


def spread(seen: list[str]) -> list[int]:
    """Five moments of a run of `moments`, 1-based: before its first write, before a rename a quarter and three
    quarters into it (a temporary file is left), before another write halfway, before its very last operation."""
    renames = [i for i, line in enumerate(seen, 1) if line.startswith("os.rename ")]
    others = [i for i, line in enumerate(seen, 1) if not line.startswith("os.rename ")]
    return sorted({1, renames[len(renames) // 4], others[len(others) // 2], renames[3 * len(renames) // 4], len(seen)})


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def assert_same(actual: dict[str, bytes], expected: dict[str, bytes], what: str) -> None:
    extra, missing = sorted(actual.keys() - expected.keys()), sorted(expected.keys() - actual.keys())
    differ = sorted(k for k in actual.keys() & expected.keys() if actual[k] != expected[k])
    assert not (extra or missing or differ), f"{what}: extra {extra[:5]}, missing {missing[:5]}, differing {differ[:5]}"


def ok(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stderr


SERIES = (ROOT / "series.yml").read_text(encoding="utf-8")
EPISODE_000 = (ROOT / "talks/000.yaml").read_text(encoding="utf-8")


def inputs(project: Path, changed: bool) -> None:
    """The bundled inputs, or changed ones: another series name (most pages change) and episode 000 gone (a page
    is removed)."""
    (project / "series.yml").write_text(SERIES.replace("\nname: OpenLLM Talk\n", "\nname: OpenLLM Talk B\n")
                                        if changed else SERIES, encoding="utf-8")
    if changed:
        (project / "talks/000.yaml").unlink(missing_ok=True)
    else:
        (project / "talks/000.yaml").write_text(EPISODE_000, encoding="utf-8")


def mixed(now: dict[str, bytes], before: dict[str, bytes], after: dict[str, bytes]) -> bool:
    """Whether docs/ holds some pages as they were and some as the interrupted run was writing them."""
    pages = [rel for rel in before.keys() & after.keys() if before[rel] != after[rel] and not rel.startswith(".")]
    return any(now.get(rel) == before[rel] for rel in pages) and any(now.get(rel) == after[rel] for rel in pages)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_generate_and_serve_killed_while_writing_pages_recover_by_themselves(tmp_path):
    """Each kill is followed by a run that finishes the interrupted change or, every other time, one that goes back
    to the inputs before it: then pages hold what the killed run wrote, which is neither old nor new output."""
    project = make_project(tmp_path / "project")
    docs = project / "docs"
    writes = rf"^(open|os\.rename|os\.remove) {re.escape(str(docs))}/"
    ok(talkbase(project, "generate"))
    clean = {False: tree(docs)}
    plan = {}
    for changed in (True, False):
        inputs(project, changed)
        plan[changed] = spread(moments(project, writes, "generate"))
        clean[changed] = tree(docs)
    assert_same(clean[False], tree(docs), "generating the bundled inputs again")

    name = {True: "changed", False: "bundled"}
    state, step, landed, temporaries = False, 0, 0, 0
    while plan[True] or plan[False]:
        target = not state
        if not plan[target]:  # only the other direction is left: get there with a plain run
            inputs(project, target)
            ok(talkbase(project, "generate"))
            state = target
            continue
        at = plan[target].pop(0)
        inputs(project, target)
        if step == 3:  # the preview's first build writes the pages the same way
            killed(project, "serve", "--port", str(free_port()), at=(writes, at), timeout=60)
        else:
            killed(project, "generate", at=(writes, at))
        now = tree(docs)
        landed += mixed(now, clean[state], clean[target])
        temporaries += any(rel.endswith(".tmp") for rel in now)
        if step == 2:  # a page a person edited while the manifest holds an interrupted run's record is still refused
            page = docs / "talks/003.md"
            edited = page.read_bytes() + "\n我的笔记\n".encode()
            page.write_bytes(edited)
            refused = talkbase(project, "generate")
            assert refused.returncode == 1 and "talks/003.md: generated file was edited by hand" in refused.stderr
            assert page.read_bytes() == edited
            page.unlink()
        rerun = target if step % 2 else state
        inputs(project, rerun)
        ok(talkbase(project, "generate"))
        assert_same(tree(docs), clean[rerun], f"after a kill at write {at} towards {name[target]} inputs, "
                                              f"generating {name[rerun]} ones")
        state, step = rerun, step + 1
    print(f"{step} kills: {landed} between two page writes, {temporaries} left a temporary file")
    assert landed >= 5 and temporaries >= 5  # 6 and 6 of 10 when written: three moments of each direction


def test_build_killed_at_any_moment_leaves_a_project_the_next_build_restores(tmp_path):
    project = make_project(tmp_path / "project")
    docs, site = project / "docs", project / "site"
    ok(talkbase(project, "build"))
    clean_docs, clean_site = tree(docs), tree(site)
    sites = rf"^(open|os\.rename|os\.mkdir|shutil\.rmtree) {re.escape(str(project))}/\.?site\b"
    seen = moments(project, sites, "build")
    assert_same(tree(site), clean_site, "building the same inputs again")
    opens = [i for i, line in enumerate(seen, 1) if line.startswith("open ")]
    swaps = [i for i, line in enumerate(seen, 1)
             if line.startswith(("os.rename ", "shutil.rmtree "))  # of site/ itself,
             and Path(line.split()[1]).parent == project][:3]  # not of a folder inside the site being built
    # the old site moved aside, the new one moved in, the old one removed
    assert [seen[i - 1].split()[0] for i in swaps] == ["os.rename", "os.rename", "shutil.rmtree"], seen[-4:]
    points = [opens[len(opens) // 2], *swaps]

    def restored(what: str, keep: tuple[str, ...] = ()) -> None:
        ok(talkbase(project, "build"))
        assert_same(tree(site), clean_site, f"site/ rebuilt {what}")
        assert_same(tree(docs), clean_docs, f"docs/ {what}")
        assert sorted(p.name for p in project.iterdir() if "site" in p.name) == sorted(["site", *keep]), what

    without_site = partial = 0
    for at in points:
        killed(project, "build", at=(sites, at))
        without_site += not site.exists()
        partial += any(p.name.startswith(".site") for p in project.iterdir())
        restored(f"after a kill at moment {at} of {len(seen)}")
    assert without_site == 1 and partial == len(points)

    inputs(project, True)  # killed while the build's generator writes the pages, then back to the bundled inputs
    writes = rf"^(open|os\.rename) {re.escape(str(docs))}/talks/"
    killed(project, "build", at=(writes, 4))
    assert tree(docs) != clean_docs
    inputs(project, False)
    live = project / f".site.talkbase-{os.getpid()}-0123abcd.tmp"  # as if this process were building: left alone
    for folder in [project / ".site.new-abcd1234", project / ".site.old-99", live]:  # the first two: older versions'
        folder.mkdir()
    restored("after a kill while writing pages", keep=(live.name,))
    live.rmdir()

    page = docs / "talks/003.md"  # a page a person edited is refused, not overwritten, and the site stays
    edited = page.read_bytes() + "\n我的笔记\n".encode()
    page.write_bytes(edited)
    refused = talkbase(project, "build")
    assert refused.returncode == 1 and "talks/003.md: generated file was edited by hand" in refused.stderr
    assert page.read_bytes() == edited
    assert_same(tree(site), clean_site, "site/ after a refused build")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def test_publish_killed_before_the_push_mid_build_and_after_it_publishes_on_the_next_run(tmp_path):
    project = make_project(tmp_path / "project")
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "sources")
    origin, reference = tmp_path / "origin.git", tmp_path / "reference.git"
    for bare in (origin, reference):
        git(tmp_path, "init", "-q", "--bare", str(bare))
    git(project, "remote", "add", "origin", str(origin))
    ok(talkbase(project, "publish", "--remote", str(reference)))
    expected = git(reference, "rev-parse", "gh-pages^{tree}")
    temporary = tmp_path / "tmp"

    def leftovers() -> list[str]:
        return [p.name for p in temporary.iterdir() if "publish" in p.name]

    for at, what in [((r"^subprocess\.Popen git push ", 1), "before the push"),
                     ((r"^open .*/site/talks/", 1), "while building"),
                     ((r"^shutil\.rmtree .*publish", 1), "after publishing, before cleaning up")]:
        killed(project, "publish", at=at)
        assert leftovers(), what
        if what == "before the push":
            assert git(origin, "branch", "--list") == "", "a publish killed before its push published something"
        ok(talkbase(project, "publish"))
        assert git(origin, "rev-parse", "gh-pages^{tree}") == expected, what
        assert leftovers() == [], what
    assert git(origin, "rev-list", "--count", "gh-pages") == "1"


def test_a_file_that_holds_what_would_be_written_is_never_a_conflict(tmp_path):
    """Only a file holding something talkbase did not write is refused: a manifest that records another digest
    (as a killed run of an earlier version left it) does not make a page holding exactly its output a conflict."""
    project = make_project(tmp_path / "project")
    docs = project / "docs"
    ok(talkbase(project, "generate"))
    clean = tree(docs)
    manifest = docs / ".talkbase-generated.json"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        f'"talks/003.md": "{hashlib.sha256(clean["talks/003.md"]).hexdigest()}"',
        f'"talks/003.md": "{"0" * 64}"'), encoding="utf-8")
    assert manifest.read_bytes() != clean[".talkbase-generated.json"]
    ok(talkbase(project, "generate"))
    assert_same(tree(docs), clean, "docs/ after generating over a manifest with a stale digest")

    mine = docs / "papers.md"  # with no manifest: a person's file where talkbase would write one is refused
    manifest.unlink()
    mine.write_text("# 我的论文清单\n", encoding="utf-8")
    (docs / "talks/003.md").write_bytes(clean["talks/003.md"])
    refused = talkbase(project, "generate")
    assert refused.returncode == 1, refused.stderr
    assert "papers.md: exists and was not generated by talkbase" in refused.stderr
    assert "talks/003.md" not in refused.stderr  # it holds exactly what would be written
    assert mine.read_text(encoding="utf-8") == "# 我的论文清单\n"


def test_site_and_generated_files_get_the_usual_permissions(tmp_path):
    """0755 folders and 0644 files under umask 022, less under a stricter umask: what any program's new files get."""
    wrong = []
    for umask in (0o022, 0o077):
        project = make_project(tmp_path / f"umask-{umask:03o}")
        docs = project / "docs"
        before = {p for p in docs.rglob("*") if p.is_dir()}
        ok(talkbase(project, "build", umask=umask))
        generated = [docs / rel for rel in json.loads((docs / ".talkbase-generated.json").read_text())]
        site = [project / "site", *(project / "site").rglob("*")]
        files = [docs / ".talkbase-generated.json", *generated, *(p for p in site if p.is_file())]
        folders = [*(p for p in site if p.is_dir()), *(p for p in docs.rglob("*") if p.is_dir() and p not in before)]
        assert docs / "talks" in folders and len(files) > 100
        wrong += [f"{p.relative_to(tmp_path)} {p.stat().st_mode & 0o777:03o}" for p in files
                  if p.stat().st_mode & 0o777 != 0o666 & ~umask]
        wrong += [f"{p.relative_to(tmp_path)}/ {p.stat().st_mode & 0o777:03o}" for p in folders
                  if p.stat().st_mode & 0o777 != 0o777 & ~umask]
    assert not wrong, f"{len(wrong)} with other permissions: {wrong[:6]}"
