"""What the browser tests share: finding Chromium, serving a built site on 127.0.0.1, reading its pages.

Kept out of conftest.py so that only the tests that drive a browser import Playwright.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading

import pytest
from pathlib import Path
from urllib.parse import quote

INSTALL_HINT = ("install Debian's Chromium with `apt-get install -y chromium` (and `fonts-noto-cjk` for "
                "readable screenshots), or set TALKBASE_CHROMIUM=/path/to/chrome")

# Every host but the local server fails to resolve at once: the tests never wait on the internet
# (the bilibili player, for one) and a page cannot quietly depend on it.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright
except ImportError:  # checked by the `chromium` fixture, which says what to install
    sync_playwright = None


class ChromiumMissing(RuntimeError):
    """No usable Chromium; the message says how to get one."""


def find_chromium() -> str:
    """The Chromium to drive: $TALKBASE_CHROMIUM when set (it must exist), else Debian's chromium."""
    chosen = os.environ.get("TALKBASE_CHROMIUM")
    if chosen:
        if Path(chosen).is_file() and os.access(chosen, os.X_OK):
            return chosen
        raise ChromiumMissing(f"TALKBASE_CHROMIUM={chosen} is not an executable file; {INSTALL_HINT}")
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    raise ChromiumMissing(f"Chromium not found for the browser tests: {INSTALL_HINT}")


def missing_browser(message: str) -> None:
    """Skip the browser tests with `message`; on CI (where $CI is set) fail them instead."""
    import pytest

    text = f"browser tests cannot run: {message}"
    if os.environ.get("CI"):
        pytest.fail(f"{text} (failing instead of skipping because CI is set)", pytrace=False)
    pytest.skip(text)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: dozens of page loads stay quick

    def end_headers(self) -> None:
        if self.path.startswith(("/assets/", "/stylesheets/", "/javascripts/")):
            self.send_header("Cache-Control", "max-age=600")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # a browser that drops a connection it no longer needs is not an error of the site
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SiteServer:
    """A real HTTP server on a free port of 127.0.0.1, serving one folder from a background thread."""

    def __init__(self, root: Path) -> None:
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.root = root
        self.httpd = _Server(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="site-server", daemon=True)
        self.thread.start()

    def url(self, path: str = "") -> str:
        """The address of a site path such as 'talks/003/' or 'topics/位置编码/' (non-ASCII quoted)."""
        return self.base + quote(path.lstrip("/"), safe="/#%")

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def site_pages(site: Path) -> list[str]:
    """Every HTML page of a built site as the path a reader requests ('', 'talks/003/', '404.html')."""
    out = []
    for file in sorted(site.rglob("*.html")):
        rel = file.relative_to(site).as_posix()
        out.append(rel.removesuffix("index.html") if rel.endswith("index.html") else rel)
    return out


@pytest.fixture(scope="session")
def chromium() -> str:
    if sync_playwright is None:
        missing_browser("the Python package playwright is not installed (pip install -e '.[test]'); "
                        f"then {INSTALL_HINT}")
    try:
        return find_chromium()
    except ChromiumMissing as err:
        missing_browser(str(err))
    raise AssertionError


# The browser and the server end with this module: while their threads run, a build in this process
# forks no helper (`forked.alone`), so later tests' builds would all run alone.
@pytest.fixture(scope="module")
def browser(chromium):
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        except PlaywrightError as err:
            missing_browser(f"{chromium} did not start ({err.message.splitlines()[0]}); {INSTALL_HINT}")
        yield launched
        launched.close()
