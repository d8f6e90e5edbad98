"""The data dictionary: a Markdown page generated from `datapackage.json` and the Table Schemas.

`render(package)` is the only writer of `docs/data-dictionary.md`; `kuril-data dictionary --check`
(and a test) fail when the file no longer matches the schemas, so the page cannot drift.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kuril_data.errors import DataError
from kuril_data.io.atomic import write_atomic
from kuril_data.model.package import Field, Package, Resource, read_package
from kuril_data.report import Report

DEFAULT_OUT = Path("docs") / "data-dictionary.md"
COMMAND = "kuril-data dictionary --out docs/data-dictionary.md"


class DictionaryError(DataError):
    """The descriptor or a schema cannot be read (exit 1); `report` holds the problems."""

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message, report=report)


@dataclass(frozen=True)
class DictionaryResult:
    text: str
    out: Path | None  # the file written or checked; None when only rendered
    stale: bool = False  # with check: the file is missing or differs from `text`


def render(package: Package) -> str:
    """The data dictionary of `package` as Markdown: every table, its keys, links and fields."""
    d = package.descriptor
    lines = [f"# Data dictionary: {package.name} {package.version}", "",
             f"<!-- Generated from datapackage.json and schemas/*.json by `{COMMAND}`. Do not edit by hand. -->",
             ""]
    if d.get("title"):
        lines += [f"**{_text(d['title'])}**", ""]
    if d.get("description"):
        lines += [_text(d["description"]), ""]
    licenses = ", ".join(f"[{lic.get('name', '')}]({lic['path']})" if lic.get("path") else str(lic.get("name", ""))
                         for lic in d.get("licenses") or [] if isinstance(lic, dict))
    if licenses:
        lines += [f"License of the data: {licenses}.", ""]
    lines += ["Conventions: an empty cell is a missing value. Dates marked *EDTF* are "
              "[Extended Date/Time Format](https://www.loc.gov/standards/datetime/) strings at the precision of "
              "the source; every export adds `<field>_earliest` and `<field>_latest`, the first and last day the "
              "date can mean (empty where it is open-ended). Languages are BCP 47 tags.", "",
              "## Tables", "", "| table | rows are | primary key |", "|---|---|---|"]
    for r in package.resources:
        lines.append(f"| [`{r.name}`](#{_anchor(r.name)}) | {_cell(_description(r))} | "
                     f"{_codes(r.schema.primary_key)} |")
    lines.append("")
    for r in package.resources:
        lines += _table(package, r)
    return "\n".join(lines).rstrip("\n") + "\n"


def _table(package: Package, r: Resource) -> list[str]:
    s = r.schema
    lines = [f"## {r.name}", "", _text(_description(r)), "",
             f"- File: `{r.path}`, schema `{r.schema_path}`",
             f"- Primary key: {_codes(s.primary_key) or 'none'}"]
    for fk in s.foreign_keys:
        target = fk.resource or r.name
        lines.append(f"- Link: {_codes(fk.fields)} → [`{target}`](#{_anchor(target)}).{_codes(fk.reference)}")
    for other in package.resources:
        for fk in other.schema.foreign_keys:
            if (fk.resource or other.name) == r.name and other.name != r.name:
                lines.append(f"- Referenced by: [`{other.name}`](#{_anchor(other.name)}).{_codes(fk.fields)}")
    if s.exactly_one_of:
        lines.append(f"- Exactly one of {_codes(s.exactly_one_of)} is filled in each row")
    lines += ["", "| field | type | required | constraints | description |", "|---|---|---|---|---|"]
    for f in s.fields:
        lines.append(f"| `{f.name}` | {_type(f)} | {'yes' if f.required else 'no'} | {_cell(_constraints(f))} | "
                     f"{_cell(f.description)} |")
    return [*lines, ""]


def _type(f: Field) -> str:
    extra = [word for flag, word in ((f.edtf, "EDTF date"), (f.language, "BCP 47 tag"),
                                     (f.verbatim, "verbatim from the source")) if flag]
    return f.type + (f" ({', '.join(extra)})" if extra else "")


def _constraints(f: Field) -> str:
    c = f.constraints
    parts = []
    if c.get("unique"):
        parts.append("unique")
    if "enum" in c:
        parts.append("one of " + ", ".join(f"`{v}`" for v in c["enum"]))
    if "pattern" in c:
        parts.append(f"pattern `{c['pattern']}`")
    for key, word in (("minLength", "length ≥"), ("maxLength", "length ≤"), ("minimum", "≥"), ("maximum", "≤")):
        if key in c:
            parts.append(f"{word} {c[key]}")
    return "; ".join(parts)


def _description(r: Resource) -> str:
    return r.description or r.schema.description


def _codes(names: Any) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _anchor(name: str) -> str:
    return name.lower().replace(" ", "-")  # GitHub's heading anchors; resource names have no other specials


def _text(value: object) -> str:
    return " ".join(str(value).split())


def _cell(value: str) -> str:
    return _text(value).replace("|", "\\|")


def dictionary(path: str | os.PathLike[str] = ".", out: str | os.PathLike[str] | None = None, *,
               check: bool = False) -> DictionaryResult:
    """Render the dictionary of the package at `path`; write it to `out`, or with `check` compare it.

    With `check` and no `out`, the file compared is the package's docs/data-dictionary.md. Raises
    DictionaryError when the descriptor or a schema cannot be read; PackageError when there is no
    package at `path`.
    """
    package, problems = read_package(path)
    if package is None or problems:
        raise DictionaryError("the descriptor or a schema has problems; no dictionary was written",
                              Report.of(problems))
    text = render(package)
    if check:
        target = Path(out) if out is not None else package.root / DEFAULT_OUT
        current = target.read_bytes() if target.is_file() else None
        return DictionaryResult(text, target, current != text.encode("utf-8"))
    if out is None:
        return DictionaryResult(text, None)
    target = Path(out)
    write_atomic(target, text)
    return DictionaryResult(text, target)
