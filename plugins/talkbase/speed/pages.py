"""Rendering a project's pages without doing again what was done before: a page whose inputs are those of its
last render in this process (`talkbase serve` after an edit) or in an earlier run (the cache on disk) is not
rendered again; on a large site a forked helper renders part of the rest on a second core (`forked.py`). The
pages are those of `Renderer.pages` either way. Also: Jinja's compiled templates, kept in the cache folder."""

from __future__ import annotations

from pathlib import Path

import jinja2

from talkbase.hashing import digest
from talkbase.render import Renderer
from talkbase.speed import cache
from talkbase.speed.forked import each

# The last render of each page in this process, by (project root, page path): (inputs digest, Markdown)
_RENDERED: dict[tuple[Path, str], tuple[str, str]] = {}


def forget() -> None:
    """Drop what this process remembers of rendered pages (`talkbase.speed.reset`)."""
    _RENDERED.clear()


def fingerprint(renderer: Renderer) -> str:
    """What every page depends on besides its own episodes: series, people and topic files, templates
    (every file under templates/, which a template may include from a subfolder), options, and the topic
    names that exist (a tag links to its topic page only if there is one)."""
    layout = renderer.project.layout
    files = [layout.series, layout.data / "people.yml", layout.data / "topics.yml",
             *sorted(f for f in layout.templates.rglob("*") if f.is_file())]
    parts = [f"{layout.rel(f)}:{digest(f.read_bytes()) if f.is_file() else '-'}" for f in files]
    return digest(repr((parts, renderer.options.site_url, sorted(renderer.knowledge.aliases.items()),
                        sorted(renderer.knowledge.topics))))


def render_pages(renderer: Renderer) -> dict[str, str]:
    """`renderer.pages()`, remembering: see the module's docstring."""
    jobs = renderer.jobs()
    root = renderer.project.layout.root
    store = cache.Store(root, "pages")
    common = fingerprint(renderer) if any(job.inputs is not None for job in jobs) else ""
    out: dict[str, str] = {}
    names: set[str] = set()  # every page's key in the cache: what it keeps
    todo = []
    for job in jobs:
        key = None if job.inputs is None else digest(f"{common}:{job.inputs}")
        name = digest(job.path)
        names.add(name)
        last = _RENDERED.get((root, job.path)) or (store.get(name) if key else None)
        if key is not None and last is not None and last[0] == key:
            out[job.path] = last[1]
            _RENDERED[(root, job.path)] = last
        else:
            todo.append((job, key, name))
    rendered = each(len(todo), lambda i: todo[i][0].make())
    for text, (job, key, name) in zip(rendered, todo):  # each() first: it ends the helper
        out[job.path] = text
        if key is not None:
            _RENDERED[(root, job.path)] = (key, text)
            store.put(name, (key, text))
    store.save(keep=names)
    return {job.path: out[job.path] for job in jobs}


def compiled_templates(root: Path, kind: str = "templates") -> jinja2.BytecodeCache | None:
    """Jinja keeps compiled templates in the cache folder (checked against each template's source), so a run
    does not compile them again: talkbase's templates, and the theme's (`kind="theme"`, plugin.py)."""
    folder = cache.folder_for(root)
    if folder is None:
        return None
    try:
        (folder / kind).mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _KeptCompiled(str(folder / kind))


class _KeptCompiled(jinja2.FileSystemBytecodeCache):
    """Jinja's cache of compiled templates, for which a damaged file or a folder that refuses files (read-only,
    full disk) costs speed, as it does for the rest of the cache, never the build: Jinja itself only passes
    over a file that is missing or that it may not read."""

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        """Also keyed by talkbase's code: compiled code calls each filter as it was defined when it was compiled
        (with the template context or without), and talkbase's filters change with its code."""
        return digest(super().get_cache_key(name, filename) + cache.code_digest())

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Jinja's, but anything wrong with the file means: compile the template again."""
        try:
            super().load_bytecode(bucket)
        except Exception:
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Jinja's, but a file that cannot be written is left out."""
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass
