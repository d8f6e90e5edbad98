"""Datasette's metadata.json, derived from the schemas: descriptions, full-text search, facets,
labels, sorting, the metadata table hidden, and canned queries kept only when their tables exist."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kuril_data.dataset import columns_of, label_field
from kuril_data.model.dates import EARLIEST, LATEST
from kuril_data.model.layout import ARTIFACT, METADATA_TABLE
from kuril_data.model.package import Package
from kuril_data.model.text import web_url
from kuril_data.outputs.sqlite import FTS_SUFFIX, SORT_SUFFIX, VIEWS, fts_fields, quote, view_tables
from kuril_data.project import project

# Declared once and applied to every table by what its schema says: its label field
# (`kuril_data.dataset.label_field`) labels a row wherever a foreign key points at it; enum and
# language fields are facets; the first EDTF date sorts the table (by its earliest day).
# Canned queries for the questions people ask most, each kept only when the package has its tables.
QUERIES: dict[str, tuple[str, str, str]] = {
    "disagreements_with_evidence": (
        "Every disagreement with its evidence",
        "Each disagreement between sources, with every account of it, the verbatim evidence, the source and "
        "the locator.",
        """SELECT d.disagreement_id, d.kind, d.subject, da.account, c.evidence, s.title AS source_title,
       s.language AS source_language, c.locator, c.citation_id
FROM disagreements AS d
JOIN disagreement_accounts AS da ON da.disagreement_id = d.disagreement_id
JOIN citations AS c ON c.citation_id = da.citation_id
JOIN sources AS s ON s.source_id = c.source_id
ORDER BY d.disagreement_id, s.source_id, c.citation_id""",
    ),
    "quotations_of_speaker": (
        "All quotations of one speaker, in every language",
        "Type an actor id (such as gromyko) or part of a name; translations of one quotation are "
        "listed together.",
        """SELECT coalesce(q.translation_of, q.quotation_id) AS quotation_group, q.quotation_id, q.language, q.text,
       a.name AS speaker_name, q.speaker_id, s.title AS source_title, q.locator, q.date
FROM quotations AS q
JOIN actors AS a ON a.actor_id = q.speaker_id
LEFT JOIN sources AS s ON s.source_id = q.source_id
WHERE q.speaker_id = :speaker OR a.name LIKE '%' || :speaker || '%'
ORDER BY quotation_group, q.language, q.quotation_id""",
    ),
}
YEAR_QUERY = "in_year"
EVIDENCE_QUERY = "evidence_for_record"
EVIDENCE = ("citations", "source_id", "sources")  # (the citations table, its key to the source, the sources)


def year_query(package: Package) -> str | None:
    """Every dated record whose date range meets the year :year, from every table with a label, a
    one-field key and an EDTF date (derived from the schemas, so a new dated table joins by itself).
    An open end is unbounded on its side (`../1951-09` meets 1905), an uncertain or approximate date
    counts by the interval its bounds give; a record with neither bound is in no year. Listed by
    the first bound known (the earliest day, else the latest), so an open start sorts by its end."""
    parts = []
    for resource in package.resources:
        dated = [f.name for f in resource.schema.fields if f.edtf]
        label = label_field(resource)
        if not dated or not label or len(resource.schema.primary_key) != 1:
            continue
        names = [*resource.schema.names, dated[0] + EARLIEST, dated[0] + LATEST]
        date, early, late = (quote(n, names) for n in (dated[0], dated[0] + EARLIEST, dated[0] + LATEST))
        table = "'" + resource.name.replace("'", "''") + "'"
        parts.append(f"SELECT {table} AS record_table, {quote(resource.schema.primary_key[0], names)} AS record_id, "
                     f"{quote(label, names)} AS label, {date} AS date, {early} AS date_earliest, "
                     f"{late} AS date_latest\nFROM {quote(resource.name, [resource.name])}\n"
                     f"WHERE ({early} IS NOT NULL OR {late} IS NOT NULL)\n"
                     f"  AND ({early} IS NULL OR {early} <= :year || '-12-31')\n"
                     f"  AND ({late} IS NULL OR {late} >= :year || '-01-01')")
    if not parts:
        return None
    return ("SELECT * FROM (\n" + "\nUNION ALL\n".join(parts) +  # a compound SELECT orders by columns only
            "\n)\nORDER BY coalesce(date_earliest, date_latest), date_latest, record_table, record_id")


def evidence_query(package: Package) -> str | None:
    """Every citation of one record, typed as :record, with its source's title: the record may be in any
    of the citations table's one-field keys other than the source's (read from its schema)."""
    table, source_key, sources = EVIDENCE
    resource, parent = package.resource(table), package.resource(sources)
    if resource is None or parent is None or "title" not in parent.schema.names or len(parent.schema.primary_key) != 1:
        return None
    names = resource.schema.names
    targets = [fk.fields[0] for fk in resource.schema.foreign_keys
               if len(fk.fields) == 1 and fk.fields[0] != source_key]
    if not targets or source_key not in names or len(resource.schema.primary_key) != 1:
        return None
    where = " OR ".join(f"c.{quote(t, names)} = :record" for t in targets)
    source_pk = quote(parent.schema.primary_key[0], parent.schema.names)
    return (f"SELECT c.*, s.\"title\" AS source_title\nFROM {quote(table, [table])} AS c\n"
            f"LEFT JOIN {quote(sources, [sources])} AS s ON s.{source_pk} = c.{quote(source_key, names)}\n"
            f"WHERE {where}\nORDER BY c.{quote(resource.schema.primary_key[0], names)}")


def datasette_metadata(package: Package, version: str) -> dict[str, Any]:
    """Datasette metadata from the schemas: descriptions, full-text search, facets, labels, sorting,
    the metadata table hidden, and the canned queries."""
    tables: dict[str, Any] = {}
    for resource in package.resources:
        config: dict[str, Any] = {
            "description": resource.description or resource.schema.description,
            "columns": {c.name: c.description for c in columns_of(resource)},
        }
        if fts_fields(resource):
            config["fts_table"] = resource.name + FTS_SUFFIX
            config["fts_pk"] = "rowid"
        facets = [f.name for f in resource.schema.fields if "enum" in f.constraints or f.language]
        if facets:
            config["facets"] = facets
        label = label_field(resource)
        if label:
            config["label_column"] = label
        dated = [f.name for f in resource.schema.fields if f.edtf]
        if dated:  # the derived sort column: an open start sorts by its end, not before everything
            config["sort"] = dated[0] + SORT_SUFFIX
            config["columns"][dated[0] + SORT_SUFFIX] = (
                f"The day to sort by: `{dated[0]}{EARLIEST}`, else (an open start) `{dated[0]}{LATEST}`.")
        tables[resource.name] = config
    present = {r.name for r in package.resources}
    for view, (description, sql) in VIEWS.items():
        if view_tables(sql) <= present:
            tables[view] = {"description": description}
    tables[METADATA_TABLE] = {"description": "Package name, version, build date and source file checksums.",
                              "hidden": True}
    queries: dict[str, Any] = {}
    for name, (title, description, sql) in QUERIES.items():
        if view_tables(sql) <= present:
            queries[name] = {"title": title, "description": description, "sql": sql}
    in_year = year_query(package)
    if in_year:
        queries[YEAR_QUERY] = {"title": "Everything that happened in a given year",
                               "description": "Every dated record whose date can fall in the year typed (e.g. "
                                              "1956), from the earliest.", "sql": in_year}
    evidence = evidence_query(package)
    if evidence:
        queries[EVIDENCE_QUERY] = {"title": "The evidence for one record",
                                   "description": "Type the id of an event, document, actor or place (e.g. "
                                                  "joint-declaration-1956): every citation of it, with its source, "
                                                  "locator and verbatim evidence.", "sql": evidence}
    licenses = package.descriptor.get("licenses") or [{}]
    return {
        "title": package.descriptor.get("title", package.name),
        "description": package.descriptor.get("description", ""),
        "license": licenses[0].get("name", ""),
        # Datasette links these on every page: only http(s) URLs, never a javascript: link from data.
        "license_url": web_url(licenses[0].get("path")) or "",
        "source_url": web_url(package.descriptor.get("homepage")) or web_url(project().homepage) or "",
        "databases": {ARTIFACT: {"source": f"{package.name} {version}", "tables": tables, "queries": queries}},
    }


def write_datasette_metadata(package: Package, target: Path, version: str) -> None:
    """Datasette's metadata.json (see `datasette_metadata`)."""
    meta = datasette_metadata(package, version)
    target.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n")
