"""Images and files beside an episode (issue 16): linked in any text relative to the YAML file it is written in,
they reach every page that shows the text and the published site; `talkbase validate` reports a missing file, a
path out of the project and a missing alt text at the line of the key, and only warns about a large image.

Checked on the HTML of real strict builds, as a reader's browser would resolve each `src` and `href`.
"""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner, Result
from conftest import FIXTURES, build, make_project

from talkbase.cli import cli
from talkbase.settings import mkdocs_config

BESIDE = FIXTURES / "images"
QR = "  ![微信群二维码](images/wechat-qr.png)\n\n"  # series.yml's join text, above its list of groups
PHOTO = 1024 * 1024 + 1  # bytes: just above the size validate warns at


def add_qr_code(project: Path) -> None:
    series = project / "series.yml"
    text = series.read_text(encoding="utf-8")
    assert "  - **微信群**" in text
    series.write_text(text.replace("  - **微信群**", QR + "  - **微信群**", 1), encoding="utf-8")


def validate(project: Path) -> Result:
    return CliRunner().invoke(cli, ["--config", str(project / "mkdocs.yml"), "validate"], catch_exceptions=False)


class _Targets(HTMLParser):
    """The `src` of each <img> by its alt text, and every <a href>, of one page."""

    def __init__(self):
        super().__init__()
        self.images: dict[str, str] = {}
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img" and attrs.get("src"):
            self.images[attrs.get("alt") or ""] = attrs["src"]
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def targets(site: Path, page: str) -> _Targets:
    parser = _Targets()
    parser.feed((site / page / "index.html").read_text(encoding="utf-8"))
    return parser


def fetched(site: Path, page: str, url: str) -> bytes:
    """The bytes a browser gets for `url` on the page at `page`/: a relative address, looked up in the site."""
    parts = urlsplit(url)
    assert not parts.scheme and not parts.netloc and not url.startswith("/"), url
    path = (site / page / unquote(parts.path)).resolve()
    assert path.is_relative_to(site.resolve()) and path.is_file(), f"{url} on {page}/ is not a file of the site"
    return path.read_bytes()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The bundled project with episode 010 and its images, the QR code in series.yml and a large photo; strict."""
    project = make_project(tmp_path_factory.mktemp("images") / "project", "images")
    add_qr_code(project)
    (project / "talks" / "images" / "010-photo.jpg").write_bytes(b"\xff" * PHOTO)
    episode = project / "talks" / "010.yaml"
    episode.write_text(episode.read_text(encoding="utf-8") + "\n  ![会场照片](images/010-photo.jpg)\n",
                       encoding="utf-8")
    build(project)
    return project


def test_an_image_reaches_the_episode_page_and_the_site_with_its_bytes(built):
    """Inline and reference-style images alike; the allowlist keeps their relative `src`."""
    images = targets(built / "site", "talks/010").images
    assert fetched(built / "site", "talks/010", images["2023 年高考数学第一题"]) == \
        (BESIDE / "talks/images/010-gaokao.png").read_bytes()
    assert fetched(built / "site", "talks/010", images["模型结构"]) == \
        (BESIDE / "talks/images/010-arch.png").read_bytes()


def test_an_image_of_series_yml_shows_on_the_home_page_and_on_every_episode_page(built):
    """Written relative to series.yml, it resolves from the home page and from talks/NNN/ alike."""
    qr = (BESIDE / "images/wechat-qr.png").read_bytes()
    for page in ("", "talks/003"):
        assert fetched(built / "site", page, targets(built / "site", page).images["微信群二维码"]) == qr


def test_an_image_in_an_item_title_resolves_on_the_topic_page_too(built):
    """The same text on another page gets a path from that page: topics/高考数学/ lists the item by its title."""
    images = targets(built / "site", "topics/高考数学").images
    assert fetched(built / "site", "topics/高考数学", images["评测集标志"]) == \
        (BESIDE / "talks/images/010-arch.png").read_bytes()


def test_a_linked_pdf_reaches_the_site_and_keeps_its_fragment(built):
    links = [url for url in targets(built / "site", "talks/010").links if "010-slides.pdf" in url]
    assert len(links) == 1 and links[0].endswith("#page=2")
    assert fetched(built / "site", "talks/010", links[0]) == (BESIDE / "talks/files/010-slides.pdf").read_bytes()


def test_a_large_image_only_warns_and_builds_strictly(built):
    """Size is a matter of taste, not of correctness: validate says so at the key, exit 0; the strict build passed."""
    result = validate(built)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "talks/010.yaml:10:8: warning: notes: talks/images/010-photo.jpg is 1025 KiB, more than 1 MiB: every reader "
        "of the page downloads it; compress it or make it smaller"]
    assert "no problems, 1 warning(s)" in result.stderr
    assert (built / "site/talks/images/010-photo.jpg").stat().st_size == PHOTO


NOT_PUBLISHED = """number: 11
date: 2023-08-19
notes: |
  ![缺失的图](images/missing.png) and ![密码](../../etc/passwd.png), in code `![](images/x.png)` is only shown
summary: ['![根](/etc/hosts.png)']
practice:
  body: "![](images/010-gaokao.png), ![外链](images/out.png), ![矢量图](images/x.svg), ![源](010.yaml)"
  note: '![站点](../docs/assets/screenshot-003.png) ![反斜杠](images\\010-gaokao.png) ![隐藏](../.git/x.png) ![][arch]'
classics:
  body: '![截图](../assets/screenshot-003.png) was always a link to a file of docs/, from the page'
"""
REPORTED = [
    "talks/011.yaml:3:8: notes: file not found: talks/images/missing.png (the link 'images/missing.png')",
    "talks/011.yaml:3:8: notes: the link '../../etc/passwd.png' points outside the project",
    "talks/011.yaml:5:11: summary[1]: the link '/etc/hosts.png' is an absolute path; write it relative to the file it "
    "is written in",
    "talks/011.yaml:7:9: practice.body: the image 'images/010-gaokao.png' has no alt text; write what it shows between "
    "its brackets, for readers who cannot see it",
    "talks/011.yaml:7:9: practice.body: the link '010.yaml' names a .yaml file; only images (.avif, .gif, .jpeg, .jpg, "
    ".png, .webp) and .pdf files are published with the site",
    "talks/011.yaml:7:9: practice.body: the link 'images/out.png' names talks/images/out.png, a link to a file outside "
    "the project",
    "talks/011.yaml:7:9: practice.body: the link 'images/x.svg' names a .svg file; only images (.avif, .gif, .jpeg, "
    ".jpg, .png, .webp) and .pdf files are published with the site",
    "talks/011.yaml:8:9: practice.note: the image [arch] has no alt text; write what it shows between its first "
    "brackets, for readers who cannot see it",
    "talks/011.yaml:8:9: practice.note: the link '../.git/x.png' names a hidden file, .git/x.png, "
    "which is not published",
    "talks/011.yaml:8:9: practice.note: the link '../docs/assets/screenshot-003.png' names "
    "docs/assets/screenshot-003.png, in docs/, where the site is made; keep the file beside the text that shows it",
    "talks/011.yaml:8:9: practice.note: the link 'images\\\\010-gaokao.png' has a backslash; write '/' between folders",
]


def test_validate_reports_what_cannot_reach_the_site_at_the_key(tmp_path):
    """Missing, out of the project (`..`, an absolute path, a link out, a hidden or generated place), of a kind a
    browser could run, without alt text: one line each at path:line:column, exit 1."""
    project = make_project(tmp_path / "project", "images")
    (project / "talks" / "011.yaml").write_text(NOT_PUBLISHED, encoding="utf-8")
    (project / "talks" / "images" / "x.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"secret")
    os.symlink(outside, project / "talks" / "images" / "out.png")
    result = validate(project)
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == REPORTED


def test_an_image_deleted_since_the_last_build_is_missing_though_docs_still_has_its_copy(tmp_path):
    project = make_project(tmp_path / "project", "images")
    assert CliRunner().invoke(cli, ["--config", str(project / "mkdocs.yml"), "generate"]).exit_code == 0
    assert (project / "docs/talks/images/010-gaokao.png").is_file()
    (project / "talks/images/010-gaokao.png").unlink()
    result = validate(project)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "talks/010.yaml:10:8: notes: file not found: talks/images/010-gaokao.png (the link 'images/010-gaokao.png')"]


def test_an_edited_image_reaches_the_site_on_the_next_build_of_the_preview(tmp_path):
    """`talkbase serve` rebuilds only what changed and keeps unchanged pages from its last render: the image's
    bytes are copied again all the same."""
    project = make_project(tmp_path / "project", "images")
    site = build(project)
    image = project / "talks/images/010-gaokao.png"
    assert (site / "talks/images/010-gaokao.png").read_bytes() == image.read_bytes()
    image.write_bytes((BESIDE / "images/wechat-qr.png").read_bytes())  # another picture, same name

    from mkdocs.commands.build import build as mkdocs_build

    config = mkdocs_config(project / "mkdocs.yml", site_dir=str(site), strict=False)  # a dirty build warns that it is
    config.plugins.on_startup(command="serve", dirty=True)
    try:
        mkdocs_build(config, dirty=True)
    finally:
        config.plugins.on_shutdown()
    assert (site / "talks/images/010-gaokao.png").read_bytes() == image.read_bytes()
