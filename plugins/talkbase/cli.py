"""The `talkbase` command: a thin click layer over plain functions.

Every failure a user can cause ends in a message and an exit status, never a traceback:
0 success, 1 problems found or the build/publish failed, 2 usage errors.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import sys
from dataclasses import asdict
from pathlib import Path
from typing import NoReturn

import click

from talkbase import pagelinks, slugs
from talkbase.load import Problem, ProblemsFound, parse_yaml, validate_document
from talkbase.project import Layout, Project, episode_files, yaml_files
from talkbase.schedule import Schedule
from talkbase.speed.collector import before_exit, collector_paused
from talkbase.speed.loading import load_project
from talkbase.publish import BuildFailed, PublishFailed, build_site, placeholder_address, publish
from talkbase.settings import ConfigError, layout_from, mkdocs_config
from talkbase.schema import SLUG, Episode, json_schemas
from talkbase.write import ConflictError, atomic_write


class _Echo(logging.Handler):
    """Log lines as `LEVEL   - message` on whatever stderr is now (click's test runner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"{record.levelname:<7} - {record.getMessage()}", err=True)


def _setup_logging(verbose: bool) -> None:
    handler = _Echo()
    for name in ("mkdocs", "talkbase"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.DEBUG if verbose else logging.INFO)
        logger.propagate = False


def _fail(message: str, code: int = 1) -> NoReturn:
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
    except ConfigError as err:
        _fail(f"talkbase: {err}", 2)
    except Exception as err:  # mkdocs reports a broken mkdocs.yml through several error types
        _fail(f"talkbase: cannot read {ctx.obj['config']}: {err}", 2)


def _report(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem))
    files = len({p.path for p in problems})
    click.echo(f"{len(problems)} problem(s) in {files} file(s)", err=True)


def _load(layout: Layout, then: str) -> Project:
    """The whole project, or exit 1 after listing every problem."""
    click.echo(f"Checking {len(episode_files(layout))} episode files ...", err=True)  # seconds with many
    try:
        return load_project(layout)
    except ProblemsFound as err:
        _report(err.problems)
        _fail(f"Fix these first; {then}.")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", "-f", default="mkdocs.yml", show_default=True, metavar="FILE",
              help="The site's mkdocs.yml; the project is the folder it is in.")
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

    Run it in the project folder (where mkdocs.yml is). Exit status: 0 success,
    1 problems found or the build failed, 2 usage errors.
    """
    ctx.obj = {"config": config}
    _setup_logging(verbose)


@cli.command(short_help="Check episodes; list every problem as path:line:column.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Check episodes and list every problem, one per line, as path:line:column: message.

    PATHS are episode files or folders of them (default: all of talks/). The checks that
    need several files (duplicate numbers, dates in order, person ids) always look at all
    of talks/, but only problems in PATHS are listed. Warnings (a large image) are listed
    the same way, as path:line:column: warning: message, and fail nothing.

    Exit status 0 when clean, 1 when problems were found, 2 for usage errors.
    """
    layout = _layout(ctx)
    given: list[Path] = []
    for path in paths:
        if path.is_dir():
            given += yaml_files(path)
        elif path.suffix in (".yaml", ".yml") and (path.exists() or path.is_symlink()):
            given.append(path)
        else:
            _fail(f"talkbase validate: {path}: expected an episode file (.yaml) or a folder of them", 2)
    # absolute, without following a last symlink: a link out of the project must be reported as one
    given = [p.absolute().parent.resolve() / p.name for p in given]
    others = {layout.rel(p) for p in episode_files(layout)} - {layout.rel(p) for p in given}
    project = None
    try:
        with collector_paused(keep=True):  # the loaded project lives until the command ends
            project = load_project(layout, extra=given)
        problems: list[Problem] = []
    except ProblemsFound as err:
        problems = [p for p in err.problems if p.path not in others] if given else err.problems
    if problems:
        _report(problems)
        sys.exit(1)
    warnings = pagelinks.warnings(project) if project else []
    warnings = [w for w in warnings if w.path not in others] if given else warnings
    for warning in warnings:
        click.echo(str(warning))
    counted = f", {len(warnings)} warning(s)" if warnings else ""
    click.echo(f"{len(given or episode_files(layout))} episode(s) checked, no problems{counted}", err=True)


@cli.command(short_help="Validate, then build the site strictly.")
@click.option("--site-dir", "-d", type=click.Path(path_type=Path),
              help="Where to write the site (default: site_dir of mkdocs.yml).")
@click.option("--no-strict", is_flag=True, help="Let warnings pass (a strict build is the default).")
@click.pass_context
def build(ctx: click.Context, site_dir: Path | None, no_strict: bool) -> None:
    """Validate, then build the site strictly: any warning fails the build.

    The site is built into a fresh folder and swapped in only when the build succeeded,
    so a failed build leaves the previous site as it was.
    """
    config_file = _config_file(ctx)
    _load(_layout(ctx), "nothing was built")
    target = site_dir or Path(mkdocs_config(config_file).site_dir)
    try:
        build_site(config_file, target, strict=not no_strict)
    except BuildFailed as err:
        _fail(f"talkbase build: failed, {target} left as it was\n{err}")
    click.echo(f"Site built into {target}", err=True)


@cli.command(short_help="Preview on 127.0.0.1 with live reload.")
@click.option("--port", "-p", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port on 127.0.0.1.")
@click.option("--full", is_flag=True,
              help="Rebuild every page on every change, as `talkbase build` does but in one process (about twice "
                   "as slow); by default only the pages a change touched are rebuilt.")
@click.pass_context
def serve(ctx: click.Context, port: int, full: bool) -> None:
    """Preview the site on http://127.0.0.1:PORT (this machine only) with live reload.

    Edits to talks/, data/, templates/, notebooks/ and series.yml rebuild the pages and
    reload the browser; a problem is printed and the preview waits until it is fixed.
    After the first build only the pages a change touched are rebuilt (the generator
    rewrites only those), so an edit shows in seconds even with a thousand episodes, and
    search in the preview stays complete. A change to mkdocs.yml (theme, navigation) rebuilds
    every page, in one process: no helper process is forked while the preview's server
    threads run. The published site is always a full build.
    """
    config_file = _config_file(ctx)
    if problem := _port_taken(port):  # MkDocs would find out only after the first build
        _fail(f"talkbase serve: 127.0.0.1:{port} is not free ({problem}; another preview?); "
              f"pick another port, e.g. talkbase serve --port {port + 1 if port < 65535 else port - 1}")
    _load(_layout(ctx), "the preview would not build")
    from mkdocs.commands.serve import serve as mkdocs_serve

    mkdocs_serve(str(config_file), dev_addr=f"127.0.0.1:{port}", livereload=True, build_type=None if full else "dirty")


def _port_taken(port: int) -> str | None:
    """Why the preview could not listen on 127.0.0.1:`port`, or None if it can; binds as its server does
    (SO_REUSEADDR: a port a closed preview left in TIME_WAIT is free)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as err:
            return err.strerror or str(err)
    return None


@cli.command(name="publish", short_help="Build strictly, then push the site to gh-pages.")
@click.option("--remote", "-r", metavar="REMOTE",
              help="git remote name, URL or path (default: remote_name of mkdocs.yml, origin).")
@click.option("--branch", "-b", metavar="BRANCH",
              help="Branch that holds the site (default: remote_branch of mkdocs.yml, gh-pages).")
@click.option("--message", "-m", help="Commit message (default: names the commit of the sources).")
@click.pass_context
def publish_cmd(ctx: click.Context, remote: str | None, branch: str | None, message: str | None) -> None:
    """Validate, build strictly into a fresh temporary folder, then push it to REMOTE/BRANCH.

    The site becomes one new commit on top of BRANCH (history is kept; the push is a
    fast-forward, never forced). A failed validation or build publishes nothing, and the
    published site stays as it was.
    """
    config_file = _config_file(ctx)
    _load(_layout(ctx), "nothing was published")
    cfg = mkdocs_config(config_file)
    log = logging.getLogger("talkbase")
    if problem := placeholder_address(cfg.site_url):
        log.warning(f"{problem}: the feed, the calendar and pages loading in place need the address the site is "
                    f"published at; set site_url in {config_file.name}")
    try:
        publish(config_file, remote or cfg.remote_name, branch or cfg.remote_branch, message, log)
    except BuildFailed as err:
        _fail(f"talkbase publish: the build failed, nothing was published\n{err}")
    except PublishFailed as err:
        _fail(f"talkbase publish: {err}; nothing was published")


def _special_id(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not SLUG.fullmatch(value):
        raise click.BadParameter(f"expected lowercase letters, digits and '-' (it becomes the URL), found {value!r}")
    if value is not None and (why := slugs.refusal(f"special-{value}")):
        raise click.BadParameter(why)
    return value


@cli.command(short_help="Scaffold the next episode in talks/.")
@click.option("--date", "date_", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Date of the episode (default: the next regular session after the latest episode).")
@click.option("--special", metavar="TITLE", help="Scaffold a special (番外) episode with this title and no number.")
@click.option("--id", "special_id", metavar="ID", callback=_special_id,
              help="URL id of a special episode, e.g. rlhf-intro (default: its date).")
@click.pass_context
def new(ctx: click.Context, date_: dt.datetime | None, special: str | None, special_id: str | None) -> None:
    """Scaffold the next episode: talks/NNN.yaml, or talks/special-ID.yaml with --special.

    The file has the next number, the date of the next regular session from the schedule
    in series.yml, every section of the template with a comment on what goes where, and
    the $schema line editors use for completion. A special has the next 番外 ordinal and no
    date unless --date gives one; it follows the latest episode in the archive. An existing
    file is never overwritten.
    """
    if special_id and not special:
        raise click.UsageError("--id names a special episode; give its title with --special")
    from talkbase.render import load_labels, render_template, template_env  # Jinja: only the commands that render

    layout = _layout(ctx)
    project = _load(layout, "then run talkbase new again")
    schedule = Schedule(project.series.schedule)
    starts = [s for e in project.episodes if (s := schedule.start_of(e))]
    now = schedule.now(max([dt.datetime.now(dt.timezone.utc), *starts]))  # never before the latest episode
    day = date_.date() if date_ else None if special else schedule.next_session(now, project.episodes).date()
    numbers = [e.number for e in project.episodes if e.number is not None]
    ordinal = 1 + max((e.ordinal or 0 for e in project.episodes if e.number is None), default=0)
    if special:
        number, slug = None, special_id or (day.isoformat() if day else f"{ordinal:02d}")
        label = load_labels(project.series.language)["special"]
        name, heading = f"special-{slug}.yaml", f"{label} {ordinal:02d}：{special}"
    else:
        number, slug = (max(numbers) + 1 if numbers else 1), None
        name, heading = f"{number:03d}.yaml", f"{number:03d}"
    path = layout.talks / name
    facts = dict(number=number, special=slug, title=json.dumps(special, ensure_ascii=False),
                 date=day and day.isoformat(), heading=heading, time=schedule.slot_for(day or now.date()).time,
                 ordinal=ordinal, after=project.sources[-1].episode.slug if project.sources else "",
                 schema=Path(os.path.relpath(layout.root / "schema" / "episode.schema.json", layout.talks)).as_posix())
    template = "new-episode.yaml.j2"
    try:  # templates/ belongs to the project, so check that it renders and that what it gave is a valid episode
        text = render_template(template_env(layout.templates, project.series), layout, template, facts, name)
        validate_document(parse_yaml(text, layout.rel(path)), layout.rel(path), Episode)
    except ProblemsFound as err:
        _report(err.problems)
        _fail(f"talkbase new: {layout.rel(layout.templates / template)} gave no valid episode; nothing was written")
    layout.talks.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        _fail(f"talkbase new: {layout.rel(path)} already exists; it was left untouched", 1)
    when = f"for {day.isoformat()}" if day else f"after {project.sources[-1].episode.slug}" if project.sources else ""
    click.echo(f"Created {layout.rel(path)} {when}. Fill it in, then run: talkbase validate".replace("  ", " "))


@cli.command(short_help="Write the JSON Schema of episode and series files.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write into (default: schema/ beside mkdocs.yml).")
@click.pass_context
def schema(ctx: click.Context, out: Path | None) -> None:
    """Write schema/episode.schema.json and schema/series.schema.json.

    They are generated from the models the validator uses, so editors complete and check
    the same keys; episode files point at them with their first line:
    # yaml-language-server: $schema=../schema/episode.schema.json
    """
    out = out or Path(ctx.obj["config"]).resolve().parent / "schema"
    for name, doc in json_schemas().items():
        atomic_write(out / name, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        click.echo(f"Wrote {out / name}")


@cli.command(short_help="Write the Markdown pages into docs/ without building.")
@click.pass_context
def generate(ctx: click.Context) -> None:
    """Write the generated Markdown pages into docs/ without building (for other MkDocs-compatible engines)."""
    from talkbase.generate import generate as run
    from talkbase.render import SiteOptions

    layout = _layout(ctx)
    try:
        result = run(layout, SiteOptions(site_url=mkdocs_config(_config_file(ctx)).site_url or ""))
    except ProblemsFound as err:
        _report(err.problems)
        sys.exit(1)
    except ConflictError as err:
        _fail(f"talkbase generate: will not overwrite:\n{err}")
    report = result.report
    click.echo(f"{len(report.written)} written, {report.unchanged} unchanged, {len(report.removed)} removed")


@cli.group(short_help="Run demo notebooks and freeze their outputs.")
def demos() -> None:
    """Run the demo notebooks and freeze their outputs (the site build only reads the freezes)."""


@demos.command(name="run")
@click.argument("names", nargs=-1)
@click.option("--timeout", default=600, show_default=True, help="Seconds a single cell may run.")
@click.option("--force", is_flag=True, help="Run even when the freeze is fresh.")
@click.pass_context
def demos_run(ctx: click.Context, names: tuple[str, ...], timeout: int, force: bool) -> None:
    """Execute notebooks (default: all in notebooks/) with a real kernel; a failed run keeps the old freeze."""
    from talkbase import demos as notebooks

    folder = _layout(ctx).notebooks

    def progress(line: str) -> None:
        click.echo(line, err=True)

    try:
        for name, outcome in notebooks.run(folder, list(names), timeout, force, progress):
            click.echo(f"{name}: {outcome}")
    except notebooks.DemoError as err:
        _fail(f"talkbase demos run: {err}\nThe previous outputs were kept.")
    except ProblemsFound as err:  # a notebook that is not one: nothing ran
        _report(err.problems)
        sys.exit(1)


@demos.command(name="status")
@click.pass_context
def demos_status(ctx: click.Context) -> None:
    """List each notebook as fresh, stale or never run, with when, how long, where and with what it ran."""
    from talkbase import demos as notebooks

    problems: list[Problem] = []
    for notebook in notebooks.notebooks(_layout(ctx).notebooks):
        if found := notebook.problems():  # a notebook or freeze that is not JSON: listed after the others
            problems += found
            continue
        state = notebooks.freshness(notebook)
        line = f"{notebook.name}: {state.state}"
        if state.record:
            r = state.record
            versions = ", ".join(f"{k} {v}" for k, v in r["packages"].items()
                                 if k in ("torch", "transformers", "numpy"))
            line += f" (ran {r['started']}, {r['duration_s']} s on {r['device']}; {versions})"
        click.echo(line)
        for drift in state.package_drift:
            click.echo(f"  installed now differs from the freeze: {drift}")
    if problems:
        _report(problems)
        sys.exit(1)


@cli.command(short_help="List (or check) the external links of the site.")
@click.option("--site-dir", "-d", type=click.Path(path_type=Path),
              help="Built site to read (default: site_dir of mkdocs.yml).")
@click.option("--episodes", is_flag=True, help="List the links written in talks/*.yaml instead of a built site.")
@click.option("--online", is_flag=True, help="Request every link (HEAD, else GET) and report those that fail.")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds to wait for each server with --online.")
@click.option("--json", "as_json", is_flag=True, help="Write JSON instead of text.")
@click.pass_context
def links(ctx: click.Context, site_dir: Path | None, episodes: bool, online: bool, timeout: float,
          as_json: bool) -> None:
    """List every external link of the built site (or of the episodes) with the pages that use it.

    Offline by default. With --online each link is requested and the failures are listed;
    the exit status is then 1 when any link failed.
    """
    from talkbase import linkcheck

    if episodes and site_dir:
        raise click.UsageError("--episodes reads talks/*.yaml; it takes no --site-dir")
    own = None
    if episodes:
        try:
            found = linkcheck.episode_links(load_project(_layout(ctx)))
        except ProblemsFound as err:
            _fail(f"talkbase links: the episodes have problems (talkbase validate lists them):\n{err}")
    else:
        if site_dir is None:
            cfg = mkdocs_config(_config_file(ctx))
            site_dir, own = Path(cfg.site_dir), cfg.site_url
        if not (site_dir / "index.html").is_file():
            _fail(f"talkbase links: no built site in {site_dir}; run talkbase build first", 2)
        found = linkcheck.site_links(site_dir, own)
    pages = len({p for ps in found.values() for p in ps})
    if not online:
        if as_json:
            click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        elif found:
            click.echo(linkcheck.format_listing(found))
        click.echo(f"{len(found)} external link(s) on {pages} page(s)", err=True)
        return
    results = linkcheck.check_urls(found, timeout=timeout)
    failed = [r for r in results if not r.ok]
    if as_json:
        click.echo(json.dumps([{**asdict(r), "pages": found[r.url]} for r in failed], ensure_ascii=False, indent=2))
    else:
        for r in failed:
            click.echo(f"FAIL {r.url} — {r.error}")
            for page in found[r.url]:
                click.echo(f"    {page}")
    click.echo(f"{len(failed)} of {len(results)} external link(s) failed", err=True)
    if failed:
        sys.exit(1)


def main() -> None:
    """Entry point: run the CLI; an unexpected internal error is one line unless TALKBASE_DEBUG is set."""
    try:
        cli(standalone_mode=True)
    except Exception as err:
        if os.environ.get("TALKBASE_DEBUG"):
            raise
        _fail(f"talkbase: internal error: {type(err).__name__}: {err} (set TALKBASE_DEBUG=1 for details)")
    finally:
        before_exit()

