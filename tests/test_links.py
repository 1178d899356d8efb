"""No broken links: every internal link and anchor of the built site resolves; external links are listed.

The internal walk is written here with lxml, independently of `talkbase links` (which uses the
standard library's parser), so the two cross-check each other on the external links they find.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html
import pytest
import yaml
from browser_kit import SiteServer
from click.testing import CliRunner

from talkbase.cli import cli
from talkbase.linkcheck import LinkResult, check_urls, page_of, site_links

HOST = "site.invalid"  # the built site, as if served at the root of this host
REFERENCES = {"a": "href", "area": "href", "link": "href", "img": "src", "script": "src", "iframe": "src",
              "source": "src"}
ARXIV = "https://arxiv.org/abs/2303.18223"


@lru_cache(maxsize=None)
def _parse(file: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(file.read_bytes())


def _ids(file: Path) -> frozenset[str]:
    """What a fragment can point at in a page: ids, and the names of <a> elements (HTML's fallback)."""
    doc = _parse(file)
    return frozenset(doc.xpath("//@id")) | frozenset(doc.xpath("//a/@name"))


def _target(site: Path, path: str) -> Path | None:
    """The file a static server answers with for a URL path of the site, or None (404)."""
    rel = unquote(path).lstrip("/")
    candidate = site / rel
    if path.endswith("/") or candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


def walk(site: Path) -> tuple[list[str], dict[str, int], set[str]]:
    """Check every reference of every HTML page of `site`.

    Returns the problems (one line each), counts of what was checked, and the external URLs met.
    """
    problems: list[str] = []
    counts = {"pages": 0, "internal": 0, "fragments": 0}
    external: set[str] = set()
    for file in sorted(site.rglob("*.html")):
        counts["pages"] += 1
        page = page_of(site, file)
        base = f"http://{HOST}{page}"
        for element in _parse(file).iter(*REFERENCES):
            ref = element.get(REFERENCES[element.tag])
            if ref is None or not ref.strip():
                continue
            ref = ref.strip()
            url = urljoin(base, ref)
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") and parts.netloc != HOST:
                external.add(ref if not ref.startswith("//") else "https:" + ref)
                continue
            if parts.scheme not in ("http", "https"):
                continue  # mailto:, tel:, data:...
            counts["internal"] += 1
            target = _target(site, parts.path)
            if target is None:
                problems.append(f"{page}: {element.tag} {ref!r} -> {unquote(parts.path)} does not exist")
                continue
            fragment = unquote(parts.fragment)
            if fragment and element.tag in ("a", "area"):
                counts["fragments"] += 1
                if target.suffix == ".html" and fragment not in _ids(target):
                    problems.append(f"{page}: {ref!r} -> no element with id {fragment!r} in {page_of(site, target)}")
    return problems, counts, external


def test_every_internal_link_and_anchor_resolves(site):
    problems, counts, _ = walk(site)
    assert not problems, "\n".join(problems)
    # the walk really covered the site: every page, its assets, the anchors of items and sections
    assert counts["pages"] >= 30
    assert counts["internal"] >= 1000
    assert counts["fragments"] >= 200


def test_the_walk_finds_broken_pages_and_anchors(tmp_path):
    """The walker itself, on a small hand-made site with known mistakes."""
    site = tmp_path / "site"
    (site / "talks/003").mkdir(parents=True)
    (site / "topics/位置编码").mkdir(parents=True)
    (site / "index.html").write_text(
        '<html><body><a href="talks/003/#rec-2">ok</a> <a href="talks/003/#nope">bad anchor</a>'
        ' <a href="talks/004/">missing page</a> <a href="topics/%E4%BD%8D%E7%BD%AE%E7%BC%96%E7%A0%81/">ok</a>'
        ' <img src="assets/missing.png" alt="x"> <a href="https://example.org/x">external</a>'
        ' <a href="mailto:a@b.c">mail</a> <a href="#top">self</a><span id="top"></span></body></html>',
        encoding="utf-8")
    (site / "talks/003/index.html").write_text(
        '<html><body><h4 id="rec-2">x</h4><a href="../../#top">home</a><a href="../../#gone">x</a></body></html>',
        encoding="utf-8")
    (site / "topics/位置编码/index.html").write_text('<html><body><a href="../../talks/003/">x</a></body></html>',
                                                   encoding="utf-8")
    problems, counts, external = walk(site)
    assert problems == [
        "/: 'talks/003/#nope' -> no element with id 'nope' in /talks/003/",
        "/: a 'talks/004/' -> /talks/004/ does not exist",
        "/: img 'assets/missing.png' -> /assets/missing.png does not exist",
        "/talks/003/: '../../#gone' -> no element with id 'gone' in /",
    ]
    assert external == {"https://example.org/x"}
    assert counts == {"pages": 3, "internal": 9, "fragments": 5}


def test_external_links_are_listed_with_the_pages_that_use_them(site):
    found = site_links(site)
    assert found[ARXIV] == ["/papers/", "/talks/003/"]
    assert "/talks/003/" in found["https://player.bilibili.com/player.html?bvid=BV1Kh4y1E7nX&autoplay=0&t=610"]
    assert all(not url.startswith(("http://site.invalid", "/", "#", "..")) for url in found)
    # the lxml walk and the command's own parser agree on the external links of the whole site
    _, _, external = walk(site)
    assert set(found) == external


def _strings(node) -> list[str]:
    """Every text in a parsed YAML file."""
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


def _listing(output: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = None
    for line in output.splitlines():
        if line.startswith("    ") and current:
            out[current].append(line.strip())
        elif line.startswith(("http://", "https://")):
            current = line
            out[current] = []
    return out


def test_links_command_lists_the_external_links_of_a_built_site(site):
    result = CliRunner().invoke(cli, ["links", "--site-dir", str(site)])
    assert result.exit_code == 0, result.output
    listed = _listing(result.stdout)
    assert listed[ARXIV] == ["/papers/", "/talks/003/"]
    assert listed == site_links(site)
    assert f"{len(listed)} external link(s) on" in result.stderr

    as_json = CliRunner().invoke(cli, ["links", "--site-dir", str(site), "--json"])
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout)[ARXIV] == ["/papers/", "/talks/003/"]


def test_links_command_lists_the_links_written_in_the_episodes(project):
    result = CliRunner().invoke(cli, ["--config", str(project / "mkdocs.yml"), "links", "--episodes"])
    assert result.exit_code == 0, result.output
    listed = _listing(result.stdout)
    assert listed[ARXIV] == ["/talks/003/"]
    # a long share URL is listed whole, query and all: each one 003 writes for the GLM talk, as written
    talk = yaml.safe_load((project / "talks/003.yaml").read_text(encoding="utf-8"))
    written = sorted({u for u in _strings(talk) if "BV1zM4y1j7zt" in u})
    assert written and all(u.endswith("&unique_k=2Z19cPm&up_id=503316308") for u in written)
    glm = sorted(u for u in listed if "BV1zM4y1j7zt" in u)
    assert glm == written and all(listed[u] == ["/talks/003/"] for u in glm)
    assert "/talks/002/" in listed["https://zhuanlan.zhihu.com/p/641285737"]


def test_links_command_explains_what_is_missing(tmp_path):
    runner = CliRunner()
    no_site = runner.invoke(cli, ["links", "--site-dir", str(tmp_path / "nothing")])
    assert no_site.exit_code == 2
    assert "run talkbase build first" in no_site.stderr
    no_config = runner.invoke(cli, ["--config", str(tmp_path / "mkdocs.yml"), "links", "--episodes"])
    assert no_config.exit_code == 2
    assert "no mkdocs.yml" in no_config.stderr
    both = runner.invoke(cli, ["links", "--episodes", "--site-dir", str(tmp_path)])
    assert both.exit_code == 2


@pytest.fixture
def local_web(tmp_path):
    """A real HTTP server on 127.0.0.1 standing in for 'the internet' (this machine has none)."""
    root = tmp_path / "web"
    root.mkdir()
    (root / "here.html").write_text("<p>here</p>", encoding="utf-8")
    server = SiteServer(root)
    yield server
    server.close()


def test_online_check_reports_what_fails(local_web, tmp_path):
    ok, missing, refused = local_web.url("here.html"), local_web.url("gone.html"), "http://127.0.0.1:9/x"
    results = check_urls([ok, missing, refused], timeout=5)
    assert results[0] == LinkResult(ok, True, 200, "")
    assert results[1] == LinkResult(missing, False, 404, "HTTP 404 File not found")
    assert (results[2].url, results[2].ok, results[2].status) == (refused, False, None)
    assert "refused" in results[2].error.lower()

    site = tmp_path / "site"
    (site / "talks/003").mkdir(parents=True)
    (site / "index.html").write_text(f'<a href="{ok}">ok</a>', encoding="utf-8")
    (site / "talks/003/index.html").write_text(f'<a href="{missing}">gone</a> <a href="{ok}">ok</a>', encoding="utf-8")
    result = CliRunner().invoke(cli, ["links", "--site-dir", str(site), "--online", "--timeout", "5"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [f"FAIL {missing} — HTTP 404 File not found", "    /talks/003/"]
    assert "1 of 2 external link(s) failed" in result.stderr
