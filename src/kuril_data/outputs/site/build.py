"""Build the static site: a page per record, an index per kind, disagreements, timeline and search.

Everything is read through the schemas: a table with a one-field primary key gets a page per row
(except the citations, shown in full on the pages of the records they cite); every field is shown
with foreign keys as links and EDTF dates with their bounds; every table that points at a record
is listed on that record's page. The few names the pages treat specially are declared below.
Links are relative, nothing is fetched from elsewhere (no CDN, fonts or analytics), and the search
index is a script setting a global, so the site works from file:// as from any static host. The
output depends only on the package and the build date: building twice gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import unicodedata
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from operator import itemgetter
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from kuril_data.dataset import Dataset, label_field, open_dataset
from kuril_data.errors import KurilDataError
from kuril_data.io.transaction import install, staging
from kuril_data.model.dates import EARLIEST, LATEST
from kuril_data.model.layout import (
    ARTIFACT,
    PARQUET_DIR,
    SITE_ASSETS,
    SITE_DOWNLOADS,
    SITE_DOWNLOADS_DIR,
    SITE_FILES,
    SITE_INDEX,
    SITE_SEARCH_INDEX,
)
from kuril_data.model.package import Package, Resource
from kuril_data.model.text import web_url
from kuril_data.outputs import timeline as timeline_module
from kuril_data.outputs.export import build_timestamp
from kuril_data.outputs.names import confined, unique_names
from kuril_data.outputs.site.escaping import attr_name, environment, script_json  # noqa: F401 (attr_name: re-exported)
from kuril_data.outputs.site.words import date_words
from kuril_data.project import project

# Declared once: the tables the pages treat specially (each optional: a package without them
# simply has no such section).
CITATIONS, CITATION_SOURCE, CITATION_LOCATOR = "citations", "source_id", "locator"
DISAGREEMENTS, ACCOUNTS, ACCOUNT_CITATION, ACCOUNT_TEXT = (
    "disagreements", "disagreement_accounts", "citation_id", "account")
TRANSLATION_OF = "translation_of"  # a self-reference linking a translated record to its original
ACTORS = "actors"
BASIS, INFERRED, NOTE = "basis", "inferred", "note"  # a link row stated by its evidence, or inferred (note: how)
QUOTATIONS = "quotations"  # shown grouped with their translations, side by side
LANGUAGES = {"en": "English", "pl": "Polish", "th": "Thai", "ru": "Russian", "ja": "Japanese"}
LANGUAGE_ORDER = ("en", "pl", "th")
KIND_ORDER = ("events", "documents", "quotations", "actors", "places", "disagreements", "sources")
SCHEMA_ORG = {"events": "Event", "documents": "CreativeWork", "quotations": "Quotation", "places": "Place",
              "sources": "CreativeWork", "disagreements": "Claim", "actors": "Organization"}
PERSON_KINDS = ("person", "head-of-state")
ASSETS = ("site.css", "site.js", "search.js", "timeline.js")
# [url, kind, title, date in words, language, names, summaries, evidence] per record, in the original
# case: the client folds case and diacritics and ranks names and titles, then summaries, then evidence.
SEARCH_INDEX = SITE_SEARCH_INDEX
SEARCH_TITLE = 160
# Work budgets (issue 23): the site's size stays linear in the package's. A record's label is shown
# whole only on its own page; everywhere else (lists, menus, links, headers) it is cut to LABEL_MAX
# characters. Text of the whole package (its title, description, licence, contributors, a field's
# description) repeated on every page is cut to PACKAGE_TEXT_MAX. A translation group is shown whole
# once, on its original's page; the page of any other member, and of a record one member points
# at, shows at most GROUP_SHOWN members and links there. A disagreement's accounts likewise: all on its
# own page, at most GROUP_SHOWN on a record page citing one of them. The menu lists at most NAV_KINDS tables.
LABEL_MAX = 300
PACKAGE_TEXT_MAX = 300
GROUP_SHOWN = 8
NAV_KINDS = 12
SEARCH_SEP = " \u2029 "  # between the texts of one tier: a match never spans two of them
SOURCE_SHORT = 60  # a source's title beside a claim (whole in the evidence entry the claim links to)
TOC_MIN = 4  # a record page with this many sections or more gets a table of contents
# Human headings for the records that point at a record: (table, its field) -> heading; any other
# gets its table's name in words.
RELATED_HEADINGS = {
    ("events", "document_id"): "Events of this document", ("events", "place_id"): "Events that took place here",
    ("events", "part_of"): "Parts of this event", ("documents", "in_reply_to"): "Replies to this document",
    ("documents", "place_id"): "Documents issued or signed here", ("places", "part_of"): "Places within it",
    ("actors", "member_of"): "Members", ("sources", "translation_of"): "Translations of this source",
    ("quotations", "source_id"): "Quotations taken from this source",
    ("event_actors", "event_id"): "Who took part", ("event_actors", "actor_id"): "Events this actor took part in",
    ("event_places", "event_id"): "Places concerned", ("event_places", "place_id"): "Events concerning this place",
    ("event_documents", "event_id"): "Documents concerned",
    ("event_documents", "document_id"): "Events concerning this document",
    ("document_actors", "document_id"): "Parties and signatories",
    ("document_actors", "actor_id"): "Documents this actor is party to",
    ("document_places", "document_id"): "Places concerned",
    ("document_places", "place_id"): "Documents concerning this place",
    ("actor_roles", "actor_id"): "Roles", ("actor_roles", "organization_id"): "Roles held in this organisation",
    ("place_names", "place_id"): "Names in the sources", ("actor_names", "actor_id"): "Names in the sources",
    ("place_names", "source_id"): "Place names found in this source",
    ("actor_names", "source_id"): "Actor names found in this source",
}
SINGULAR = {"events": "event", "documents": "document", "quotations": "quotation", "actors": "actor",
            "places": "place", "disagreements": "disagreement", "sources": "source"}


MANIFEST = ".kuril-data-site.json"  # what `build_site` wrote: a rebuild replaces a folder holding only that


def _foreign_file(out: Path) -> str | None:
    """Why `out` may not be replaced by a new site: something in it that no earlier build wrote. A
    folder is replaced only when empty, or when everything in it is listed in its MANIFEST."""
    if not out.exists() and not out.is_symlink():
        return None
    if out.is_symlink() or not out.is_dir():
        return "not a folder"
    try:
        listed = set(json.loads((out / MANIFEST).read_text(encoding="utf-8"))) | {MANIFEST}
    except (OSError, ValueError, TypeError):
        listed = set()
    for p in sorted(out.rglob("*")):
        rel = p.relative_to(out).as_posix()
        if rel not in listed:
            return f"{rel} was not written by kuril-data site" if listed else f"no {MANIFEST}"
    return None


class SiteError(KurilDataError):
    """The site cannot be written where asked (exit 2)."""


@dataclass
class Kind:
    """A table whose rows get pages."""

    resource: Resource
    key: str
    label: str | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)  # record id -> its page's file name, without .html

    @property
    def name(self) -> str:
        return self.resource.name


@dataclass(frozen=True)
class SiteResult:
    out: Path
    pages: int  # record pages written
    files: int  # all files written


def build_site(path: str | os.PathLike[str], out: str | os.PathLike[str]) -> SiteResult:
    """Validate the package at `path` and write its site as the folder `out`, atomically: a folder
    already there is replaced whole (no page of a removed record lingers) once the new one is complete.

    Raises `kuril_data.errors.Refused` when the package does not validate (nothing is written), and
    SiteError when `out` exists but is not an earlier site (it is never replaced then).
    """
    out = Path(out).resolve()
    foreign = _foreign_file(out)
    if foreign is not None:
        raise SiteError(f"{out} exists and is not a site built by kuril-data: refusing to replace it ({foreign})")
    data = open_dataset(path)
    with staging(out.parent, out.name) as tmp:
        result = write_site(data, tmp / out.name, stamp=build_timestamp(data.package))
        listing = sorted(p.relative_to(tmp / out.name).as_posix() for p in (tmp / out.name).rglob("*"))
        (tmp / out.name / MANIFEST).write_text(json.dumps(listing, ensure_ascii=False) + "\n", encoding="utf-8")
        install(tmp, out.parent, [out.name])
    return SiteResult(out, result.pages, result.files)


class Site:
    """The package read once into rows by table, with the links between them."""

    def __init__(self, data: Dataset) -> None:
        package = data.package
        self.package: Package = package
        self.tables: dict[str, list[dict[str, Any]]] = {r.name: data.rows(r.name) for r in package.resources}
        self.resources = {r.name: r for r in package.resources}
        self.kinds: dict[str, Kind] = {}
        for r in package.resources:
            pk = r.schema.primary_key
            if len(pk) == 1 and r.name != CITATIONS:
                kind = Kind(r, pk[0], label_field(r))
                kind.rows = sorted(self.tables[r.name], key=itemgetter(pk[0]))
                kind.by_id = {row[pk[0]]: row for row in kind.rows}
                # Each record's page, named by the one safe-name function; "index" is the kind's own page.
                kind.pages = unique_names([str(i) for i in kind.by_id], f"{r.name} record", reserved=("index",))
                self.kinds[r.name] = kind
        # A table's pages go in a folder of its name: never one of the site's own files.
        folders = unique_names(self.kinds, "table", reserved=SITE_FILES)
        odd = [k for k, folder in folders.items() if folder != k]
        if odd:
            raise SiteError(f"table name {odd[0]!r} cannot name a folder of the site")
        order = {n: i for i, n in enumerate(KIND_ORDER)}
        self.kind_names = sorted(self.kinds, key=lambda n: (order.get(n, len(order)), n))
        # incoming[table] = [(referencing resource, its fk fields)] for every foreign key pointing at table
        self.incoming: dict[str, list[tuple[Resource, str]]] = defaultdict(list)
        self.refs: dict[tuple[str, str], str] = {}  # (table, field) -> table it points at (one-field keys)
        for r in package.resources:
            for fk in r.schema.foreign_keys:
                if len(fk.fields) == 1:
                    target = fk.resource or r.name
                    self.refs[(r.name, fk.fields[0])] = target
                    self.incoming[target].append((r, fk.fields[0]))
        self.index: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
        for table, fname in self.refs:
            groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for row in self.tables[table]:
                if row[fname] is not None:
                    groups[row[fname]].append(row)
            self.index[(table, fname)] = groups
        # each table's language field, and the keys through which a row takes its target's language
        self.language_field = {r.name: f.name for r in package.resources for f in r.schema.fields if f.language}
        self.language_links = {r.name: [(f.name, t) for f in r.schema.fields
                                        if (t := self.refs.get((r.name, f.name))) and t != r.name
                                        and t in self.kinds and t in self.language_field]
                               for r in package.resources}
        self.citations = self.tables.get(CITATIONS, [])
        self.citation_by_id = {c["citation_id"]: c for c in self.citations} if CITATIONS in self.tables else {}
        self._groups: dict[str, dict[str, list[dict[str, Any]]]] = {}  # kind -> record id -> its translation group
        self._accounts: dict[str, list[dict[str, Any]]] = {}
        self._disagreements_by_citation: dict[str, set[str]] = defaultdict(set)
        for a in self.tables.get(ACCOUNTS, []):
            self._disagreements_by_citation[a[ACCOUNT_CITATION]].add(a["disagreement_id"])

    # --- records -----------------------------------------------------------------------------

    def label(self, kind: str, record_id: str) -> str:
        k = self.kinds.get(kind)
        if k is None:
            return str(record_id)
        row = k.by_id.get(record_id)
        if row is None or k.label is None or not row.get(k.label):
            return str(record_id)  # an integer key with no label field labels its record too
        return str(row[k.label])

    def url(self, kind: str, record_id: str) -> str | None:
        k = self.kinds.get(kind)
        return f"{kind}/{k.pages[str(record_id)]}.html" if k is not None and record_id in k.by_id else None

    def language(self, table: str, row: dict[str, Any]) -> str | None:
        """A row's language: its own language field, else that of the record a key points at (its source)."""
        own = self.language_field.get(table)
        if own and row.get(own):
            return str(row[own])
        for fname, target in self.language_links.get(table, ()):
            parent = self.kinds[target].by_id.get(row[fname]) if row.get(fname) else None
            if parent and parent.get(self.language_field[target]):
                return str(parent[self.language_field[target]])
        return None

    def referencing(self, kind: str, record_id: str) -> list[tuple[Resource, str, list[dict[str, Any]]]]:
        """Every (table, field, rows) whose foreign key points at this record."""
        out = []
        for r, fname in self.incoming.get(kind, []):
            rows = self.index[(r.name, fname)].get(record_id, [])
            if rows:
                out.append((r, fname, rows))
        return out

    def record_citations(self, kind: str, record_id: str) -> list[dict[str, Any]]:
        rows = [row for r, fname, found in self.referencing(kind, record_id)
                if r.name == CITATIONS and fname != CITATION_SOURCE for row in found]
        return sorted(rows, key=lambda c: (c.get(CITATION_SOURCE) or "", c["citation_id"]))

    def disagreements_of(self, citations: list[dict[str, Any]]) -> list[str]:
        if ACCOUNTS not in self.tables:
            return []
        return sorted({d for c in citations for d in self._disagreements_by_citation.get(c["citation_id"], ())})

    def accounts(self, disagreement_id: str) -> list[dict[str, Any]]:
        """The accounts of a disagreement, each with its citation, source and the record it cites
        (found once: every record page citing one of them asks again)."""
        if disagreement_id not in self._accounts:
            self._accounts[disagreement_id] = self._find_accounts(disagreement_id)
        return self._accounts[disagreement_id]

    def _find_accounts(self, disagreement_id: str) -> list[dict[str, Any]]:
        out = []
        for a in self.index.get((ACCOUNTS, "disagreement_id"), {}).get(disagreement_id, []):
            c = self.citation_by_id.get(a[ACCOUNT_CITATION], {})
            cited = self.cited_record(c)
            out.append({"account": a.get(ACCOUNT_TEXT), "citation": c, "cited": cited,
                        "lang": self.language(CITATIONS, c) if c else None,
                        "source": self.link("sources", c.get(CITATION_SOURCE))})
        return sorted(out, key=lambda x: (x["citation"].get(CITATION_SOURCE) or "",
                                          x["citation"].get("citation_id", "")))

    def cited_record(self, citation: dict[str, Any]) -> dict[str, Any] | None:
        for f in self.resources[CITATIONS].schema.fields if CITATIONS in self.resources else ():
            target = self.refs.get((CITATIONS, f.name))
            if target and target != "sources" and citation.get(f.name):
                return self.link(target, citation[f.name])
        return None

    def link(self, kind: str, record_id: str | None) -> dict[str, Any] | None:
        if not record_id:
            return None
        if kind == CITATIONS and record_id in self.citation_by_id:  # the evidence, on the cited record's page
            c = self.citation_by_id[record_id]
            cited = self.cited_record(c)
            source = self.label("sources", c.get(CITATION_SOURCE) or "")
            url = f"{cited['url']}#citation-{record_id}" if cited and cited["url"] else None
            return {"id": record_id, "kind": kind, "label": shorten(f"{source}, {c.get(CITATION_LOCATOR)}"), "url": url}
        link = {"id": record_id, "kind": kind, "label": shorten(self.label(kind, record_id)),
                "url": self.url(kind, record_id)}
        k = self.kinds.get(kind)
        if k and k.label and k.resource.schema.field(k.label).verbatim and record_id in k.by_id:
            link["lang"] = self.language(kind, k.by_id[record_id])  # the label is text in the record's language
        return link

    def translations(self, kind: str, row: dict[str, Any]) -> list[dict[str, Any]]:
        """The group of a record and its translations (a self-reference `translation_of`), by language,
        its original first when that is the first language. Groups are found once per kind (each record
        in one group), so this is linear in the table whatever the groups' sizes."""
        k = self.kinds[kind]
        if (kind, TRANSLATION_OF) not in self.refs:
            return [row]
        if kind not in self._groups:
            groups: dict[str, list[dict[str, Any]]] = {}
            for start in k.rows:
                if start[k.key] in groups:
                    continue
                root, seen = start, {start[k.key]}
                while (root.get(TRANSLATION_OF) and root[TRANSLATION_OF] in k.by_id
                       and root[TRANSLATION_OF] not in seen):
                    root = k.by_id[root[TRANSLATION_OF]]
                    seen.add(root[k.key])
                group, todo, members = [root], [root[k.key]], {root[k.key]}
                while todo:
                    for child in self.index[(kind, TRANSLATION_OF)].get(todo.pop(), []):
                        if child[k.key] not in members:
                            members.add(child[k.key])
                            group.append(child)
                            todo.append(child[k.key])
                group.sort(key=lambda g: (_lang_rank(self.language(kind, g)), g[k.key]))
                for member in members:
                    groups[member] = group
            self._groups[kind] = groups
        return self._groups[kind].get(row[k.key], [row])

    def group_root(self, kind: str, row: dict[str, Any]) -> dict[str, Any]:
        """The record a translation group is shown whole on: the one that translates nothing."""
        group = self.translations(kind, row)
        return next((g for g in group if not g.get(TRANSLATION_OF)), group[0])


def shorten(text: str, limit: int = LABEL_MAX) -> str:
    """`text` cut to `limit` characters (an ellipsis included) for a list, menu, link or header."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _lang_rank(lang: str | None) -> tuple[int, str]:
    return (LANGUAGE_ORDER.index(lang), "") if lang in LANGUAGE_ORDER else (len(LANGUAGE_ORDER), lang or "")


def normalise(text: str) -> str:
    """The search form of a text: NFC, lower case, white space collapsed (the client does the same)."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def fold(text: str) -> str:
    """The search form search.js matches on: decomposed, combining marks dropped (Polish ą ę ó ś ź ż
    fold to a e o s z z; ł to l), lower case, white space collapsed."""
    decomposed = unicodedata.normalize("NFD", text.replace("Ł", "L").replace("ł", "l"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


def _env() -> Environment:
    return environment(lambda code: LANGUAGES.get(code or "", code or ""))


def _value(site: Site, table: str, fname: str, value: Any) -> dict[str, Any]:
    """A field's value as the templates show it: a link, a date with its bounds, or text."""
    target = site.refs.get((table, fname))
    if target and value is not None:
        return {"link": site.link(target, str(value))}
    return {"text": value}


def _support(site: Site, citation_id: Any, page: str) -> dict[str, Any] | None:
    """The evidence a claim rests on, shown beside it: source, locator, the excerpt (cut to LABEL_MAX:
    it is whole in the evidence entry it links to) and the disagreements whose accounts cite it."""
    c = site.citation_by_id.get(citation_id) if citation_id else None
    if c is None:
        return None
    url = site.link(CITATIONS, citation_id)["url"]  # type: ignore[index]
    if url and url.startswith(page + "#"):
        url = url[len(page):]  # the entry further down this page
    disputed = sorted(site._disagreements_by_citation.get(citation_id, ())) if DISAGREEMENTS in site.kinds else []
    return {"id": citation_id, "source": site.link("sources", c.get(CITATION_SOURCE)),
            "locator": c.get(CITATION_LOCATOR), "excerpt": shorten(str(c.get("evidence") or "")),
            "lang": site.language(CITATIONS, c), "url": url,
            "source_short": shorten(site.label("sources", c.get(CITATION_SOURCE) or ""), SOURCE_SHORT),
            "disagreements": [site.link(DISAGREEMENTS, d) for d in disputed[:GROUP_SHOWN]],
            "more": max(0, len(disputed) - GROUP_SHOWN)}


def _claim_fields(site: Site, table: str) -> tuple[dict[str, str], str | None]:
    """How a table's rows cite their evidence: {field: the field naming its citation} for fields with
    their own (`date` by `date_citation_id`), and the field citing the whole row (a link table's
    `citation_id`), if any."""
    own: dict[str, str] = {}
    whole = None
    names = {f.name for f in site.resources[table].schema.fields}
    for f in site.resources[table].schema.fields:
        if site.refs.get((table, f.name)) == CITATIONS:
            claim = f.name.removesuffix("_" + ACCOUNT_CITATION)
            if claim != f.name and claim in names:
                own[claim] = f.name
            elif table not in site.kinds:
                whole = f.name
    return own, whole


def _row_support(site: Site, table: str, row: dict[str, Any], page: str) -> dict[str, Any]:
    """A link row's evidence and, when it is inferred rather than stated, the note saying how."""
    _, whole = _claim_fields(site, table)
    inferred = row.get(BASIS) == INFERRED
    return {"support": _support(site, row.get(whole), page) if whole else None,
            "inferred": (str(row.get(NOTE) or "") or True) if inferred else None}


def _facts(site: Site, table: str, row: dict[str, Any], skip: set[str], page: str = "") -> list[dict[str, Any]]:
    """Every field of a row, in schema order, with its description (a label for people) and, for a
    field citing its own evidence (`date_citation_id` for `date`), that evidence beside it."""
    out = []
    lang = site.language(table, row)
    own, whole = _claim_fields(site, table)
    skip = skip | set(own.values()) | ({whole, BASIS} if whole else set())
    if whole and row.get(BASIS) == INFERRED:
        skip.add(NOTE)  # shown with "inferred" beside the claim
    for f in site.resources[table].schema.fields:
        if f.name in skip or row.get(f.name) is None:
            continue
        name = f.name.removesuffix("_id") if (table, f.name) in site.refs else f.name
        item: dict[str, Any] = {"name": name.replace("_", " "), "description": shorten(
            f.description or "", PACKAGE_TEXT_MAX), **_value(
            site, table, f.name, row[f.name])}
        if f.edtf:
            item["bounds"] = (row.get(f.name + EARLIEST), row.get(f.name + LATEST))
            item["words"] = date_words(row[f.name])
        if f.language:
            item["text"] = f"{LANGUAGES.get(row[f.name], row[f.name])} ({row[f.name]})"
        if f.verbatim and lang:
            item["lang"] = lang
        if f.name in own:
            item["support"] = _support(site, row.get(own[f.name]), page)
        out.append(item)
    return out


def _related(site: Site, kind: str, record_id: str, page: str) -> list[dict[str, Any]]:
    """Sections for every table pointing at this record (besides citations and translations)."""
    sections = []
    for r, fname, rows in site.referencing(kind, record_id):
        if (r.name == CITATIONS and fname != CITATION_SOURCE) or (r.name == kind and fname == TRANSLATION_OF):
            continue
        if r.name == ACCOUNTS or (r.name == QUOTATIONS and fname != CITATION_SOURCE):
            continue  # shown as disagreements / quotation groups, side by side
        heading = RELATED_HEADINGS.get((r.name, fname)) or r.name.replace("_", " ").capitalize()
        items: list[dict[str, Any]] = []
        key = site.kinds[r.name].key if r.name in site.kinds else None
        if r.name == CITATIONS:  # a source: the records it is cited for, once each
            heading = "Records cited to this source"
            cited = {(x["kind"], x["id"]): x for c in rows if (x := site.cited_record(c))}
            items = [{"link": cited[k], "date": None, "lang": None} for k in sorted(cited)]
        elif key:
            for row in sorted(rows, key=lambda x: (_sort_date(site, r.name, x), x[key])):
                items.append({"link": site.link(r.name, row[key]), "date": _date_of(site, r.name, row),
                              "lang": site.language(r.name, row)})
        elif fname == CITATION_SOURCE:  # names found in a source: counted here, listed on their records' pages
            sections.append({"heading": heading, "count": len(rows), "items": []})
            continue
        else:
            for row in sorted(rows, key=lambda x: (_linked_date(site, r.name, x, fname),
                                                   json.dumps(x, default=str, sort_keys=True))):
                items.append({"facts": _facts(site, r.name, row, {fname}, page),
                              **_row_support(site, r.name, row, page)})
        sections.append({"heading": heading, "items": items})
    return sections


def _sort_date(site: Site, table: str, row: dict[str, Any]) -> tuple[bool, dt.date]:
    """A row's place in date order: its earliest day, else (an open start) its latest; undated last."""
    a, b = _bounds(site, table, row)
    day = a or b
    return (day is None, day or dt.date.min)


def _linked_date(site: Site, table: str, row: dict[str, Any], skip: str) -> tuple[bool, dt.date]:
    """A link row's place in date order: its own date, else that of the first dated record it names."""
    own = _sort_date(site, table, row)
    if not own[0]:
        return own
    for f in site.resources[table].schema.fields:
        target = site.refs.get((table, f.name))
        if f.name != skip and target in site.kinds and row.get(f.name) in site.kinds[target].by_id:
            found = _sort_date(site, target, site.kinds[target].by_id[row[f.name]])
            if not found[0]:
                return found
    return own


def _date_of(site: Site, table: str, row: dict[str, Any]) -> str | None:
    dated = next((f.name for f in site.resources[table].schema.fields if f.edtf), None)
    return row.get(dated) if dated else None


def _year_span(site: Site, table: str, row: dict[str, Any]) -> tuple[int | None, int | None]:
    a, b = _bounds(site, table, row)
    return (a.year if a else None, b.year if b else None)


def _actors_of(site: Site, kind: str, record_id: str, row: dict[str, Any]) -> list[str]:
    """The actors linked to a record: by its own foreign keys or through a link table."""
    found = set()
    for f in site.resources[kind].schema.fields:
        if site.refs.get((kind, f.name)) == ACTORS and row.get(f.name):
            found.add(row[f.name])
    for r, _, rows in site.referencing(kind, record_id):
        if r.name in site.kinds:
            continue
        for other in r.schema.fields:
            if site.refs.get((r.name, other.name)) == ACTORS:
                found.update(x[other.name] for x in rows if x.get(other.name))
    return sorted(found)


def _jsonld(site: Site, kind: str, row: dict[str, Any], title: str, base: dict[str, Any]) -> dict[str, Any]:
    k = site.kinds[kind]
    kind_type = SCHEMA_ORG.get(kind, "Thing")
    if kind == "actors" and row.get("kind") in PERSON_KINDS:
        kind_type = "Person"
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": kind_type, "name": title,
                            "identifier": row[k.key], "isPartOf": base}
    text = next((row[n] for n in ("summary", "description", "subject") if row.get(n)), None)
    if text:
        data["description"] = text
    if kind == "quotations":
        data["text"] = row.get("text")
    lang = site.language(kind, row)
    if lang:
        data["inLanguage"] = lang
    a, b = _bounds(site, kind, row)  # an open end stays open: no date is made up for it
    if kind_type == "Event":
        if a:
            data["startDate"] = a.isoformat()
        if b:
            data["endDate"] = b.isoformat()
    elif a or b:
        data["temporalCoverage"] = f"{a.isoformat() if a else '..'}/{b.isoformat() if b else '..'}"
    return data


def _bounds(site: Site, table: str, row: dict[str, Any]) -> tuple[dt.date | None, dt.date | None]:
    dated = next((f.name for f in site.resources[table].schema.fields if f.edtf), None)
    return (row.get(dated + EARLIEST), row.get(dated + LATEST)) if dated else (None, None)


def write_site(data: Dataset, out: Path, *, stamp: int, downloads: list[tuple[str, str]] | None = None
               ) -> SiteResult:
    """Write the site of a validated package into the new folder `out`; `downloads` are (label,
    relative URL) pairs for files beside the site (a release's exports)."""
    site = Site(data)
    package = site.package
    env = _env()
    out.mkdir(parents=True)
    (out / SITE_ASSETS).mkdir()
    for asset in ASSETS:
        content = resources.files("kuril_data.outputs.site").joinpath("static", asset).read_bytes()
        confined(out, f"{SITE_ASSETS}/{asset}").write_bytes(content)
    title = str(package.descriptor.get("title", package.name))
    year = dt.datetime.fromtimestamp(stamp, dt.UTC).year
    proj = project()
    urls = proj.web_urls()
    site_url, form = proj.site_url(), proj.correction_form()
    authors = shorten(_contributors(package), PACKAGE_TEXT_MAX)
    homepage = web_url(urls.get("Homepage") or package.descriptor.get("homepage"))  # never a javascript: link
    base_ld = {"@type": "Dataset", "name": shorten(title, PACKAGE_TEXT_MAX), "version": package.version}
    if homepage:
        base_ld["url"] = homepage
    has_timeline = package.resource(timeline_module.EVENTS) is not None
    # What every page repeats is bounded (PACKAGE_TEXT_MAX, NAV_KINDS); the home page has it whole.
    common = {"package": package, "title": shorten(title, PACKAGE_TEXT_MAX), "version": package.version,
              "kinds": site.kind_names, "has_timeline": has_timeline, "singular": SINGULAR,
              "short_title": shorten(title, PACKAGE_TEXT_MAX), "nav_kinds": NAV_KINDS,
              "short_description": shorten(str(package.descriptor.get("description", "")), PACKAGE_TEXT_MAX),
              "licence": shorten(_license(package), PACKAGE_TEXT_MAX),
              "kind_titles": {n: shorten(n.capitalize()) for n in site.kind_names}}
    files = 0

    def write(rel: str, template: str, **context: Any) -> None:
        nonlocal files
        depth = rel.count("/")
        html = env.get_template(template).render(root="../" * depth, **common, **context)
        _write_text(confined(out, rel), html)
        files += 1

    pages = 0
    search: list[list[str]] = []
    for kind in site.kind_names:
        confined(out, kind).mkdir()
        k = site.kinds[kind]
        index_rows: list[dict[str, Any]] = []
        for row in k.rows:
            record_id = row[k.key]
            label = site.label(kind, record_id)
            citations = site.record_citations(kind, record_id)
            cites = [{"citation": c, "lang": site.language(CITATIONS, c),
                      "source": site.link("sources", c.get(CITATION_SOURCE))} for c in citations]
            disagreement_ids = set(site.disagreements_of(citations))
            if kind == DISAGREEMENTS:
                disagreement_ids.add(record_id)
            disagreements = [_disagreement(site, d, None if d == record_id and kind == DISAGREEMENTS
                                           else {c["citation_id"] for c in citations})
                             for d in sorted(disagreement_ids) if DISAGREEMENTS in site.kinds]
            group = site.translations(kind, row) if (kind, TRANSLATION_OF) in site.refs else []
            root = site.group_root(kind, row) if group else row
            shown = group if root is row else _some(group, [row, root], kind, site)
            translations = [{"lang": site.language(kind, t), "link": site.link(kind, t[k.key]),
                             "current": t[k.key] == record_id, "text": _verbatim(k.resource, t),
                             "source": site.link("sources", t.get(CITATION_SOURCE)), "locator": t.get(CITATION_LOCATOR)}
                            for t in shown]
            group_more = ({"count": len(group) - len(shown), "link": site.link(kind, root[k.key])}
                          if len(shown) < len(group) else None)
            quotations = _quotations_for(site, kind, record_id)
            a, b = _bounds(site, kind, row)
            page = site.url(kind, record_id)
            assert page is not None
            actors = _actors_of(site, kind, record_id, row)
            related = _related(site, kind, record_id, page)
            facts = _facts(site, kind, row, {k.key} | ({k.label} if k.label else set()), page)
            translations = translations if len(translations) > 1 else []
            for f in facts:  # a key the record names (its document, its place): the link row's evidence
                if f.get("link") and not f.get("support") and f["link"]["kind"] in site.kinds:
                    hit = _named(site, kind, record_id, row, f["link"]["kind"], page, [f["link"]["id"]])
                    if hit and (hit[0]["support"] or hit[0]["inferred"]):
                        f["support"], f["inferred"] = hit[0]["support"], hit[0]["inferred"]
            toc = [(anchor, name) for anchor, name, present in (
                ("facts-h", "Facts", True), ("translations-h", "In every language", translations),
                ("evidence-h", "Sources and evidence", cites), ("disagreements-h", "Where the sources disagree",
                                                               disagreements),
                ("quotations-h", "Quotations", quotations)) if present]
            toc += [(f"related-{i}", section["heading"]) for i, section in enumerate(related, 1)]
            permanent = site_url + page if site_url else None
            record_ref = f"{kind}/{record_id}"
            correction = (form + "&" + urllib.parse.urlencode(
                {"title": f"Correction: {record_ref}", "record": record_ref, "page": permanent or page,
                 "version": package.version})) if form else None
            write(page, "record.html", kind=kind, record_id=record_id, page=page, label=label,
                  row=row, lang=site.language(kind, row), facts=facts,
                  citations=cites, disagreements=disagreements, translations=translations, group_more=group_more,
                  quotations=quotations, related=related, toc=toc if len(toc) >= TOC_MIN else [],
                  jsonld=_jsonld(site, kind, row, label, base_ld), bounds=(a, b),
                  when=next((f for f in facts if "bounds" in f), None),
                  where=_named(site, kind, record_id, row, "places", page),
                  who=_named(site, kind, record_id, row, ACTORS, page, actors[:8]), who_count=len(actors),
                  date_support=next((f.get("support") for f in facts if "bounds" in f), None),
                  permanent=permanent, correction=correction,
                  cite=_cite(authors, year, shorten(title, PACKAGE_TEXT_MAX), package.version, record_ref, label,
                             permanent),
                  description=row.get("summary") or row.get("description") or row.get("subject") or "")
            pages += 1
            y0, y1 = _year_span(site, kind, row)
            index_rows.append({"link": site.link(kind, record_id), "row": row, "date": _date_of(site, kind, row),
                               "earliest": a, "y0": y0, "y1": y1, "actors": actors, "lang": site.language(kind, row)})
            # Words people search for, in three tiers: names and titles (the label and the names the
            # sources give it), then summaries and notes, then the verbatim evidence. Never internal
            # codes: no keys, identifiers, enum values, language tags, dates or patterned fields.
            names = [label]
            for r, _, rows in site.referencing(kind, record_id):
                if r.name not in site.kinds and r.name != CITATIONS:
                    names += [str(x[f.name]) for x in rows for f in r.schema.fields if f.verbatim and x.get(f.name)]
            summaries = [str(v) for f in k.resource.schema.fields if f.name not in (k.key, k.label)
                         and f.type == "string" and (kind, f.name) not in site.refs and not f.language
                         and not f.edtf and not {"enum", "pattern"} & set(f.constraints) and (v := row.get(f.name))]
            evidence = [c["evidence"] for c in citations if c.get("evidence")]
            short = label if len(label) <= SEARCH_TITLE else label[:SEARCH_TITLE - 1].rstrip() + "…"
            when = facts_when["words"] or facts_when["text"] if (facts_when := next(
                (f for f in facts if "bounds" in f), None)) else ""
            search.append([page, kind, short, when, site.language(kind, row) or "",
                           SEARCH_SEP.join(dict.fromkeys(names)), SEARCH_SEP.join(summaries),
                           SEARCH_SEP.join(evidence)])
        if any(r["date"] for r in index_rows):  # dated kinds list by date, undated last
            index_rows.sort(key=lambda r: (r["earliest"] is None, r["earliest"] or dt.date.min, r["link"]["id"]))
        filters = _filters(site, kind, index_rows)
        columns = [f for f in k.resource.schema.fields if "enum" in f.constraints or f.language]
        write(f"{kind}/index.html", "kind.html", kind=kind, rows=index_rows, filters=filters, columns=columns,
              dated=any(r["date"] for r in index_rows), has_actors=any(r["actors"] for r in index_rows),
              actor_labels={a: shorten(site.label(ACTORS, a)) for r in index_rows for a in r["actors"]},
              disagreement_list=[{"link": site.link(kind, r["link"]["id"]), "row": r["row"],
                                  "accounts": site.accounts(r["link"]["id"])} for r in index_rows]
              if kind == DISAGREEMENTS else [],
              description=k.resource.description or "")
    write("search.html", "search.html", kind_counts={n: len(site.kinds[n].rows) for n in site.kind_names})
    files += _write_downloads(site, out, write, downloads, proj.download_url(package.version, f"{ARTIFACT}-"
                                                                              f"{package.version}.zip")
                              if "Download" in proj.urls else None, proj.release_page(package.version)
                              if "Releases" in proj.urls else None)
    index_js = "window.KURIL_SEARCH = " + script_json(search) + ";\n"
    confined(out, SEARCH_INDEX).write_text(index_js, encoding="utf-8", newline="\n")
    files += 1
    if has_timeline:
        events = site.tables[timeline_module.EVENTS]
        documents = site.tables.get(timeline_module.DOCUMENTS, [])
        picture = timeline_module.svg(events, documents, f"{title} — {len(events)} events", link="")
        years: dict[str, list[dict[str, Any]]] = defaultdict(list)  # the list phones get instead of the picture
        for e in sorted(events, key=lambda x: (_sort_date(site, timeline_module.EVENTS, x), str(x.get("event_id")))):
            none, day = _sort_date(site, timeline_module.EVENTS, e)
            key = site.kinds[timeline_module.EVENTS].key if timeline_module.EVENTS in site.kinds else None
            url = site.url(timeline_module.EVENTS, e[key]) if key else None
            if url and key:
                years["undated" if none else str(day.year)].append(
                    {"url": url, "label": shorten(site.label(timeline_module.EVENTS, e[key])),
                     "when": date_words(_date_of(site, timeline_module.EVENTS, e)) or _date_of(
                         site, timeline_module.EVENTS, e) or ""})
        write("timeline.html", "timeline.html", svg=Markup(picture), events=len(events), by_year=list(years.items()),
              groups=(*timeline_module.GROUPS, timeline_module.OTHER))
    counts = {n: len(site.kinds[n].rows) for n in site.kind_names}
    citation = (f"{_contributors(package)} ({year}). {title}, version {package.version} [data set]. "
                f"{_license(package)}." + (f" {homepage}" if homepage else ""))
    # `Download` is the base under which release files live (<Download>/v<version>/<file>), not a page
    elsewhere = {label: url for label, url in urls.items() if label != "Download"}
    write(SITE_INDEX, "home.html", counts=counts, citation=citation, urls=elsewhere, homepage=homepage,
          full_title=title,
          description=package.descriptor.get("description", ""))
    return SiteResult(out, pages, files + len(ASSETS))


def _named(site: Site, kind: str, record_id: str, row: dict[str, Any], target: str, page: str,
           only: list[str] | None = None) -> list[dict[str, Any]]:
    """The records of `target` a record names, for its short header: by its own keys, then through its
    link tables, each with the role and evidence of the first link row naming it (`only`: just those)."""
    found: dict[str, dict[str, Any]] = {}
    own_claims, _ = _claim_fields(site, kind)
    for f in site.resources[kind].schema.fields:
        if site.refs.get((kind, f.name)) == target and row.get(f.name) and kind != target:
            found.setdefault(row[f.name], {"support": _support(site, row.get(own_claims.get(f.name, "")), page)
                                           if f.name in own_claims else None, "inferred": None, "role": None})
    for r, _, rows in site.referencing(kind, record_id):
        if r.name in site.kinds:
            continue
        role = next((f.name for f in r.schema.fields if f.name == "role"), None)
        for x in rows:
            for f in r.schema.fields:
                if (site.refs.get((r.name, f.name)) == target and x.get(f.name)
                        and (x[f.name] not in found or not found[x[f.name]]["support"])
                        and not (kind == target and x[f.name] == record_id)):
                    found[x[f.name]] = {"role": x.get(role) if role else None, **_row_support(site, r.name, x, page)}
    ids = list(found) if only is None else [i for i in only if i in found]
    return [{"link": site.link(target, i), **found[i]} for i in ids]


def _cite(authors: str, year: int, title: str, version: str, record: str, label: str,
          permanent: str | None) -> dict[str, str]:
    """How to cite one record: plain text and BibTeX (braces and backslashes in data dropped there)."""
    plain = (f"{authors} ({year}). “{label}” ({record}). In {title}, version {version} [data set]."
             + (f" {permanent}" if permanent else ""))

    def bib(text: str) -> str:
        return "".join(ch for ch in text if ch not in "{}\\")

    key = "".join(ch if ch.isalnum() else "-" for ch in f"kuril-data-{version}-{record}")
    fields = [("title", bib(label)), ("author", bib(authors.replace(", ", " and "))), ("year", str(year)),
              ("howpublished", bib(f"{title}, version {version}, record {record}")), ("version", bib(version))]
    if permanent:
        fields.append(("url", bib(permanent)))
    bibtex = f"@misc{{{key},\n" + ",\n".join(f"  {k} = {{{v}}}" for k, v in fields) + "\n}"
    return {"plain": plain, "bibtex": bibtex}


def _file_entry(path: Path, href: str, label: str) -> dict[str, Any]:
    data = path.read_bytes()
    return {"href": href, "label": label, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _write_downloads(site: Site, out: Path, write: Any, release: list[tuple[str, str]] | None,
                     zip_url: str | None, release_page: str | None) -> int:
    """downloads.html: every table as CSV and Parquet, with size and SHA-256 of the very file linked.
    Inside a release (`release` given: its files beside the site) the links point at the release's
    data/ and parquet/ and at the zip beside the release folder; a standalone site ships copies of
    the CSVs in downloads/ and says that Parquet and the zip come with the release. Returns files written."""
    written = 0
    tables = []
    csv: dict[str, Any] | None
    parquet: dict[str, Any] | None
    if release is None:
        confined(out, SITE_DOWNLOADS_DIR).mkdir()
    for r in site.package.resources:
        csv_name = Path(r.path).name
        if release is None:
            source = site.package.root / r.path
            target = confined(out, f"{SITE_DOWNLOADS_DIR}/{csv_name}")
            target.write_bytes(source.read_bytes())
            written += 1
            csv = _file_entry(target, f"{SITE_DOWNLOADS_DIR}/{urllib.parse.quote(csv_name)}", csv_name)
            parquet = None
        else:
            csv_path = out.parent / r.path
            csv = _file_entry(csv_path, f"../{urllib.parse.quote(r.path)}", csv_name) if csv_path.is_file() else None
            pq = out.parent / PARQUET_DIR / f"{r.name}.parquet"
            parquet = (_file_entry(pq, f"../{PARQUET_DIR}/{urllib.parse.quote(r.name)}.parquet", pq.name)
                       if pq.is_file() else None)
        tables.append({"name": r.name, "description": r.description or "", "rows": len(site.tables[r.name]),
                       "csv": csv, "parquet": parquet})
    others = []
    for label, href in release or []:
        path = (out / href).resolve()
        if path.is_file() and "/" not in label:  # the release's other top-level files
            others.append(_file_entry(path, urllib.parse.quote(href), label))
    zip_name = f"{ARTIFACT}-{site.package.version}.zip"
    write(SITE_DOWNLOADS, "downloads.html", tables=tables, others=others, in_release=release is not None,
          zip_name=zip_name, zip_href=f"../../{zip_name}" if release is not None else None,
          zip_url=zip_url, release_page=release_page)
    return written


def _write_text(target: Path, text: str) -> None:
    with open(target, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def _verbatim(resource: Resource, row: dict[str, Any]) -> str | None:
    """The row's first verbatim text field (a quotation's text), if any."""
    return next((row[f.name] for f in resource.schema.fields if f.verbatim and row.get(f.name)), None)


def _disagreement(site: Site, d: str, cited_here: set[str] | None) -> dict[str, Any]:
    """A disagreement with its accounts: all of them on its own page (`cited_here` None), else those
    citing this record's citations and at most GROUP_SHOWN in all, with a link to the rest."""
    accounts = site.accounts(d)
    shown = accounts
    if cited_here is not None and len(accounts) > GROUP_SHOWN:
        first = [a for a in accounts if a["citation"].get("citation_id") in cited_here]
        rest = [a for a in accounts if a["citation"].get("citation_id") not in cited_here]
        keep = {id(a) for a in first + rest[:max(0, GROUP_SHOWN - len(first))]}
        shown = [a for a in accounts if id(a) in keep]
    return {"link": site.link(DISAGREEMENTS, d), "row": site.kinds[DISAGREEMENTS].by_id[d], "accounts": shown,
            "more": len(accounts) - len(shown)}


def _some(group: list[dict[str, Any]], wanted: list[dict[str, Any]], kind: str, site: Site,
          limit: int = GROUP_SHOWN) -> list[dict[str, Any]]:
    """At most `limit` members of a translation group (more only when more are `wanted`): the wanted
    ones and the first others, in the group's order. Work bounded by `limit` and `wanted`, not the group."""
    key = site.kinds[kind].key
    keep = {r[key]: r for r in wanted}
    for r in group[:limit]:
        if len(keep) >= limit:
            break
        keep.setdefault(r[key], r)
    return sorted(keep.values(), key=lambda g: (_lang_rank(site.language(kind, g)), g[key]))


def _quotations_for(site: Site, kind: str, record_id: str) -> list[dict[str, Any]]:
    """Quotations pointing at a record (speaker, document, event), grouped with their translations:
    those pointing here and at most GROUP_SHOWN in all of a group, with a link to where it is whole."""
    if kind == QUOTATIONS or QUOTATIONS not in site.kinds:
        return []
    q = site.kinds[QUOTATIONS]
    rows = [row for r, fname, found in site.referencing(kind, record_id)
            if r.name == QUOTATIONS and fname != CITATION_SOURCE for row in found]
    groups: dict[str, list[dict[str, Any]]] = {}
    here: dict[str, list[dict[str, Any]]] = defaultdict(list)  # group -> its members pointing here
    for row in rows:
        group = site.translations(QUOTATIONS, row)
        groups[group[0][q.key]] = group
        here[group[0][q.key]].append(row)
    out = []
    for g in sorted(groups):
        shown = _some(groups[g], here[g], QUOTATIONS, site)
        root = site.group_root(QUOTATIONS, groups[g][0])
        out.append({"members": [{"row": t, "lang": site.language(QUOTATIONS, t),
                                 "link": site.link(QUOTATIONS, t[q.key])} for t in shown],
                    "more": ({"count": len(groups[g]) - len(shown), "link": site.link(QUOTATIONS, root[q.key])}
                             if len(shown) < len(groups[g]) else None)})
    return out


def _filters(site: Site, kind: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Filter menus of a kind's index: every enum and language field with the values present."""
    out = []
    for f in site.kinds[kind].resource.schema.fields:
        if "enum" in f.constraints or f.language:
            values = sorted({str(r["row"][f.name]) for r in rows if r["row"].get(f.name)})
            if len(values) > 1:
                out.append({"field": f.name, "values": values, "language": f.language})
    return out


def _contributors(package: Package) -> str:
    names = [c.get("title") for c in package.descriptor.get("contributors", []) if c.get("title")]
    return ", ".join(names) or package.name


def _license(package: Package) -> str:
    licenses = package.descriptor.get("licenses") or [{}]
    return str(licenses[0].get("name", ""))
