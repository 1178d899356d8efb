"""Work shared with a forked helper process: results are the same as doing it all in one process.

Real forks, real pipes, real MkDocs builds; the size threshold is lowered so the small bundled
project exercises every shared pass (loading, rendering, Markdown conversion, search indexing).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import build, make_project
from talkbase.speed import forked

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2,
                                reason="needs Linux and two cores")


class Tally:
    """Counts what `Helper.take` delivered, by wrapping the real method."""

    def __init__(self, monkeypatch):
        self.delivered = 0
        self.local = 0
        real = forked.Helper.take

        def take(helper, i):
            got = real(helper, i)
            if got is None:
                self.local += 1
            else:
                self.delivered += 1
            return got

        monkeypatch.setattr(forked.Helper, "take", take)


ALONE = forked.alone  # the real check; the fixture below stands in for it


@pytest.fixture(autouse=True)
def alone(monkeypatch):
    """Tests that ran earlier in this process leave threads behind (jupyter's runner thread once a notebook
    has run, ...), and a process with other threads forks no helper; these tests are about the helper."""
    monkeypatch.setattr(forked, "alone", lambda: True)


def run_all(count: int, job) -> tuple[list, int]:
    """What a caller does: take each result from the helper or do the job itself."""
    helper = forked.Helper(count, job)
    results, local = [], 0
    try:
        for i in range(count):
            got = helper.take(i)
            if got is None:
                local += 1
                results.append(job(i))
            else:
                got.replay()
                results.append(got.value)
    finally:
        helper.close()
    return results, local


def test_helper_and_caller_meet_in_the_middle():
    def job(i):
        time.sleep(0.002)
        return i * i

    results, local = run_all(300, job)
    assert results == [i * i for i in range(300)]
    assert 30 < local < 270  # both sides did a real share


def test_a_job_failing_in_the_helper_is_done_by_the_caller():
    parent = os.getpid()

    def job(i):
        time.sleep(0.001)
        if os.getpid() != parent and i % 3 == 0:
            raise ValueError("only in the helper")
        return f"page {i}"

    results, local = run_all(200, job)
    assert results == [f"page {i}" for i in range(200)]


def test_a_helper_that_dies_leaves_the_rest_to_the_caller():
    parent = os.getpid()

    def job(i):
        if os.getpid() != parent and i < 190:
            os._exit(3)  # the helper vanishes after delivering pages 199..190
        time.sleep(0.001)
        return i

    results, local = run_all(200, job)
    assert results == list(range(200))
    assert local >= 190


def test_what_the_helper_logged_is_logged_again_with_its_result(caplog):
    def job(i):
        logging.getLogger("mkdocs.structure.pages").warning(f"page {i}: a link goes nowhere")
        time.sleep(0.005)  # time for the helper to start and deliver even on a busy machine
        return i

    with caplog.at_level(logging.WARNING, logger="mkdocs"):
        results, local = run_all(100, job)
    assert local < 100  # the helper did some pages; their warnings reached this process's handlers
    # (only this logger's: an object left by an earlier test may log as the collector frees it)
    ours = [r.getMessage() for r in caplog.records if r.name == "mkdocs.structure.pages"]
    assert sorted(ours) == sorted(f"page {i}: a link goes nowhere" for i in range(100))


def site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_a_build_shared_with_helpers_is_the_same_site(tmp_path, monkeypatch):
    monkeypatch.setattr(forked, "MIN_JOBS", 10**9)
    alone = site_files(build(make_project(tmp_path / "alone")))
    monkeypatch.setattr(forked, "MIN_JOBS", 1)
    tally = Tally(monkeypatch)
    shared = site_files(build(make_project(tmp_path / "shared")))
    assert tally.delivered > 10 and tally.local > 10
    assert shared.keys() == alone.keys()
    differ = [name for name in alone if alone[name] != shared[name] and name != "sitemap.xml.gz"]
    assert differ == []
    assert "search/talkbase/index.json" in shared  # the search index too (talkbase/search.py)


def test_no_helper_is_forked_while_another_thread_runs(monkeypatch):
    """A lock another thread holds at the moment of a fork would stay held in the helper's copy forever
    (`talkbase serve` rebuilds while its server's threads run)."""
    tally = Tally(monkeypatch)

    def job(i):
        time.sleep(0.001)
        return i * i

    assert list(forked.each(200, job)) == [i * i for i in range(200)]
    assert tally.delivered > 0  # alone, the process shares the work
    monkeypatch.setattr(forked, "alone", ALONE)
    tally.delivered = tally.local = 0
    stop = threading.Event()
    server = threading.Thread(target=stop.wait, name="a server")
    server.start()
    try:
        assert not forked.alone()
        assert list(forked.each(200, job)) == [i * i for i in range(200)]
        assert tally.delivered == tally.local == 0  # no helper was asked for anything
    finally:
        stop.set()
        server.join()
