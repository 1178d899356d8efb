"""The generated pages need no talkbase plugin to be right: `talkbase generate` writes Markdown whose math is
MathML already, whose anchors, video and notebook outputs are in place, and ProperDocs (a maintained fork of
MkDocs 1.x), with Material and without the talkbase plugin, builds it into the same episode pages."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
from conftest import build, early_project
from test_cli import talkbase

PROPERDOCS = Path(sys.executable).with_name("properdocs")


def without_plugin(config: Path) -> None:
    """mkdocs.yml without the talkbase plugin: every other setting as it is."""
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if line.strip() != "- talkbase"]
    assert len(kept) == len(lines) - 1, "the talkbase plugin is listed once in mkdocs.yml"
    config.write_text("".join(kept), encoding="utf-8")


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[Path, Path]:
    """The early episodes built by MkDocs with the plugin, and by ProperDocs from `talkbase generate` alone."""
    if not PROPERDOCS.exists():
        pytest.fail("properdocs is not installed: pip install -e '.[test]'")
    with_plugin = build(early_project(tmp_path_factory.mktemp("plugin") / "project"))
    project = early_project(tmp_path_factory.mktemp("plain") / "project")
    generated = talkbase(project, "generate")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    without_plugin(project / "mkdocs.yml")
    shutil.rmtree(project / "site", ignore_errors=True)
    built = subprocess.run([str(PROPERDOCS), "build", "--strict", "-d", str(project / "plain-site")], cwd=project,
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    return with_plugin, project / "plain-site"


def article(site: Path, page: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((site / page / "index.html").read_bytes()).xpath("//article")[0]


def test_properdocs_builds_every_page_the_plugin_builds(both):
    with_plugin, plain = both
    pages = {p.relative_to(with_plugin).as_posix() for p in with_plugin.rglob("index.html")}
    assert pages <= {p.relative_to(plain).as_posix() for p in plain.rglob("index.html")}
    assert "talks/003/index.html" in pages


def test_math_is_mathml_in_the_markdown_so_it_shows_without_the_plugin(both):
    with_plugin, plain = both
    maths = article(plain, "talks/003").xpath(".//*[local-name()='math']")
    assert len(maths) >= 20
    assert [m.get("alttext") for m in maths] == [m.get("alttext") for m in
                                                 article(with_plugin, "talks/003").xpath(".//*[local-name()='math']")]
    assert "N = sL" in [m.get("alttext") for m in maths]  # 003's NTK formula, as the notes wrote it
    text = article(plain, "talks/003").text_content()
    assert "$" not in text  # no TeX left to read
    assert not article(plain, "talks/003").xpath(".//*[contains(@class, 'arithmatex')]")


def test_anchors_video_and_notebook_outputs_are_in_place_without_the_plugin(both):
    with_plugin, plain = both
    for page in ("talks/003", "talks/002", "topics/rope", "people/xianyu"):
        ids = set(article(plain, page).xpath(".//@id"))
        assert ids == set(article(with_plugin, page).xpath(".//@id")), page
    ids = set(article(plain, "talks/003").xpath(".//@id"))
    assert {"record", "news", "news-1", "practice", "free-talk", "q-1"} <= ids
    assert article(plain, "talks/003").xpath(".//iframe[starts-with(@src, 'https://player.bilibili.com/')]")
    images = [src for src in article(plain, "talks/003").xpath(".//img/@src") if "assets/demos/" in src]
    assert images, "the notebook's frozen plots"
    for src in images:
        assert (plain / "talks" / "003" / src).resolve().is_file(), src
