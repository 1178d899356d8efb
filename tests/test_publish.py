"""`talkbase publish` against a real bare git repository: the branch holds the site, history is kept,
and a failed validation or build leaves the published site exactly as it was.

The project is itself a git checkout whose `origin` is the bare repository, as in CI, so the
default remote and branch (mkdocs.yml's remote_name/remote_branch: origin, gh-pages) are used.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, early_project, make_project

from talkbase.publish import BuildFailed, PublishFailed, placeholder_address, publish

TALKBASE = str(Path(sys.executable).with_name("talkbase"))


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def talkbase(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([TALKBASE, *args], cwd=project, capture_output=True, text=True, timeout=180)


def published(remote: Path) -> str:
    return git(remote, "rev-parse", "refs/heads/gh-pages")


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> tuple[Path, Path, str]:
    """A committed project checkout, a bare `origin`, and the commit id of a first publish. The checkout holds
    the early episodes 000-003, so the tests below add 004 and 005 as the next episodes."""
    root = tmp_path_factory.mktemp("publish")
    remote = root / "origin.git"
    git(root, "init", "-q", "--bare", str(remote))
    project = early_project(root / "project")
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "sources")
    git(project, "remote", "add", "origin", str(remote))
    result = talkbase(project, "publish")
    assert result.returncode == 0, result.stderr
    return project, remote, published(remote)


def test_publish_puts_the_site_on_the_branch(setup):
    project, remote, first = setup
    files = git(remote, "ls-tree", "-r", "--name-only", first).splitlines()
    assert {"index.html", "talks/003/index.html", "talks/index.html", "sitemap.xml", ".nojekyll"} <= set(files)
    assert "OpenLLM Talk 003" in git(remote, "show", f"{first}:talks/003/index.html")
    source = git(project, "rev-parse", "--short", "HEAD")
    assert git(remote, "log", "--format=%s", first) == f"Publish site from {source}"


def test_publish_leaves_the_checkout_alone(setup):
    project, _, _ = setup
    assert git(project, "branch", "--list") == "* main"  # no local gh-pages branch
    assert git(project, "log", "--format=%s") == "sources"
    assert subprocess.run(["git", "diff", "--cached", "--quiet"], cwd=project).returncode == 0


def test_second_publish_is_a_fast_forward_keeping_history(setup):
    project, remote, _ = setup
    before = published(remote)
    assert talkbase(project, "new", "--date", "2023-07-15").returncode == 0
    try:
        result = talkbase(project, "publish", "-m", "Add 004")
        assert result.returncode == 0, result.stderr
        after = published(remote)
        assert git(remote, "rev-list", "--count", after) == str(int(git(remote, "rev-list", "--count", before)) + 1)
        assert git(remote, "rev-parse", f"{after}^") == before  # fast-forward: the old site is the parent
        assert "OpenLLM Talk 004" in git(remote, "show", f"{after}:talks/004/index.html")
        assert git(remote, "log", "-1", "--format=%s", after) == "Add 004"
    finally:
        (project / "talks/004.yaml").unlink()


def test_invalid_episode_publishes_nothing(setup):
    project, remote, _ = setup
    before = published(remote)
    bad = project / "talks/005.yaml"
    bad.write_text("number: 5\ndate: 2023-07-22\ntitel: 拼错\n", encoding="utf-8")
    try:
        result = talkbase(project, "publish")
    finally:
        bad.unlink()
    assert result.returncode == 1
    assert result.stdout.startswith("talks/005.yaml:3:1: unknown key 'titel' at the top level; did you mean 'title'?")
    assert "Fix these first; nothing was published." in result.stderr and "Traceback" not in result.stderr
    assert published(remote) == before


def test_failing_strict_build_publishes_nothing(setup):
    project, remote, _ = setup
    before = published(remote)
    page = project / "docs/broken.md"
    page.write_text("# Broken\n\n[gone](missing.md)\n", encoding="utf-8")  # valid episodes, but a build warning
    try:
        with pytest.raises(BuildFailed, match="'missing.md', but the target is not found"):
            publish(project / "mkdocs.yml", "origin", "gh-pages")
    finally:
        page.unlink()
    assert published(remote) == before


def test_unknown_remote_is_an_error_not_a_traceback(tmp_path):
    project = make_project(tmp_path / "project")  # not a git checkout: a remote name cannot be looked up
    with pytest.raises(PublishFailed, match="'upstream' is not a remote: .* is not in a git repository"):
        publish(project / "mkdocs.yml", "upstream", "gh-pages")
    result = talkbase(project, "publish", "--remote", str(tmp_path / "missing.git"))
    assert result.returncode == 1
    assert "talkbase publish: cannot reach" in result.stderr and "nothing was published" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("site_url, placeholder", [
    ("https://openllm-talk.example.org/", True), ("https://example.com/talks/", True), ("http://talks.test/", True),
    ("http://localhost:8000/", True), ("", True), ("https://openllm-talk.github.io/", False),
    ("https://example.organic.cn/", False), ("https://myexample.org/", False)])
def test_placeholder_addresses_are_the_reserved_names(site_url, placeholder):
    assert (placeholder_address(site_url) is not None) is placeholder


def test_publishing_for_a_placeholder_address_warns(tmp_path):
    """The feed and the calendar of a site published for a placeholder site_url link to that placeholder."""
    remote = tmp_path / "site.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    project = make_project(tmp_path / "project")
    first = talkbase(project, "publish", "--remote", str(remote))
    assert first.returncode == 0, first.stderr
    assert "WARNING - site_url https://openllm-talk.example.org/ is a placeholder (example.org is reserved" \
        in first.stderr
    assert "set site_url in mkdocs.yml" in first.stderr
    config = project / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("https://openllm-talk.example.org/",
                                                                 "https://openllm-talk.github.io/"), encoding="utf-8")
    second = talkbase(project, "publish", "--remote", str(remote))
    assert second.returncode == 0, second.stderr
    assert "WARNING" not in second.stderr
    assert "https://openllm-talk.github.io/talks/003/" in git(remote, "show", "gh-pages:feed.xml")


def test_ci_workflow_validates_then_publishes_with_write_permission():
    workflow = yaml.safe_load((ROOT / ".github/workflows/publish.yml").read_text(encoding="utf-8"))
    assert workflow[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads the key `on` as true
    assert workflow["permissions"] == {"contents": "write"}
    steps = workflow["jobs"]["publish"]["steps"]
    assert any(s.get("with", {}).get("python-version") == "3.11" for s in steps)
    runs = [s.get("run", "") for s in steps]
    order = [next(i for i, r in enumerate(runs) if cmd in r)
             for cmd in ("pip install -e .", "talkbase validate", "talkbase publish")]
    assert order == sorted(order)
