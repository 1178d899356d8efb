"""The `talkbase` command: a thin click layer over plain functions.

Every failure a user can cause ends in a message and an exit status, never a traceback:
0 success, 1 problems found or the build/publish failed, 2 usage errors.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from pathlib import Path

import click

from talkbase.load import Problem, ProblemsFound
from talkbase.project import Layout, load_project
from talkbase.publish import BuildFailed, PublishFailed, build_site, layout_from, mkdocs_config, publish
from talkbase.render import Renderer, SiteOptions
from talkbase.schema import Episode, Series
from talkbase.write import ConflictError, atomic_write


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname:<7} - {record.getMessage()}"


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    for name in ("mkdocs", "talkbase"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.DEBUG if verbose else logging.INFO)
        logger.propagate = False


def _fail(message: str, code: int = 1) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def _config_file(ctx: click.Context) -> Path:
    path = Path(ctx.obj["config"]).resolve()
    if not path.is_file():
        _fail(f"talkbase: no {path.name} in {path.parent}; run talkbase from the project folder or pass --config", 2)
    return path


def _layout(ctx: click.Context) -> Layout:
    try:
        return layout_from(_config_file(ctx))
    except BuildFailed as err:
        _fail(f"talkbase: {err}", 2)
    except Exception as err:  # mkdocs reports a broken mkdocs.yml through several error types
        _fail(f"talkbase: cannot read {ctx.obj['config']}: {err}", 2)
    raise AssertionError


def _report(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem))
    files = len({p.path for p in problems})
    click.echo(f"{len(problems)} problem(s) in {files} file(s)", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", "-f", default="mkdocs.yml", show_default=True, help="The site's mkdocs.yml.")
@click.option("--verbose", "-v", is_flag=True, help="Show debug messages.")
@click.version_option(package_name="talkbase")
@click.pass_context
def cli(ctx: click.Context, config: str, verbose: bool) -> None:
    """Weekly-talk knowledge base: episodes in talks/*.yaml become a searchable site.

    \b
    Everyday flow:
      talkbase new          scaffold the next episode
      talkbase validate     check every episode, listing all problems
      talkbase serve        preview with live reload
      talkbase publish      build strictly and push to the gh-pages branch
    """
    ctx.obj = {"config": config}
    _setup_logging(verbose)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Check episodes (default: all of talks/) and list every problem as path:line:column: message.

    Exit status 0 when clean, 1 when problems were found, 2 for usage errors.
    """
    layout = _layout(ctx)
    only = None
    if paths:
        only = []
        for path in paths:
            path = path.resolve() if path.exists() else path
            if path.is_dir():
                only += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
            elif path.suffix in (".yaml", ".yml") and (path.exists() or path.is_symlink()):
                only.append(Path(os.path.abspath(path)))
            else:
                _fail(f"talkbase validate: {path}: not an episode file (.yaml) or folder", 2)
    try:
        project = load_project(layout, only=only)
    except ProblemsFound as err:
        _report(err.problems)
        sys.exit(1)
    click.echo(f"{len(project.sources)} episode(s) checked, no problems", err=True)


@cli.command()
@click.option("--site-dir", "-d", type=click.Path(path_type=Path), help="Where to write the site (default: site_dir of mkdocs.yml).")
@click.option("--no-strict", is_flag=True, help="Let warnings pass (a strict build is the default).")
@click.pass_context
def build(ctx: click.Context, site_dir: Path | None, no_strict: bool) -> None:
    """Validate, then build the site strictly; site/ is replaced only when the build succeeded."""
    config_file = _config_file(ctx)
    layout = _layout(ctx)
    try:
        load_project(layout)
    except ProblemsFound as err:
        _report(err.problems)
        sys.exit(1)
    target = site_dir or Path(mkdocs_config(config_file).site_dir)
    try:
        build_site(config_file, target, strict=not no_strict)
    except BuildFailed as err:
        _fail(f"talkbase build: failed, {target} left as it was\n{err}")
    click.echo(f"Site built into {target}", err=True)


@cli.command()
@click.option("--port", "-p", default=8000, show_default=True, help="Port on 127.0.0.1.")
@click.pass_context
def serve(ctx: click.Context, port: int) -> None:
    """Preview the site on 127.0.0.1 with live reload; edits to talks/, templates/ and notebooks/ rebuild it."""
    config_file = _config_file(ctx)
    layout = _layout(ctx)
    try:
        load_project(layout)
    except ProblemsFound as err:
        _report(err.problems)
        click.echo("Fix these first; the preview would not build.", err=True)
        sys.exit(1)
    from mkdocs.commands.serve import serve as mkdocs_serve

    mkdocs_serve(str(config_file), dev_addr=f"127.0.0.1:{port}", livereload=True)


@cli.command(name="publish")
@click.option("--remote", "-r", default="origin", show_default=True, help="git remote name, URL or path to push to.")
@click.option("--branch", "-b", default="gh-pages", show_default=True, help="Branch that holds the published site.")
@click.option("--message", "-m", help="Commit message for the published site.")
@click.pass_context
def publish_cmd(ctx: click.Context, remote: str, branch: str, message: str | None) -> None:
    """Build strictly into a fresh folder, then push it to REMOTE/BRANCH; a failed build publishes nothing."""
    config_file = _config_file(ctx)
    layout = _layout(ctx)
    try:
        load_project(layout)
        publish(config_file, remote, branch, message, logging.getLogger("talkbase"))
    except ProblemsFound as err:
        _report(err.problems)
        _fail("Nothing was published.")
    except BuildFailed as err:
        _fail(f"talkbase publish: the build failed, nothing was published\n{err}")
    except PublishFailed as err:
        _fail(f"talkbase publish: {err}")


@cli.command()
@click.option("--date", "date_", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date of the episode (default: the next regular session).")
@click.option("--special", metavar="TITLE", help="Scaffold a special (番外) episode with this title and no number.")
@click.option("--id", "special_id", metavar="ID", help="URL id of a special episode (default: its date).")
@click.pass_context
def new(ctx: click.Context, date_: dt.datetime | None, special: str | None, special_id: str | None) -> None:
    """Scaffold the next episode in talks/ with every section of the template; never overwrites a file."""
    layout = _layout(ctx)
    try:
        project = load_project(layout)
    except ProblemsFound as err:
        _report(err.problems)
        _fail("Fix these before adding an episode.")
    renderer = Renderer(project, SiteOptions())
    day = date_.date() if date_ else renderer.next_session().date()
    numbers = [e.number for e in project.episodes if e.number is not None]
    if special:
        number, slug = None, special_id or day.isoformat()
        name = f"special-{slug}.yaml"
        heading = f"{renderer.labels['special']}：{special}"
    else:
        number, slug = (max(numbers) + 1 if numbers else 1), None
        name = f"{number:03d}.yaml"
        heading = f"{number:03d}"
    text = renderer.env.get_template("new-episode.yaml.j2").render(
        number=number, special=slug, title=special, date=day.isoformat(), heading=heading,
        time=renderer.slot_for(day).time)
    path = layout.talks / name
    layout.talks.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        _fail(f"talkbase new: {layout.rel(path)} already exists; it was left untouched", 1)
    click.echo(f"Created {layout.rel(path)} for {day.isoformat()}. Fill it in, then run: talkbase validate")


def schema_documents() -> dict[str, dict]:
    """The JSON Schemas editors use to complete and check episode and series files."""
    out = {}
    for name, model in (("episode", Episode), ("series", Series)):
        doc = model.model_json_schema(mode="validation")
        doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        out[f"{name}.schema.json"] = doc
    return out


@cli.command()
@click.option("--out", "-o", type=click.Path(path_type=Path), default=Path("schema"), show_default=True, help="Folder to write into.")
def schema(out: Path) -> None:
    """Write the JSON Schema of episodes and of the series file (the validator's own schema)."""
    for name, doc in schema_documents().items():
        atomic_write(out / name, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        click.echo(f"Wrote {out / name}")


@cli.command()
@click.pass_context
def generate(ctx: click.Context) -> None:
    """Write the generated Markdown pages into docs/ without building (for other MkDocs-compatible engines)."""
    from talkbase.generate import generate as run

    layout = _layout(ctx)
    try:
        result = run(layout, SiteOptions())
    except ProblemsFound as err:
        _report(err.problems)
        sys.exit(1)
    except ConflictError as err:
        _fail(f"talkbase generate: will not overwrite:\n{err}")
    click.echo(f"{len(result.report.written)} written, {result.report.unchanged} unchanged, {len(result.report.removed)} removed")


def main() -> None:
    """Entry point: run the CLI; an unexpected internal error is one line unless TALKBASE_DEBUG is set."""
    try:
        cli(standalone_mode=True)
    except Exception as err:
        if os.environ.get("TALKBASE_DEBUG"):
            raise
        _fail(f"talkbase: internal error: {type(err).__name__}: {err} (set TALKBASE_DEBUG=1 for details)")

