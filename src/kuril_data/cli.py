"""The `kuril-data` command: a thin shell over the library. Exit 0 clean, 1 bad data, 2 could not run."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from .package import PackageError
from .read import Limits
from .versions import VersionError

FORMATS = ("text", "json", "github")


class CouldNotRun(click.ClickException):
    """The command could not run (no package, unreadable file): exit 2."""

    exit_code = 2


@contextmanager
def could_not_run() -> Iterator[None]:
    """Turn the library's 'cannot even start' errors into a one-line message and exit 2."""
    try:
        yield
    except (PackageError, VersionError) as exc:
        raise CouldNotRun(str(exc)) from None
    except OSError as exc:
        raise CouldNotRun(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from None


def package_argument(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.argument("path", default=".", type=click.Path(path_type=Path))(f)


def format_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
                        help="text for people, json for programs, github for workflow annotations.")(f)


def limits_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--max-* options that cap what a hostile file can cost; they arrive as one `limits` argument."""
    from .read import DEFAULT_LIMITS

    options = [
        ("--max-file-bytes", "max_file_bytes", "Largest data file read, in bytes."),
        ("--max-cell-bytes", "max_cell_bytes", "Largest cell, in characters."),
        ("--max-cells-per-row", "max_cells_per_row", "Most cells in one row."),
        ("--max-rows", "max_rows", "Most rows in one file."),
    ]
    for flag, name, help_text in reversed(options):
        f = click.option(flag, name, type=click.IntRange(min=1), default=getattr(DEFAULT_LIMITS, name),
                         show_default=True, help=help_text)(f)

    def wrapper(**kwargs: Any) -> Any:
        from .read import Limits

        kwargs["limits"] = Limits(**{name: kwargs.pop(name) for _, name, _ in options})
        return f(**kwargs)

    wrapper.__name__, wrapper.__doc__ = f.__name__, f.__doc__
    wrapper.__click_params__ = f.__click_params__  # type: ignore[attr-defined]
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kuril-data")
def cli() -> None:
    """Validate, format, export and release the kuril-data package."""


@cli.command()
@package_argument
@click.option("--sources", type=click.Path(path_type=Path, file_okay=False),
              help="Folder of source text files: check quotations, evidence and names verbatim against them.")
@format_option
@click.option("--max-problems", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Show at most this many problems and count the rest; 0 shows all.")
@limits_options
def validate(path: Path, sources: Path | None, fmt: str, max_problems: int, limits: Limits) -> None:
    """Check the package at PATH: a folder (default: this one), its datapackage.json, a release
    folder or zip, an inline kuril-data.json, a kuril-data.sqlite file, or git:REV.

    Checks the descriptor and schemas, every CSV (encoding, dialect, header, types and
    constraints), primary and foreign keys, the data conventions (slugs, EDTF dates, BCP 47
    tags, NFC text) and the domain rules. The text output starts with the package and version
    checked (in JSON: the "package" field). Exit 0 when clean, 1 when problems are found, 2 when
    it could not run.
    """
    from .versions import validate_version

    if sources is not None and not sources.is_dir():
        raise click.UsageError(f"--sources: {sources} is not a folder")
    with could_not_run():
        result = validate_version(path, sources=sources, limits=limits)
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
    from .fmt import format_package

    with could_not_run():
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
    from .diff import DiffError, diff_packages

    try:
        result = diff_packages(old, new)
    except DiffError as exc:
        raise CouldNotRun(str(exc)) from None
    click.echo(result.render(fmt))
    sys.exit(1 if exit_code and result.changed else 0)


def _refused(exc: Exception) -> NoReturn:
    """Print why the package was refused (its report first, if any) and exit 1."""
    report = getattr(exc, "report", None)
    if report is not None:
        click.echo(report.to_text())
    click.echo(f"Error: {exc}", err=True)
    sys.exit(1)


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
    from .export import ExportError, Refused
    from .export import export as run

    try:
        with could_not_run():
            result = run(path, out, formats)
    except Refused as exc:
        _refused(exc)
    except ExportError as exc:
        raise CouldNotRun(str(exc)) from None
    for file in result.files:
        click.echo(f"wrote {file}")


@cli.command()
@package_argument
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("dist"), show_default=True,
              help="Folder to put the release folder and zip into.")
def release(path: Path, out: Path) -> None:
    """Build the release of the package at PATH: OUT/kuril-data-<version>/ and its .zip.

    Validates, exports every format, adds datapackage.json with the data and schemas,
    CHANGELOG.md, data-dictionary.md, timeline.svg (when matplotlib is installed) and
    SHA256SUMS, and zips the folder. The version comes from datapackage.json
    and needs a '## [<version>]' entry in CHANGELOG.md. Two builds of the same commit are
    byte-identical (the build date is SOURCE_DATE_EPOCH or the last commit date). Exit 1 when
    the package is refused, 2 when the build could not run; a failed build leaves nothing behind.
    """
    from .export import ExportError, Refused
    from .release import build_release

    try:
        with could_not_run():
            folder = build_release(path, out)
    except Refused as exc:
        _refused(exc)
    except ExportError as exc:
        raise CouldNotRun(str(exc)) from None
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
    from .dictionary import DictionaryError
    from .dictionary import dictionary as run

    try:
        with could_not_run():
            result = run(path, out, check=check)
    except DictionaryError as exc:
        _refused(exc)
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
              help="Image to write: FILE.svg or FILE.png.")
def timeline(path: Path, out: Path) -> None:
    """Draw every event of the package at PATH on a time axis into OUT (.svg or .png).

    A day is a point; a month, a year, an interval or an uncertain date is a bar from the
    earliest to the latest day it can mean; open ends are dashed. Colour is the event kind; key
    documents (treaties, declarations, agreements, communiqués) are labelled. Needs matplotlib
    (pip install 'kuril-data[plot]'); exit 2 without it, 1 when the package does not validate.
    """
    from .export import Refused
    from .timeline import TimelineError
    from .timeline import timeline as run

    try:
        with could_not_run():
            result = run(path, out)
    except Refused as exc:
        _refused(exc)
    except TimelineError as exc:
        raise CouldNotRun(str(exc)) from None
    click.echo(f"wrote {result.out} ({result.events} events)")


def main() -> None:
    """Entry point: no Python traceback ever reaches a user."""
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
