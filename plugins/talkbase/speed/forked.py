"""Share a list of independent jobs with a forked helper process, so a second core does half of them.

The helper takes jobs from the end of the list while this process works from the start; they meet
in the middle, whichever is faster doing more, so it pays off even when this process has other
work in between. Results come back through a pipe; what the helper logged while doing a job is
logged again here when the result is used. Used for parsing episodes (`loading.py`), rendering
pages (`pages.py`) and MkDocs' conversion of pages (`conversion.py`).
"""

from __future__ import annotations

import logging
import mmap
import os
import pickle
import struct
import sys
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterator

MIN_JOBS = 100  # below this the work takes a second or two and a second process would not pay for itself
_SLOT = struct.Struct("q")  # shared memory holds two: the item this process is at, the item the helper has taken
_OURS_AT, _HELPER_AT = 0, _SLOT.size
_HEADER = struct.Struct("qQ")  # each result goes through the pipe as its item and length, then its pickle
_PIPE_BYTES = 1 << 20  # Linux's default limit for a pipe's size (/proc/sys/fs/pipe-max-size)


def worthwhile(jobs: int) -> bool:
    """Only on Linux (fork is safe there and the helper inherits everything loaded), with a core to spare,
    unless TALKBASE_PARALLEL=off, and only from a process that runs no other thread (`alone`)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return (sys.platform.startswith("linux") and jobs >= MIN_JOBS and cores >= 2 and alone()
            and os.environ.get("TALKBASE_PARALLEL", "").lower() not in ("off", "0", "no", "false"))


def alone() -> bool:
    """Whether this process runs no thread but its own: a lock another thread holds at the moment of a fork
    stays held forever in the helper's copy (Python 3.12 warns of it). A build runs no other thread;
    `talkbase serve` rebuilds while its server's threads run, so after its first build it works alone."""
    return threading.active_count() == 1


def each(count: int, job: Callable[[int], Any]) -> Iterator[Any]:
    """job(0), job(1), ... in order; with enough jobs, a `Helper` does part of them on a second core."""
    helper = Helper(count, job) if worthwhile(count) else None
    try:
        for i in range(count):
            got = helper.take(i) if helper else None
            if got is None:
                yield job(i)
            else:
                got.replay()
                yield got.value
    finally:
        if helper:
            helper.close()


class _Capture(logging.Handler):
    """In the helper: keep what the work logs, to be logged again in the build's process. It listens on the
    root logger and on MkDocs' (which may not pass records on); a record reaching both is kept once."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[tuple[str, int, str]] = []
        self._last: logging.LogRecord | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record is not self._last:
            self._last = record
            self.records.append((record.name, record.levelno, record.getMessage()))


@dataclass
class Delivery:
    """A helper's result for one item, with what it logged while working on it."""

    value: Any
    records: list[tuple[str, int, str]]

    def replay(self) -> None:
        """Log again what the helper logged while doing this job, as if it had been done here."""
        for name, level, message in self.records:
            logging.getLogger(name).log(level, message)


class Helper:
    """Runs `job(i)` for i = count-1, count-2, ... in a forked process until it meets this process,
    which calls `take(i)` for i = 0, 1, ... and does the work itself whenever `take` returns None.

    A thread of this process moves the helper's results from the pipe into memory as they arrive, so the
    helper never waits for room in the pipe while this process is busy with an item of its own."""

    def __init__(self, count: int, job: Callable[[int], Any]):
        self.count, self.used = count, 0  # `used`: how many results the caller took (for its debug log)
        self._shared = mmap.mmap(-1, 2 * _SLOT.size)
        _SLOT.pack_into(self._shared, _OURS_AT, -1)
        _SLOT.pack_into(self._shared, _HELPER_AT, count)
        read_fd, write_fd = os.pipe()
        try:  # room for results while the reader thread waits its turn to run (64 KB is three pages)
            import fcntl  # Unix only, like the helper itself

            fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        except (ImportError, AttributeError, OSError):  # above this user's limit, or an old kernel: slower, not wrong
            pass
        self._pid = os.fork()
        if self._pid == 0:  # the helper: never returns
            os.close(read_fd)
            self._work(write_fd, job)
        os.close(write_fd)
        self._fd: int | None = read_fd
        self._arrived: dict[int, bytes] = {}  # item -> its pickled (value, log records), not yet taken
        self._open = True  # until the helper has finished or died
        self._change = threading.Condition()
        self._reader = threading.Thread(target=self._read, args=(read_fd,), name="talkbase-helper-results", daemon=True)
        self._reader.start()

    def _work(self, write_fd: int, job: Callable[[int], Any]) -> None:
        code = 0
        try:
            capture = _Capture()
            for logger in (logging.getLogger(), logging.getLogger("mkdocs")):
                for handler in list(logger.handlers):
                    logger.removeHandler(handler)
                logger.addHandler(capture)
            with os.fdopen(write_fd, "wb") as out:
                for i in range(self.count - 1, -1, -1):
                    if i <= _SLOT.unpack_from(self._shared, _OURS_AT)[0]:
                        break  # the build's process got here first
                    _SLOT.pack_into(self._shared, _HELPER_AT, i)
                    capture.records = []
                    try:
                        value = job(i)
                    except Exception:  # the build's process meets the same error and reports it as usual
                        value = None
                    data = pickle.dumps((value, capture.records), protocol=pickle.HIGHEST_PROTOCOL)
                    out.write(_HEADER.pack(i, len(data)) + data)
                    out.flush()
        except BaseException:  # the build's process does whatever the helper did not deliver
            code = 1
        finally:
            os._exit(code)

    def _read(self, fd: int) -> None:
        """In the reader thread: collect each complete result until the helper closes its end of the pipe."""
        buffer = bytearray()
        try:
            while chunk := os.read(fd, 1 << 20):
                buffer += chunk
                complete = {}
                while len(buffer) >= _HEADER.size:
                    i, size = _HEADER.unpack_from(buffer)
                    if len(buffer) < _HEADER.size + size:
                        break
                    complete[i] = bytes(buffer[_HEADER.size:_HEADER.size + size])
                    del buffer[:_HEADER.size + size]
                if complete:
                    with self._change:
                        self._arrived.update(complete)
                        self._change.notify()
        finally:
            with self._change:
                self._open = False
                self._change.notify()

    def take(self, i: int) -> Delivery | None:
        """Item i's result if the helper has done it or is doing it; None when this process should do it."""
        _SLOT.pack_into(self._shared, _OURS_AT, i)
        with self._change:  # the helper has taken item i (or gone past it) if it is at i or below: wait for it
            self._change.wait_for(lambda: i in self._arrived or not self._open
                                  or _SLOT.unpack_from(self._shared, _HELPER_AT)[0] > i)
            data = self._arrived.pop(i, None)
        if data is None:
            return None
        value, records = pickle.loads(data)
        return Delivery(value, records) if value is not None else None

    def close(self) -> None:
        """Stop the helper if it is still busy, reap it, and let the reader thread finish."""
        if self._fd is None:
            return
        try:
            os.kill(self._pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(self._pid, 0)
        self._reader.join()  # the pipe has no writer left, so the thread has read to its end
        os.close(self._fd)
        self._fd = None
        self._arrived.clear()
