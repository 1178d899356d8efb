"""How long an edit takes to show in `talkbase serve`: a live-reload server on 127.0.0.1, polled over HTTP.

tests/test_serve.py drives the server with the same `free_port` and `fetch`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from benchmarks.measure import BIN, env


def free_port() -> int:
    """A port nothing listens on now, for a server of this run."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str | None:
    """The page at url, or None while the server cannot answer (not up yet, rebuilding)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None


def serve_latency(proj: Path, episode: int, timeout: float, full: bool = False, cache: Path | str = "off") -> dict:
    """Start a live-reload server, edit one episode's YAML, poll the served page until the edit shows."""
    port = free_port()
    cmd = [str(BIN / "talkbase"), "serve", "-p", str(port)] + (["--full"] if full else [])
    lines: list[tuple[float, str]] = []
    proc = subprocess.Popen(cmd, cwd=proj, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env(cache),
                            start_new_session=True)

    def reader() -> None:
        assert proc.stdout
        for raw in proc.stdout:
            lines.append((time.perf_counter(), raw.decode("utf-8", "replace").rstrip()))

    threading.Thread(target=reader, daemon=True).start()
    url = f"http://127.0.0.1:{port}/talks/{episode:03d}/"
    result: dict = {"command": " ".join(Path(cmd[0]).name if i == 0 else c for i, c in enumerate(cmd))}
    try:
        started = time.perf_counter()
        while True:
            if proc.poll() is not None:
                raise RuntimeError("server exited:\n" + "\n".join(line for _, line in lines[-30:]))
            if time.perf_counter() - started > timeout:
                raise RuntimeError("server did not come up in time")
            page = fetch(url)
            if page is not None:
                break
            time.sleep(0.25)
        result["startup_s"] = time.perf_counter() - started
        time.sleep(2.0)  # let the watcher settle (the first build's writes into docs/ must not count)
        builds_before = sum("Documentation built" in line for _, line in lines)
        path = proj / "talks" / f"{episode:03d}.yaml"
        text = path.read_text(encoding="utf-8")
        marker = f"EDITMARKER{int(time.time() * 1000)}"
        new = re.sub(r"(\n *- title: )(.*)", lambda m: m.group(1) + json.dumps(marker), text, count=1)
        assert new != text, "no item title to edit"
        edit_at = time.perf_counter()
        path.write_text(new, encoding="utf-8")
        while True:
            page = fetch(url)
            if page and marker in page:
                break
            if proc.poll() is not None:
                raise RuntimeError("server exited:\n" + "\n".join(line for _, line in lines[-30:]))
            if time.perf_counter() - edit_at > timeout:
                raise RuntimeError("edit never showed:\n" + "\n".join(line for _, line in lines[-30:]))
            time.sleep(0.05)
        result["edit_visible_s"] = time.perf_counter() - edit_at
        # keep watching: a rebuild triggered by the generator's own writes into docs/ is extra work
        quiet = max(5.0, result["edit_visible_s"] * 1.5)
        last = time.perf_counter()
        seen = len(lines)
        while time.perf_counter() - last < quiet:
            time.sleep(0.2)
            if len(lines) != seen:
                seen, last = len(lines), time.perf_counter()
        after = [(t - edit_at, line) for t, line in lines if t >= edit_at]
        result["rebuilds_after_edit"] = sum("Documentation built" in line for _, line in after)
        built = (re.search(r"Documentation built in ([\d.]+) seconds", line) for _, line in after)
        result["rebuild_times_s"] = [float(m.group(1)) for m in built if m]
        result["settled_s"] = max((t for t, line in after if "Documentation built" in line), default=None)
        result["builds_before_edit"] = builds_before
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    return result

