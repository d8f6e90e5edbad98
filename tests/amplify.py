"""Packages that are small on disk but could make the site large: copies of the repository's own
package with one part blown up (issue 23). Used by tests/test_site_budget.py and benchmarks/sitebudget.py.

    python -m tests.amplify DEST translations 500
    python -m tests.amplify DEST title 150000
"""

from __future__ import annotations

import csv
import io
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


def input_bytes(pkg: Path) -> int:
    """Bytes of the package as published: descriptor, schemas and data."""
    return sum(p.stat().st_size for p in pkg.rglob("*") if p.is_file())


CASES = {"translations": many_translations, "title": long_title}

if __name__ == "__main__":
    CASES[sys.argv[2]](Path(sys.argv[1]), int(sys.argv[3]))
