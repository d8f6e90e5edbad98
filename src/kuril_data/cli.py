"""The `kuril-data` command: a thin shell over the library. Exit 0 clean, 1 bad data, 2 could not run."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .package import PackageError

FORMATS = ("text", "json", "github")


def package_argument(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.argument("path", default=".", type=click.Path(path_type=Path))(f)


def format_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
                        help="text for people, json for programs, github for workflow annotations.")(f)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kuril-data")
def cli() -> None:
    """Validate, format, export and release the kuril-data package."""


@cli.command()
@package_argument
@click.option("--sources", type=click.Path(path_type=Path, file_okay=False),
              help="Folder of source text files: check quotations, evidence and names verbatim against them.")
@format_option
def validate(path: Path, sources: Path | None, fmt: str) -> None:
    """Check the package at PATH (a folder or its datapackage.json).

    Checks the descriptor and schemas, every CSV (encoding, dialect, header, types and
    constraints), primary and foreign keys, the data conventions (slugs, EDTF dates, BCP 47
    tags, NFC text) and the domain rules. Exit 0 when clean, 1 when problems are found, 2 when
    it could not run.
    """
    from .validate import validate as run

    if sources is not None and not sources.is_dir():
        raise click.UsageError(f"--sources: {sources} is not a folder")
    report = run(path, sources=sources)
    out = report.render(fmt)
    if out:
        click.echo(out)
    sys.exit(0 if report.valid else 1)


@cli.command()
@package_argument
@click.option("--check", is_flag=True, help="Change nothing; exit 1 naming each file that is not canonical.")
def fmt(path: Path, check: bool) -> None:
    """Write every CSV of the package at PATH in canonical form.

    UTF-8 without BOM, LF line ends, minimal RFC 4180 quoting, columns in schema order, rows
    sorted by primary key, text in Unicode NFC. Values are never changed otherwise or dropped: a
    file that cannot be rewritten losslessly is refused (exit 1) and left untouched.
    """
    from .fmt import format_package

    result = format_package(path, check=check)
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
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except PackageError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:
        click.echo(f"Error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
        sys.exit(2)
    except Exception as exc:  # a bug: say so plainly, never dump a traceback on a user
        if os.environ.get("KURIL_DATA_DEBUG"):
            raise
        click.echo(f"Error: internal error ({type(exc).__name__}: {exc}); please report it "
                   "(set KURIL_DATA_DEBUG=1 for details)", err=True)
        sys.exit(2)
