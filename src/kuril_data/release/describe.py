"""What a release says about itself, generated from the project's identity and the package.

Everything here derives from `kuril_data.project` (pyproject.toml's `[project]`/`[project.urls]`)
and the package's descriptor, schemas and data — no URL is written by hand:

- `release_descriptor`: the release's datapackage.json — the package's descriptor plus `$schema`
  (Data Package v2), `id`, `created`, `homepage`, `contributors`, `version`, and each data
  file's `bytes` and `hash`;
- `citation_cff`: CITATION.cff (the repository's, and the release's with its version and date);
- `descriptor_sources`: the descriptor's `sources` list (titles and URLs), from the `sources` table;
- `jsonld`: a schema.org `Dataset` description;
- `release_readme`: the README of the release for whoever has only the zip;
- `release_notes`: a version's CHANGELOG section with its links, for the release page.

`python -m kuril_data.release.describe update` rewrites the repository's CITATION.cff and the `sources`
list of its datapackage.json (tests fail while either is stale);
`python -m kuril_data.release.describe check-tag TAG` checks a release tag against the versions;
`python -m kuril_data.release.describe notes VERSION` prints the release notes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kuril_data.model.package import DESCRIPTOR, Package
from kuril_data.project import Project, project
from kuril_data.report import escape_controls

DATA_PACKAGE_V2 = "https://datapackage.org/profiles/2.0/datapackage.json"
CITATION = "CITATION.cff"
JSONLD = "kuril-data.jsonld"
README = "README.md"
LICENSES = ("LICENSE", "LICENSE-DATA.md")
# Package properties a release adds from the project's identity and the build, not from the data:
# `kuril-data diff` leaves them out, so a release compares equal to the package it was built from.
BUILD_PROPERTIES = frozenset({"$schema", "id", "created", "homepage"})
CITE_MESSAGE = "If you use this data package, please cite it as below, with the version you used."


def iso_date(created: str) -> str:
    return created[:10]


def contributors(package: Package, proj: Project) -> list[dict[str, Any]]:
    """The descriptor's contributors, else the project's authors as authors."""
    found = package.descriptor.get("contributors")
    if isinstance(found, list) and found:
        return found
    return [{"title": name, "roles": ["author"]} for name in proj.authors]


def author_names(package: Package, proj: Project) -> list[str]:
    names = [c.get("title") for c in contributors(package, proj)
             if isinstance(c, dict) and "author" in (c.get("roles") or [c.get("role")])]
    return [n for n in names if isinstance(n, str)] or list(proj.authors)


def source_rows(package: Package) -> list[dict[str, str]]:
    """Rows of the package's `sources` table (empty when it has none)."""
    resource = package.resource("sources")
    if resource is None:
        return []
    with open(package.file(resource), encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def descriptor_sources(package: Package) -> list[dict[str, str]]:
    """The descriptor's `sources`, from the `sources` table: each source's title and, where known, its URL."""
    rows = source_rows(package)
    if not rows:
        return list(package.descriptor.get("sources") or [])
    return [{"title": r["title"], **({"path": r["url"]} if r.get("url") else {})} for r in rows]


def file_stats(path: Path) -> tuple[int, str]:
    data = path.read_bytes()
    return len(data), f"sha256:{hashlib.sha256(data).hexdigest()}"


def release_descriptor(package: Package, folder: Path, created: str, proj: Project | None = None) -> dict[str, Any]:
    """The release's datapackage.json for the package copied into `folder` (data files already there)."""
    proj = proj or project()
    version = package.version
    base = {k: v for k, v in package.descriptor.items() if k not in ("$schema", "profile")}
    out: dict[str, Any] = {"$schema": DATA_PACKAGE_V2, **base}
    out["id"] = proj.release_page(version)
    out["version"] = version
    out["created"] = created
    out["homepage"] = proj.homepage
    out["contributors"] = contributors(package, proj)
    resources = []
    for raw in base.get("resources", []):
        size, digest = file_stats(folder / raw["path"])
        resources.append({**raw, "bytes": size, "hash": digest})
    out["resources"] = resources
    return out


# --- CITATION.cff --------------------------------------------------------------------------------

def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(value, ensure_ascii=False)


def citation_cff(package: Package, proj: Project | None = None, date: str | None = None) -> str:
    """CITATION.cff (CFF 1.2.0) of the package; `date` (YYYY-MM-DD) marks a release."""
    proj = proj or project()
    d = package.descriptor
    licenses = d.get("licenses") or [{}]
    lines = [
        "# Generated from pyproject.toml and datapackage.json by kuril_data.release.describe; do not edit by hand.",
        "cff-version: 1.2.0",
        f"message: {_q(CITE_MESSAGE)}",
        "type: dataset",
        f"title: {_q(d.get('title', package.name))}",
        f"abstract: {_q(d.get('description', proj.summary))}",
        f"version: {_q(package.version)}",
    ]
    if date:
        lines.append(f"date-released: {_q(date)}")
    lines.append("authors:")
    lines += [f"  - name: {_q(name)}" for name in author_names(package, proj)]
    lines += [
        f"license: {_q(licenses[0].get('name', ''))}",
        f"repository-code: {_q(proj.repository)}",
        f"url: {_q(proj.homepage)}",
        "keywords:",
        *[f"  - {_q(k)}" for k in d.get("keywords", [])],
    ]
    return "\n".join(lines) + "\n"


# --- schema.org JSON-LD --------------------------------------------------------------------------

def jsonld(package: Package, created: str, zip_name: str, proj: Project | None = None,
           sources: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """A schema.org `Dataset` for the release, with the zip as its download. `sources` are the rows of
    the sources table when the caller has them (read from its file otherwise)."""
    proj = proj or project()
    sources = source_rows(package) if sources is None else sources
    d = package.descriptor
    version = package.version
    licenses = d.get("licenses") or [{}]
    languages = sorted({r["language"] for r in sources if r.get("language")})
    return {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": proj.release_page(version),
        "name": d.get("title", package.name),
        "alternateName": package.name,
        "description": d.get("description", proj.summary),
        "version": version,
        "dateCreated": iso_date(created),
        "url": proj.homepage,
        "license": licenses[0].get("path", licenses[0].get("name", "")),
        "creator": [{"@type": "Organization", "name": n} for n in author_names(package, proj)],
        "keywords": list(d.get("keywords", [])),
        "inLanguage": languages,
        "isAccessibleForFree": True,
        "isBasedOn": [{"@type": "CreativeWork", "name": r["title"], **({"url": r["url"]} if r.get("url") else {})}
                      for r in sources],
        "distribution": [{"@type": "DataDownload", "encodingFormat": "application/zip", "name": zip_name,
                          "contentUrl": proj.download_url(version, zip_name)}],
    }


# --- README of the release -----------------------------------------------------------------------

def _rows(path: Path) -> int:
    with open(path, encoding="utf-8", newline="") as f:
        return max(sum(1 for _ in csv.reader(f)) - 1, 0)


MAX_LISTED = 100  # formula-like cells listed by place; the rest counted


def _formula_places(formulas: list[str]) -> list[str]:
    more = len(formulas) - MAX_LISTED
    return [escape_controls(f) for f in formulas[:MAX_LISTED]] + (
        [f"… and {more} more (`kuril-data validate` lists them all)"] if more > 0 else [])


def formula_notice(formulas: list[str]) -> str:
    """What `release` prints of the cells that start like a spreadsheet formula: how many, and
    where (`file:line:field`, the first MAX_LISTED), one per line."""
    return "\n".join([f"shipped {len(formulas)} cell(s) that start like a spreadsheet formula (=, +, -, @), "
                      "as written:", *_formula_places(formulas)])


def _formula_section(formulas: list[str] | None) -> str:
    """The README's account of those cells, when there are any."""
    if not formulas:
        return ""
    places = "\n".join(_formula_places(formulas))
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", places)), default=0))
    return (f"\n## Cells that start like a formula\n\n{len(formulas)} cell(s) start with `=`, `+`, `-` or `@`, "
            "which a spreadsheet may run as a formula. They are shipped as written: open the CSV files as "
            f"text, or import their columns as text, before editing them in a spreadsheet. Where they are "
            f"(file:line:field):\n\n{fence}text\n{places}\n{fence}\n")


def release_readme(package: Package, folder: Path, created: str, proj: Project | None = None, *,
                   formulas: list[str] | None = None) -> str:
    """README.md for whoever has only the release: what it is, its files, how to load and cite it,
    and where its cells that start like a spreadsheet formula are (`formulas`, when any)."""
    proj = proj or project()
    d = package.descriptor
    version, name = package.version, folder.name
    licenses = d.get("licenses") or [{}]
    tables = "\n".join(
        f"| `{r.name}` | {_rows(folder / r.path)} | {(r.description or r.schema.description).replace('|', '/')} |"
        for r in package.resources)
    authors = ", ".join(author_names(package, proj))
    data_licence = f"{licenses[0].get('title', licenses[0].get('name', ''))} ({licenses[0].get('name', '')})"
    timeline = ("\n| `timeline.svg` | every event on a time axis |" if (folder / "timeline.svg").is_file() else "")
    if (folder / "site" / "index.html").is_file():
        timeline += "\n| `site/` | a website of the data, offline: open `site/index.html` (a page per record, search) |"
    licence_files = "".join(f", `{n}`" for n in LICENSES if (folder / n).is_file())
    return f"""# {d.get('title', package.name)} — release {version}

{d.get('description', proj.summary)}

Version {version}, built {iso_date(created)} from the source repository
<{proj.repository}>. All releases: <{proj.url('Releases')}>.

## Files

| file | what it is |
|---|---|
| `kuril-data.sqlite` | every table in one SQLite database: keys, indexes, full-text search, views |
| `parquet/<table>.parquet` | one Parquet file per table, typed from the schemas |
| `kuril-data.json` | the whole package as one JSON Data Package with the data inline |
| `data/*.csv`, `schemas/*.json`, `datapackage.json` | the Data Package: CSV tables, Table Schemas, descriptor |
| `metadata.json` | table and column descriptions for [Datasette](https://datasette.io/) |
| `data-dictionary.md` | every table and field explained |
| `{JSONLD}` | a schema.org `Dataset` description of this release |{timeline}
| `CHANGELOG.md` | what changed in each version |
| `{CITATION}`{licence_files} | how to cite it{", and the licences" if licence_files else ""} |
| `SHA256SUMS` | checksums of every other file: `sha256sum -c SHA256SUMS` |

## Tables

| table | rows | what it holds |
|---|---|---|
{tables}

Dates are EDTF strings at the precision of the source (`1956`, `1956-10`, `1956-10-19`,
`1955-06-03/1955-09`); the Parquet, JSON and SQLite files add `<field>_earliest` and
`<field>_latest`, the first and last day a date can mean, for sorting and filtering.
{_formula_section(formulas)}
## Load it

Python with pandas (`pip install kuril-data`):

```python
import kuril_data
frames = kuril_data.load(source="{name}.zip")  # or this folder, or kuril-data.sqlite
events = frames["events"]
```

pandas alone: `pd.read_parquet("{name}/parquet/events.parquet")`.

DuckDB:

```sql
SELECT * FROM read_parquet('{name}/parquet/events.parquet');
```

SQLite (`sqlite3 {name}/kuril-data.sqlite`):

```sql
SELECT event_id, date, title FROM events ORDER BY date_earliest;
```

R:

```r
events <- arrow::read_parquet("{name}/parquet/events.parquet")
con <- DBI::dbConnect(RSQLite::SQLite(), "{name}/kuril-data.sqlite")
```

## Cite it

{authors}. *{d.get('title', package.name)}*, version {version} ({iso_date(created)[:4]}).
{proj.release_page(version)}

`{CITATION}` holds the same in Citation File Format, for reference managers.

## Licences

The data (`data/`, `parquet/`, `kuril-data.json`, `kuril-data.sqlite`) is under
{data_licence} (`LICENSE-DATA.md`): share and adapt it, crediting kuril-data as above.
The toolkit's code is under the {proj.license} licence (`LICENSE`).
Every record cites its source with a locator and a verbatim excerpt (the `citations` table).
"""


# --- release notes -------------------------------------------------------------------------------

def changelog_section(text: str, version: str) -> str:
    """The body of the `## [<version>]` section of a Keep a Changelog file (without its heading)."""
    match = re.search(rf"^## \[{re.escape(version)}\][^\n]*\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    if match is None:
        raise ValueError(f"CHANGELOG.md has no '## [{version}]' section")
    body = re.sub(r"^\[[^\]]+\]: \S+\s*$", "", match.group(1), flags=re.MULTILINE)
    return body.strip() + "\n"


def release_notes(changelog: str, version: str, proj: Project | None = None) -> str:
    """The release page's text: the version's CHANGELOG section, then how to get and cite it."""
    proj = proj or project()
    return (changelog_section(changelog, version) + "\n---\n\n"
            f"Install: `pip install {proj.name}=={version}`. The zip holds the whole release (CSV, Parquet, "
            f"JSON, SQLite) with a README; check it against `SHA256SUMS`. Cite it with `{CITATION}` "
            f"(inside the zip). All changes: {proj.url('Changelog')}.\n")


def tag_problem(tag: str, root: Path, proj: Project | None = None) -> str | None:
    """Why `tag` cannot publish the checkout at `root`, or None: it must be `v<version>`, with the
    same version in pyproject.toml and datapackage.json."""
    proj = proj or project()
    descriptor = json.loads((root / DESCRIPTOR).read_text(encoding="utf-8"))
    if descriptor.get("version") != proj.version:
        return (f"{DESCRIPTOR} says version {descriptor.get('version')!r} but pyproject.toml says "
                f"{proj.version!r}: make them equal")
    if tag != f"v{proj.version}":
        return f"the tag {tag!r} does not name version {proj.version} (expected 'v{proj.version}')"
    return None


def update_repository(root: Path) -> list[Path]:
    """Regenerate the repository's CITATION.cff (from pyproject.toml and datapackage.json) and the
    `sources` list of its datapackage.json (from the `sources` table); return the files changed."""
    from kuril_data.model.package import read_package

    package, problems = read_package(root)
    if package is None:
        raise SystemExit(f"cannot read {root / DESCRIPTOR}: {'; '.join(p.to_text() for p in problems)}")
    descriptor = dict(package.descriptor)
    descriptor["sources"] = descriptor_sources(package)
    wanted = {root / CITATION: citation_cff(package),
              root / DESCRIPTOR: json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"}
    changed = []
    for path, text in wanted.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8", newline="\n")
            changed.append(path)
    return changed


def _update(root: Path) -> int:
    changed = update_repository(root)
    print("\n".join(f"wrote {p}" for p in changed) or "CITATION.cff and datapackage.json are up to date")
    return 0


def _check_tag(root: Path, tag: str) -> int:
    problem = tag_problem(tag, root)
    if problem:
        print(f"Error: {problem}", file=sys.stderr)
        return 1
    print(f"{tag} names version {project().version}")
    return 0


def _notes(root: Path, version: str) -> int:
    sys.stdout.write(release_notes((root / "CHANGELOG.md").read_text(encoding="utf-8"), version))
    return 0


# The maintainer's and the release workflow's actions, run from the repository root: name -> (function, argument).
ACTIONS: dict[str, tuple[Callable[..., int], str | None]] = {
    "update": (_update, None), "check-tag": (_check_tag, "TAG"), "notes": (_notes, "VERSION"),
}


def main(argv: list[str]) -> int:
    name, args = (argv[0], argv[1:]) if argv else ("", [])
    action = ACTIONS.get(name)
    if action is None or len(args) != (action[1] is not None):
        usage = " | ".join(f"{n} {a or ''}".rstrip() for n, (_, a) in ACTIONS.items())
        print(f"usage: python -m kuril_data.release.describe {usage}", file=sys.stderr)
        return 2
    return action[0](Path.cwd(), *args)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
