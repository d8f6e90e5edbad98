"""Packages that are small on disk but could make the site large: copies of the repository's own
package with one part blown up (issue 23). Used by tests/test_site_budget.py and benchmarks/sitebudget.py.

    python -m tests.amplify DEST translations 500
    python -m tests.amplify DEST title 150000
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def copy_real(dest: Path) -> Path:
    """The repository's descriptor, schemas and data, copied into `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "datapackage.json", dest / "datapackage.json")
    shutil.copytree(ROOT / "schemas", dest / "schemas")
    shutil.copytree(ROOT / "data", dest / "data")
    return dest


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")


def many_translations(dest: Path, n: int) -> Path:
    """The real package plus `n` translations of one quotation (the first that is an original)."""
    copy_real(dest)
    path = dest / "data" / "quotations.csv"
    header, rows = read_rows(path)
    _, sources = read_rows(dest / "data" / "sources.csv")
    language = {s["source_id"]: s["language"] for s in sources}
    original = next(r for r in rows if not r["translation_of"] and language.get(r["source_id"]) == "en")
    others = sorted(s for s, lang in language.items() if lang != "en")  # a translation is in another language
    for i in range(n):
        row = dict(original)
        source = others[i % len(others)]
        row.update(quotation_id=f"{original['quotation_id']}-t{i:05d}", translation_of=original["quotation_id"],
                   source_id=source, language=language[source], text=f"{original['text']} ({i})",
                   locator=f"line {i + 1}")
        rows.append(row)
    write_rows(path, header, rows)
    return dest


def long_title(dest: Path, size: int) -> Path:
    """The real package whose first source has a title of `size` characters."""
    copy_real(dest)
    path = dest / "data" / "sources.csv"
    header, rows = read_rows(path)
    words = "Why there is no peace treaty with Japan "
    rows[0]["title"] = (words * (size // len(words) + 1))[:size].strip()
    write_rows(path, header, rows)
    return dest


def many_accounts(dest: Path, n: int) -> Path:
    """The real package whose first disagreement gains an account for each of `n` citations (of as
    many records): each of their pages shows that disagreement."""
    copy_real(dest)
    path = dest / "data" / "disagreement_accounts.csv"
    header, rows = read_rows(path)
    first = rows[0]["disagreement_id"]
    taken = {r["citation_id"] for r in rows if r["disagreement_id"] == first}
    _, citations = read_rows(dest / "data" / "citations.csv")
    for c in [c for c in citations if c["citation_id"] not in taken][:n]:
        rows.append({"disagreement_id": first, "citation_id": c["citation_id"],
                     "account": f"Account of {c['citation_id']}."})
    write_rows(path, header, rows)
    return dest


def many_tables(dest: Path, n: int) -> Path:
    """The real package with `n` more tables of one row each (each gets an index and a page)."""
    copy_real(dest)
    desc = json.loads((dest / "datapackage.json").read_text(encoding="utf-8"))
    for i in range(n):
        name = f"extra{i:04d}"
        schema = {"fields": [{"name": "extra_id", "type": "string", "constraints": {"required": True}},
                             {"name": "title", "type": "string"}], "primaryKey": ["extra_id"]}
        (dest / "schemas" / f"{name}.json").write_text(json.dumps(schema), encoding="utf-8")
        (dest / "data" / f"{name}.csv").write_text(f"extra_id,title\nx,Extra {i}\n", encoding="utf-8")
        desc["resources"].append({"name": name, "path": f"data/{name}.csv", "schema": f"schemas/{name}.json",
                                  "format": "csv", "mediatype": "text/csv", "encoding": "utf-8"})
    (dest / "datapackage.json").write_text(json.dumps(desc, indent=2), encoding="utf-8")
    return dest


def input_bytes(pkg: Path) -> int:
    """Bytes of the package as published: descriptor, schemas and data."""
    return sum(p.stat().st_size for p in pkg.rglob("*") if p.is_file())


CASES = {"translations": many_translations, "title": long_title, "accounts": many_accounts, "tables": many_tables}

if __name__ == "__main__":
    CASES[sys.argv[2]](Path(sys.argv[1]), int(sys.argv[3]))
