"""Run every rule over a package and collect the problems into a Report. Only reads."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .package import Package, read_package
from .read import DEFAULT_LIMITS, Limits, Table, read_table
from .report import Problem, Report
from .rules import RULES, Context


def read_tables(package: Package, limits: Limits = DEFAULT_LIMITS) -> tuple[dict[str, Table], list[Problem]]:
    """Read every resource once; return the readable tables and the problems found reading."""
    tables: dict[str, Table] = {}
    problems: list[Problem] = []
    for resource in package.resources:
        table = read_table(package, resource, limits)
        problems += table.problems
        if table.readable:
            tables[resource.name] = table
    return tables, problems


@dataclass(frozen=True)
class Checked:
    """A package read once and validated: what export, release and load build on."""

    package: Package | None
    tables: dict[str, Table]
    report: Report


def check(path: str | os.PathLike[str] = ".", *, sources: str | os.PathLike[str] | None = None,
          limits: Limits = DEFAULT_LIMITS) -> Checked:
    """Read and validate the package at `path`; see `validate`."""
    package, problems = read_package(path)
    if package is None:
        return Checked(None, {}, Report.of(problems))
    tables, read_problems = read_tables(package, limits)
    problems += read_problems
    ctx = Context(package, tables, Path(sources) if sources is not None else None)
    for rule in RULES:
        problems.extend(rule(ctx))
    return Checked(package, tables, Report.of(problems))


def validate(path: str | os.PathLike[str] = ".", *, sources: str | os.PathLike[str] | None = None,
             limits: Limits = DEFAULT_LIMITS) -> Report:
    """Validate the package at `path` (a folder or its datapackage.json).

    With `sources`, a folder holding the source text files, quotations, evidence excerpts and
    names are checked verbatim against them and the files' SHA-256 against the sources table.
    Raises PackageError when there is no package at `path` at all.
    """
    return check(path, sources=sources, limits=limits).report
