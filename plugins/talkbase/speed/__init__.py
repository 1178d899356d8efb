"""The speed layer around the pure core: what makes a build fast, kept apart from what makes it right.

The core (`project.py` loads and checks, `render.py` renders) is plain functions over values and imports
nothing from here. This package wraps it: in-process memos of files and pages (`reset` drops them all),
the cache on disk (`cache.py`), the forked helper that shares work with a second core (`forked.py`, and
`conversion.py` for MkDocs' own Markdown conversion), and when the cycle collector runs (`collector.py`).
Each part leaves the output as the core makes it; the tests build with it and without it.
Import its modules by name (`talkbase.speed.loading`): the commands that render nothing never load Jinja.
"""

import sys

MEMOS = ("talkbase.speed.loading", "talkbase.speed.pages")  # the modules that remember files or pages


def reset() -> None:
    """Forget every in-process memo of the project's files and pages: the next load reads every file, the
    next render renders every page. (The digest of talkbase's own code stays: it changes with the process.)"""
    for name in MEMOS:
        if (module := sys.modules.get(name)) is not None:  # one never imported remembers nothing
            module.forget()
