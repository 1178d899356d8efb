"""Demo notebooks: real kernel runs, freezes that survive failures, builds that never execute."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from conftest import build, make_project

from talkbase import demos
from talkbase.publish import BuildFailed


def notebooks_of(project: Path) -> Path:
    return project / "notebooks"


def edit_cell(path: Path, index: int, source: str) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.cells[index].source = source
    nbformat.write(nb, path)


def freeze_bytes(project: Path, name: str) -> dict[str, bytes]:
    folder = notebooks_of(project) / demos.FREEZE_DIR / name
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def demo_project(tmp_path) -> Path:
    project = make_project(tmp_path / "project", "demos")
    lines: list[str] = []
    demos.run(notebooks_of(project), ["hello"], timeout=60, force=False, progress=lines.append)
    assert any("cell 3/3" in ln for ln in lines)  # per-cell progress
    return project


def test_fresh_freeze_is_reused_without_executing(demo_project):
    marker = notebooks_of(demo_project) / "marker.txt"
    assert marker.read_text() == "ran\n"
    before = freeze_bytes(demo_project, "hello")
    result = demos.run(notebooks_of(demo_project), ["hello"], timeout=60, force=False, progress=lambda _: None)
    assert result == [("hello", "fresh, not run")]
    assert marker.read_text() == "ran\n"
    assert freeze_bytes(demo_project, "hello") == before
    demos.run(notebooks_of(demo_project), ["hello"], timeout=60, force=True, progress=lambda _: None)
    assert marker.read_text() == "ran\nran\n"


def test_record_says_when_where_and_with_what(demo_project):
    record = json.loads((notebooks_of(demo_project) / "_freeze/hello/run.json").read_text())
    assert record["device"].startswith(("CPU", "GPU"))
    assert record["packages"]["ipython"]  # IPython.display was imported by the notebook
    assert record["duration_s"] >= 0 and re.match(r"\d{4}-\d\d-\d\dT", record["started"])


def test_editing_a_code_cell_makes_it_stale_and_the_strict_build_says_how_to_refresh(demo_project):
    path = notebooks_of(demo_project) / "hello.ipynb"
    assert demos.freshness(demos.find(notebooks_of(demo_project), ["hello"])[0]).state == "fresh"
    edit_cell(path, 2, "print('changed')")
    assert demos.freshness(demos.find(notebooks_of(demo_project), ["hello"])[0]).state == "stale"
    with pytest.raises(BuildFailed) as err:
        build(demo_project)
    assert "notebooks/hello.ipynb changed since its outputs were frozen" in str(err.value)
    assert "talkbase demos run hello" in str(err.value)


def test_markdown_edit_keeps_the_freeze_fresh(demo_project):
    edit_cell(notebooks_of(demo_project) / "hello.ipynb", 0, "# Hello again")
    assert demos.freshness(demos.find(notebooks_of(demo_project), ["hello"])[0]).state == "fresh"


def test_failing_cell_is_reported_and_leaves_the_freeze_untouched(demo_project):
    before = freeze_bytes(demo_project, "hello")
    edit_cell(notebooks_of(demo_project) / "hello.ipynb", 2, "x = 1\nraise ValueError('bad input 42')")
    with pytest.raises(demos.DemoError) as err:
        demos.run(notebooks_of(demo_project), ["hello"], timeout=60, force=False, progress=lambda _: None)
    message = str(err.value)
    assert "hello.ipynb: cell 2 ('x = 1') failed" in message
    assert "ValueError: bad input 42" in message
    assert "\x1b[" not in message
    assert freeze_bytes(demo_project, "hello") == before


def test_timeout_names_the_cell_and_limit_and_leaves_the_freeze_untouched(demo_project):
    before = freeze_bytes(demo_project, "hello")
    edit_cell(notebooks_of(demo_project) / "hello.ipynb", 2, "import time\ntime.sleep(60)")
    with pytest.raises(demos.DemoError) as err:
        demos.run(notebooks_of(demo_project), ["hello"], timeout=2, force=False, progress=lambda _: None)
    assert "hello.ipynb: cell 2 ('import time') did not finish within 2 s" in str(err.value)
    assert freeze_bytes(demo_project, "hello") == before


def test_episode_page_shows_the_frozen_notebook_in_its_practice_section(demo_project):
    site = build(demo_project)
    html = (site / "talks/900/index.html").read_text(encoding="utf-8")
    practice = html[html.index('id="practice"'):]
    assert 'id="demo-hello"' in practice
    assert "| ntk | 0.5 |" in practice  # stream output
    images = re.findall(r'<img alt="[^"]+" loading="lazy" src="([^"]+)"', practice)
    assert images and (site / "talks/900" / images[0]).resolve().is_file()
    assert "data:image" not in html  # images are files, not inflated into the page
    assert 'href="../../assets/demos/hello/hello.ipynb"' in practice
    assert "talkbase demos run hello" in practice
    assert "<math" in practice  # markdown cells get the site's math rendering


BLOCKER = textwrap.dedent("""
    import sys
    class Blocked:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("torch", "transformers", "nbclient", "ipykernel"):
                raise ModuleNotFoundError(f"No module named {name!r} (blocked: the site build must not need it)")
            return None
    sys.meta_path.insert(0, Blocked())
""")


def test_build_without_demo_packages_renders_the_ntk_notebook(tmp_path):
    """The real 003 page builds with torch, transformers and the kernel machinery unimportable."""
    project = make_project(tmp_path / "project")
    (tmp_path / "block").mkdir()
    (tmp_path / "block/sitecustomize.py").write_text(BLOCKER)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "block")}
    check = subprocess.run([sys.executable, "-c", "import torch"], env=env, capture_output=True, text=True)
    assert "blocked" in check.stderr
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q"], cwd=project, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    html = (project / "site/talks/003/index.html").read_text(encoding="utf-8")
    practice = html[html.index('id="practice"'):html.index('id="free-talk"')]
    images = re.findall(r'<img alt="[^"]*" loading="lazy" src="([^"]+\.png)"', practice)
    assert images and all((project / "site/talks/003" / src).resolve().stat().st_size > 1000 for src in images)
    for method in ("NTK", "PI"):
        assert method in practice
    assert 'id="demo-ntk_rope"' in practice
    # the second notebook, on a real pretrained model, follows the first with its own plot
    assert practice.index('id="demo-ntk_rope"') < practice.index('id="demo-ntk_smollm2"')
    assert any("ntk_smollm2/" in src for src in images) and "SmolLM2-135M" in practice
