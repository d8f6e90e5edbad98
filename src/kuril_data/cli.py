"""The `kuril-data` command: a thin shell over the library. Exit 0 clean, 1 bad data, 2 could not run."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kuril_data.errors import KurilDataError
from kuril_data.io.read import Limits

FORMATS = ("text", "json", "github")


class Commands(click.Group):
    """The command group; it maps the library's errors to messages and exit codes, for every command."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KurilDataError as exc:  # exit 1: the data is bad; exit 2: the command could not run
            if exc.report is not None:
                click.echo(exc.report.to_text())
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)  # not ctx.exit: main() runs click with standalone_mode=False
        except OSError as exc:  # a file that cannot be read or written
            where = f": {exc.filename}" if exc.filename else ""
            click.echo(f"Error: {exc.strerror or exc}{where}", err=True)
            sys.exit(2)


def package_argument(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.argument("path", default=".", type=click.Path(path_type=Path))(f)


def format_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
                        help="text for people, json for programs, github for workflow annotations.")(f)


def limits_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--max-* options that cap what a hostile file can cost; they arrive as one `limits` argument."""
    from kuril_data.io.read import DEFAULT_LIMITS

    options = [
        ("--max-file-bytes", "max_file_bytes", "Largest data file read, in bytes."),
        ("--max-cell-bytes", "max_cell_bytes", "Largest cell, in characters."),
        ("--max-cells-per-row", "max_cells_per_row", "Most cells in one row."),
        ("--max-rows", "max_rows", "Most rows in one file."),
    ]

    @functools.wraps(f)
    def wrapper(**kwargs: Any) -> Any:
        kwargs["limits"] = Limits(**{name: kwargs.pop(name) for _, name, _ in options})
        return f(**kwargs)

    command: Callable[..., Any] = wrapper
    for flag, name, help_text in reversed(options):  # declared on the wrapper, which takes them
        command = click.option(flag, name, type=click.IntRange(min=1), default=getattr(DEFAULT_LIMITS, name),
                               show_default=True, help=help_text)(command)
    return command


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kuril-data")
def cli() -> None:
    """Validate, format, export and release the kuril-data package."""


@cli.command()
@package_argument
@click.option("--sources", type=click.Path(path_type=Path, file_okay=False),
              help="Folder of source text files: check quotations, evidence and names verbatim against them. "
                   "Default: $KURIL_DATA_SOURCES, else the cache filled by `kuril-data sources fetch`.")
@format_option
@click.option("--max-problems", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Stop checking once this many problems are found, show them and say more exist; 0: all.")
@limits_options
def validate(path: Path, sources: Path | None, fmt: str, max_problems: int, limits: Limits) -> None:
    """Check the package at PATH: a folder (default: this one), its datapackage.json, a release
    folder or zip, an inline kuril-data.json, a kuril-data.sqlite file, or git:REV.

    Checks the descriptor and schemas, every CSV (encoding, dialect, header, types and
    constraints), primary and foreign keys, the data conventions (slugs, EDTF dates, BCP 47
    tags, NFC text) and the domain rules. The text output starts with the package and version
    checked (in JSON: the "package" field). With source texts (--sources, $KURIL_DATA_SOURCES or
    the cache of `kuril-data sources fetch`) quotations, evidence and names are checked verbatim;
    one line always says whether these checks ran and against which files. Exit 0 when clean, 1
    when problems are found, 2 when it could not run.
    """
    from kuril_data.validate import check

    if sources is not None and not sources.is_dir():
        raise click.UsageError(f"--sources: {sources} is not a folder")
    if sources is None:
        sources = default_sources_folder()
    result = check(path, sources=sources, limits=limits, max_problems=max_problems or None, hold=False)
    out = result.render(fmt, max_problems or None)
    if out:
        click.echo(out)
    sys.exit(0 if result.report.valid else 1)


@cli.command()
@package_argument
@click.option("--check", is_flag=True, help="Change nothing; exit 1 naming each file that is not canonical.")
@limits_options
def fmt(path: Path, check: bool, limits: Limits) -> None:
    """Write every CSV of the package at PATH in canonical form.

    UTF-8 without BOM, LF line ends, minimal RFC 4180 quoting, columns in schema order, rows
    sorted by primary key, text in Unicode NFC. Values are never changed otherwise or dropped: a
    file that cannot be rewritten losslessly is refused (exit 1) and left untouched.
    """
    from kuril_data.fmt import format_package

    result = format_package(path, check=check, limits=limits)
    for problem in result.problems:
        click.echo(problem.to_text())
    for f in result.refused:
        for problem in f.problems:
            click.echo(f"{problem.to_text()} (not formatted)")
    for f in result.changed:
        verb = "would reformat" if check else "reformatted"
        click.echo(f"{verb} {f.file}: {'; '.join(f.reasons)}")
    failed = bool(result.problems or result.refused or (check and result.changed))
    if not failed and not result.changed:
        click.echo(f"{len(result.files)} file(s) already canonical")
    sys.exit(1 if failed else 0)


@cli.command()
@click.argument("old")
@click.argument("new")
@click.option("--format", "fmt", type=click.Choice(("text", "json", "markdown")), default="text",
              show_default=True, help="text for people, json for programs, markdown for a CI summary.")
@click.option("--exit-code", is_flag=True, help="Exit 1 when there are changes, 0 when there are none (like git diff).")
def diff(old: str, new: str, fmt: str, exit_code: bool) -> None:
    """Show what changed from OLD to NEW, record by record, and the version bump it calls for.

    OLD and NEW are each a package folder, a release zip, an inline kuril-data.json, a
    kuril-data.sqlite file, or a git revision of the repository here: git:HEAD~1, git:main,
    git:v0.1.0 (a bare HEAD~1 when no such path exists; a name that is both is refused).
    Records are matched by primary key. Bump: major for removed or retyped fields, changed keys,
    removed records or tables; minor for added fields, records or tables; patch for corrected
    values. Exit 0 when the diff was computed (with --exit-code: 1 when there are changes), 2 when
    a version cannot be read.
    """
    from kuril_data.diff import diff_packages

    result = diff_packages(old, new)
    click.echo(result.render(fmt))
    sys.exit(1 if exit_code and result.changed else 0)


@cli.command()
@package_argument
@click.option("--format", "formats", type=click.Choice(("parquet", "json", "sqlite", "all")), multiple=True,
              default=("all",), show_default=True, help="What to write; repeat for several.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder to write into (created if needed).")
def export(path: Path, formats: tuple[str, ...], out: Path) -> None:
    """Export the package at PATH to Parquet, a one-file JSON Data Package and/or SQLite.

    Writes parquet/<table>.parquet, kuril-data.json, kuril-data.sqlite (with a Datasette
    metadata.json) into OUT. The package must validate: otherwise its report is printed and
    nothing is written (exit 1). A failed export leaves nothing behind (exit 2).
    """
    from kuril_data.outputs.export import export as run

    result = run(path, out, formats)
    for file in result.files:
        click.echo(f"wrote {file}")


@cli.command()
@package_argument
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("dist"), show_default=True,
              help="Folder to put the release folder and zip into.")
def release(path: Path, out: Path) -> None:
    """Build the release of the package at PATH: OUT/kuril-data-<version>/ and its .zip.

    Validates, exports every format, adds datapackage.json (with $schema, id, created, homepage,
    and each file's bytes and hash) with the data and schemas, CHANGELOG.md, data-dictionary.md,
    timeline.svg, the static site (site/), a README.md for whoever has only the zip,
    CITATION.cff, kuril-data.jsonld (schema.org), LICENSE and LICENSE-DATA.md (when the package
    has them) and SHA256SUMS, and zips the folder. The version comes from datapackage.json
    and needs a '## [<version>]' entry in CHANGELOG.md. Two builds of the same commit are
    byte-identical (the build date is SOURCE_DATE_EPOCH or the last commit date). Cells that
    start like a spreadsheet formula (=, +, -, @) are shipped as written, and counted and located
    (file:line:field) here and in the release's README.md. Exit 1 when the package is refused, 2
    when the build could not run; a failed build leaves nothing behind.
    """
    from kuril_data.release.build import build_release

    folder = build_release(path, out, tell=click.echo)
    click.echo(f"built {folder}/")
    click.echo(f"built {folder.parent / (folder.name + '.zip')}")


@cli.command()
@package_argument
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="File to write (default: print it). With --check: the file to compare "
                   "(default: docs/data-dictionary.md in the package).")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when the file is missing or stale.")
def dictionary(path: Path, out: Path | None, check: bool) -> None:
    """Generate the data dictionary (Markdown) of the package at PATH from its schemas.

    Every table with its description, primary key, links to and from other tables, and its
    fields: name, type, whether required, constraints and description. Exit 1 when the
    schemas cannot be read or, with --check, when the file is stale.
    """
    from kuril_data.outputs.dictionary import dictionary as run

    result = run(path, out, check=check)
    if check:
        if result.stale:
            click.echo(f"{result.out} is stale; regenerate it with: kuril-data dictionary --out {result.out}")
            sys.exit(1)
        click.echo(f"{result.out} is up to date")
    elif result.out is None:
        click.echo(result.text, nl=False)
    else:
        click.echo(f"wrote {result.out}")


@cli.command()
@package_argument
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Image to write: FILE.svg.")
def timeline(path: Path, out: Path) -> None:
    """Draw every event of the package at PATH on a time axis into OUT (.svg).

    A day is a point; a month, a year, an interval or an uncertain date is a bar from the
    earliest to the latest day it can mean; open ends are dashed with an arrow. The axis gives
    each year room by its events and cuts out runs of empty years. Colour and marker shape give
    a handful of groups of event kinds; key documents (treaties, declarations, agreements,
    communiqués) are labelled; all text stays text. Exit 1 when the package does not validate,
    2 when OUT is not .svg.
    """
    from kuril_data.outputs.timeline import timeline as run

    result = run(path, out)
    click.echo(f"wrote {result.out} ({result.events} events)")


@cli.command()
@package_argument
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder to write the site as (created; an earlier site there is replaced whole).")
def site(path: Path, out: Path) -> None:
    """Build the static site of the package at PATH into OUT: open OUT/index.html in any browser.

    A page per record (events/<id>.html, documents, actors, places, quotations, disagreements,
    sources) with every citation's verbatim evidence, quotations side by side in every language
    and the disagreements it is part of; an index per kind (sortable, filterable); a timeline;
    search in English, Polish and Thai. Works from file:// or any static host and makes no
    request outside its folder. Exit 1 when the package does not validate (nothing written), 2
    when OUT exists and is not an earlier site (it is never replaced then).
    """
    from kuril_data.outputs.site import build_site

    result = build_site(path, out)
    click.echo(f"wrote {result.out}/ ({result.pages} record pages, {result.files} files)")


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True, help="Port to listen on.")
def serve(path: Path | None, host: str, port: int) -> None:
    """Browse the package at PATH in Datasette, with search, facets, labels and canned queries.

    PATH is a kuril-data.sqlite file, a folder holding one (an export or a release: its
    metadata.json is used), or a package folder (exported to a temporary folder first). Without
    PATH: the current folder if it holds a package or an export, else the data shipped in the
    installed package. Foreign keys show their labels on row pages too. Needs
    Datasette (pip install 'kuril-data[serve]'); exit 2 without it, 1 when the package does not
    validate.
    """
    from kuril_data.serve import require_datasette
    from kuril_data.serve import serve as run

    require_datasette()
    run(path, host, port)


# --- downloads: the source texts (`sources fetch`) and published releases (`fetch`) -------------
# Both go through kuril_data.io.download: pinned SHA-256, user cache, nothing half-written.


def default_sources_folder() -> Path | None:
    """validate's --sources when none is given: $KURIL_DATA_SOURCES, else the `sources fetch` cache."""
    from kuril_data.io.sources import default_sources

    return default_sources()


@cli.group()
def sources() -> None:
    """The source texts the data is checked against verbatim (not published with the repository)."""


@sources.command("fetch")
@package_argument
@click.option("--to", type=click.Path(path_type=Path, file_okay=False),
              help="Folder to store the texts in (default: the user cache, which validate then uses).")
def sources_fetch(path: Path, to: Path | None) -> None:
    """Download every source text listed in the sources table of the package at PATH.

    Files come from the mirror named by $KURIL_DATA_SOURCES_URL (a base URL under which each
    file is found by its `path`); each is verified against its pinned SHA-256 and stored in the
    user cache ($KURIL_DATA_CACHE_DIR overrides it) or TO. Files already there and verified are
    kept without network access. A missing mirror, a missing file, a network failure or a
    checksum mismatch exits 2 and leaves the folder as it was.
    """
    from kuril_data.io.sources import fetch_sources

    result = fetch_sources(path, to)
    click.echo(f"{len(result.downloaded)} source file(s) downloaded, {len(result.reused)} already there and "
               f"verified, in {result.folder}")


@cli.command()
@click.argument("version")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Folder to copy the release folder and zip into (default: leave them in the user cache).")
def fetch(version: str, out: Path | None) -> None:
    """Download the published release VERSION (0.1.0, or its tag v0.1.0), verified against the checksum
    shipped with kuril-data.

    The zip v{VERSION}/kuril-data-{VERSION}.zip comes from the project's Releases URL (package
    metadata) or $KURIL_DATA_RELEASES_URL; its SHA-256 must match the registry of published
    releases inside the package. It is unpacked into the user cache ($KURIL_DATA_CACHE_DIR
    overrides it) and reused offline afterwards. An unknown version, a network failure, a
    checksum mismatch or a corrupt zip exits 2 and leaves nothing in the cache.
    """
    from kuril_data.release.registry import fetch_release

    result = fetch_release(version, out)
    click.echo(f"kuril-data {result.version} (sha256 {result.sha256}) verified")
    click.echo(f"{result.folder}/")
    click.echo(f"{result.zip}")


def main() -> None:
    """Entry point: no Python traceback ever reaches a user."""
    from kuril_data.io import memory

    memory.own_process()  # the command's process: its allocators may be tuned (see io.memory)
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug: say so plainly, never dump a traceback on a user
        if os.environ.get("KURIL_DATA_DEBUG"):
            raise
        click.echo(f"Error: internal error ({type(exc).__name__}: {exc}); please report it "
                   "(set KURIL_DATA_DEBUG=1 for details)", err=True)
        sys.exit(2)
