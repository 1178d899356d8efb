"""Demo notebooks: run them explicitly with a real kernel, freeze the outputs, render the freeze without compute.

A run stores the executed notebook and a record of how it ran in `notebooks/_freeze/<name>/`,
keyed by a hash of the code cells and the kernel. The site build only reads freezes: it never
executes notebook code and never needs the demo's packages. A notebook or a freeze that is not JSON
(a merge conflict left in it) is a `Problem` naming the file and the line, as a bad episode is.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from talkbase.load import Problem, ProblemsFound, read_json

if TYPE_CHECKING:  # nbformat is slow to import: only where notebooks are executed or rendered
    import nbformat

FREEZE_DIR = "_freeze"
EXECUTED = "executed.ipynb"
RECORD = "run.json"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# What a run records (`execute`), which status, freshness and the episode page read
RECORD_FIELDS: dict[str, type | tuple[type, ...]] = {
    "code_key": str, "started": str, "duration_s": (int, float), "device": str, "python": str, "packages": dict,
}

# Runs in the notebook's own kernel after the last cell: what it ran on and with which packages.
_PROBE = r"""
import json as _j, sys as _s, platform as _p
from importlib import metadata as _m
_dist = _m.packages_distributions()
_info = {"python": _p.python_version(), "device": "CPU", "packages": {}}
for _name in sorted({n.split(".")[0] for n in list(_s.modules)}):
    for _d in _dist.get(_name, []):
        try:
            _info["packages"][_d] = _m.version(_d)
        except Exception:
            pass
_t = _s.modules.get("torch")
if _t is not None and _t.cuda.is_available():
    _info["device"] = "GPU " + _t.cuda.get_device_name(0)
else:
    try:
        _cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")]
        _info["device"] = "CPU " + (_cpu[0] if _cpu else _p.processor())
    except OSError:
        _info["device"] = "CPU " + _p.processor()
print(_j.dumps(_info))
"""


class DemoError(Exception):
    """A notebook run failed; the message says which notebook, which cell and why."""


@dataclass
class Notebook:
    """A demo notebook and where its freeze lives: every read of either goes through here, so that a damaged
    file is a Problem naming it rather than a traceback."""

    name: str
    path: Path
    freeze: Path
    root: Path  # messages name files relative to it: the project's root

    @classmethod
    def at(cls, path: Path, folder: Path, root: Path | None = None) -> Notebook:
        """The notebook at `path`, frozen under `folder`/_freeze/<name>; `root` defaults to the folder's parent."""
        return cls(path.stem, path, folder / FREEZE_DIR / path.stem, root or folder.parent)

    def read(self) -> nbformat.NotebookNode:
        """The notebook as written (not its frozen run): what a run executes and what freshness hashes."""
        return self._notebook(self.path)

    def _notebook(self, path: Path) -> nbformat.NotebookNode:
        """What nbformat.read gives (a cell's source as one text), from data read by `_json`."""
        import nbformat

        return nbformat.v4.to_notebook_json(self._json(path))

    def _json(self, path: Path) -> dict[str, Any]:
        """A notebook's or a run record's data; what is not JSON, or not the object it should be, is a Problem."""
        shown = path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)
        data = read_json(path, shown)
        if path.suffix == ".ipynb":
            if not (isinstance(data, dict) and data.get("nbformat") == 4 and isinstance(data.get("cells"), list)):
                raise ProblemsFound([Problem(shown, 1, 1, "expected a Jupyter notebook (nbformat 4): "
                                                          "a JSON object with a list of 'cells'")])
        elif not (isinstance(data, dict) and all(isinstance(data.get(k), t) for k, t in RECORD_FIELDS.items())):
            raise ProblemsFound([Problem(shown, 1, 1, f"expected the record of a run, with {', '.join(RECORD_FIELDS)}; "
                                                      f"make it again: talkbase demos run {self.name}")])
        return data

    def problems(self) -> list[Problem]:
        """What is wrong with the files a build reads: the notebook and its freeze. JSON only, no nbformat."""
        found = []
        for path in (self.path, self.freeze / RECORD, self.freeze / EXECUTED):
            try:
                if path == self.path or path.is_file():
                    self._json(path)
            except ProblemsFound as err:
                found += err.problems
        return found


@dataclass
class Freshness:
    """Whether a freeze still matches its notebook, so the build can say so on the page and a run can skip it."""

    state: str  # fresh | stale | never run
    record: dict = field(default_factory=dict)
    package_drift: list[str] = field(default_factory=list)


def notebooks(folder: Path) -> list[Notebook]:
    """Every notebook in `folder`, in name order: the demos a build and `talkbase demos` know of."""
    return [Notebook.at(p, folder) for p in sorted(folder.glob("*.ipynb"))]


def find(folder: Path, names: list[str]) -> list[Notebook]:
    """The notebooks the command line names (all when none), so that a mistyped name stops before any run."""
    known = {nb.name: nb for nb in notebooks(folder)}
    missing = [n for n in names if Path(n).stem not in known]
    if missing:
        raise DemoError(f"no such notebook in {folder}: {', '.join(missing)} (known: {', '.join(known) or 'none'})")
    return [known[Path(n).stem] for n in names] if names else list(known.values())


def kernel_of(nb: nbformat.NotebookNode) -> str:
    """The kernel the notebook asks for: a run starts it, and it is part of the code key."""
    return nb.metadata.get("kernelspec", {}).get("name", "python3")


def code_key(nb: nbformat.NotebookNode) -> str:
    """What decides freshness at build time: the code cells and the kernel, nothing environment-specific."""
    sources = [c.source for c in nb.cells if c.cell_type == "code"]
    return hashlib.sha256(json.dumps([kernel_of(nb), sources], ensure_ascii=False).encode()).hexdigest()


def read_record(notebook: Notebook) -> dict:
    """How the freeze was made; empty when the notebook never ran."""
    path = notebook.freeze / RECORD
    return notebook._json(path) if path.is_file() else {}


def installed_drift(packages: dict[str, str]) -> list[str]:
    """Packages whose installed version differs from the one the freeze was made with."""
    drift = []
    for dist, frozen in sorted(packages.items()):
        try:
            now = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue  # not installed here (the site build has no torch): nothing to compare
        if now != frozen:
            drift.append(f"{dist} {frozen} -> {now}")
    return drift


def freshness(notebook: Notebook) -> Freshness:
    """Fresh, stale or never run, and which packages moved since: decides whether a run is needed."""
    record = read_record(notebook)
    if not record or not (notebook.freeze / EXECUTED).is_file():
        return Freshness("never run")
    state = "fresh" if record.get("code_key") == code_key(notebook.read()) else "stale"
    return Freshness(state, record, installed_drift(record.get("packages", {})))


def _first_line(source: str) -> str:
    return next((ln.strip() for ln in source.splitlines() if ln.strip()), "")


def _error_tail(error: Exception, lines: int = 6) -> str:
    text = _ANSI.sub("", str(error))
    tail = [ln for ln in text.strip().splitlines() if ln.strip()][-lines:]
    return "\n".join("    " + ln for ln in tail)


def execute(notebook: Notebook, timeout: int, progress: Callable[[str], None]) -> Path:
    """Run every cell in a fresh kernel; replace the freeze only when all cells succeeded.

    Returns the freeze folder. Raises DemoError naming the cell on an error or timeout.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = notebook.read()
    key = code_key(nb)
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_of(nb), allow_errors=False,
                            record_timing=True, resources={"metadata": {"path": str(notebook.path.parent)}})
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.perf_counter()
    try:
        with client.setup_kernel():
            for n, index in enumerate(code_cells, 1):
                cell = nb.cells[index]
                progress(f"{notebook.name}: cell {n}/{len(code_cells)}: {_first_line(cell.source)[:60]}")
                t_cell = time.perf_counter()
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    raise DemoError(f"{notebook.path.name}: cell {n} ({_first_line(cell.source)!r}) did not finish "
                                    f"within {timeout} s; raise --timeout or make the cell faster") from None
                except CellExecutionError as err:
                    raise DemoError(f"{notebook.path.name}: cell {n} ({_first_line(cell.source)!r}) failed:\n"
                                    f"{_error_tail(err)}") from None
                progress(f"{notebook.name}: cell {n}/{len(code_cells)} done in {time.perf_counter() - t_cell:.1f} s")
            probe = nbformat.v4.new_code_cell(_PROBE)
            nb.cells.append(probe)  # nbclient writes outputs back by index, so the probe needs a slot
            try:
                client.execute_cell(probe, len(nb.cells) - 1)
            finally:
                nb.cells.pop()
    except DeadKernelError as err:
        raise DemoError(f"{notebook.path.name}: the kernel died ({err}); it may have run out of memory") from None
    except DemoError:
        raise
    except Exception as err:  # the kernel could not start: missing ipykernel, unknown kernel name...
        raise DemoError(f"{notebook.path.name}: could not run with kernel '{kernel_of(nb)}': "
                        f"{type(err).__name__}: {err}") from None
    duration = time.perf_counter() - t0
    env = json.loads("".join(o.get("text", "") for o in probe.outputs if o.output_type == "stream").strip() or "{}")
    record = {"code_key": key, "kernel": kernel_of(nb), "started": started.isoformat(timespec="seconds"),
              "duration_s": round(duration, 1), "device": env.get("device", "unknown"),
              "python": env.get("python", ""), "packages": env.get("packages", {})}
    return _replace_freeze(notebook, nb, record)


def _replace_freeze(notebook: Notebook, nb: nbformat.NotebookNode, record: dict) -> Path:
    """Write the new freeze beside the old one, then swap, so a crash leaves one whole freeze."""
    import nbformat

    notebook.freeze.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{notebook.name}.", dir=notebook.freeze.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; a freeze is shared content
    nbformat.write(nb, tmp / EXECUTED)
    (tmp / RECORD).write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    old = notebook.freeze.with_name(f".{notebook.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if notebook.freeze.exists():
        notebook.freeze.rename(old)
    tmp.rename(notebook.freeze)
    shutil.rmtree(old, ignore_errors=True)
    return notebook.freeze


def run(
    folder: Path, names: list[str], timeout: int, force: bool, progress: Callable[[str], None]
) -> list[tuple[str, str]]:
    """Run the named notebooks (all by default) unless fresh; returns (name, what happened)."""
    done = []
    for notebook in find(folder, names):
        try:
            state = freshness(notebook)
        except ProblemsFound:  # a damaged freeze is what a run replaces; a damaged notebook, execute reports
            state = None
        if state and state.state == "fresh" and not state.package_drift and not force:
            done.append((notebook.name, "fresh, not run"))
            continue
        execute(notebook, timeout, progress)
        done.append((notebook.name, f"ran in {read_record(notebook)['duration_s']} s"))
    return done


# --- rendering a freeze into a page (no execution) ------------------------------------------------


@dataclass
class RenderedDemo:
    """Markdown for the episode page plus the files it refers to (images, the notebook download)."""

    cells: list[dict]
    record: dict
    files: dict[str, bytes]
    download: str
    state: str


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def render_freeze(notebook: Notebook, asset_dir: str) -> RenderedDemo | None:
    """Cells and outputs of the frozen run as plain data; images become files under `asset_dir`."""
    state = freshness(notebook)
    if state.state == "never run":
        return None
    nb = notebook._notebook(notebook.freeze / EXECUTED)
    files: dict[str, bytes] = {}
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            cells.append({"kind": "markdown", "text": cell.source})
            continue
        if cell.cell_type != "code":
            continue
        outputs = []
        for k, out in enumerate(cell.get("outputs", [])):
            if out.output_type == "stream":
                outputs.append({"kind": "text", "text": _ANSI.sub("", _text(out.text))})
            elif out.output_type in ("display_data", "execute_result"):
                data = out.get("data", {})
                if "image/png" in data:
                    name = f"{asset_dir}/cell{index + 1}-{k + 1}.png"
                    files[name] = base64.b64decode(_text(data["image/png"]))
                    plain = _text(data.get("text/plain", ""))
                    # matplotlib's text form ("<Figure size ...>") describes nothing a reader needs
                    alt = (plain if plain and not plain.startswith("<")
                           else f"Output of cell {index + 1} of {notebook.path.name}")
                    outputs.append({"kind": "image", "path": name, "alt": alt})
                elif "text/markdown" in data:
                    outputs.append({"kind": "markdown", "text": _text(data["text/markdown"])})
                elif "text/plain" in data:
                    outputs.append({"kind": "text", "text": _text(data["text/plain"])})
        cells.append({"kind": "code", "source": cell.source, "outputs": outputs})
    download = f"{asset_dir}/{notebook.path.name}"
    files[download] = (notebook.freeze / EXECUTED).read_bytes()
    return RenderedDemo(cells, state.record, files, download, state.state)
