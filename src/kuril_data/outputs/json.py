"""The one-file JSON Data Package: the descriptor with every schema (as read) and every table's
typed rows inline, dates as ISO text."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from kuril_data.dataset import Dataset

FILE_KEYS = ("path", "format", "mediatype", "encoding", "bytes", "hash", "dialect", "compression")
DROPPED = ("profile", "$schema")


def data_package(data: Dataset, version: str) -> dict[str, Any]:
    """The package as one Data Package descriptor: every schema and every table inline."""
    package = data.package
    descriptor = {k: v for k, v in package.descriptor.items() if k not in DROPPED}
    descriptor["version"] = version
    raw_resources = {r["name"]: r for r in package.descriptor["resources"]}
    resources = []
    for resource in package.resources:
        raw = {k: v for k, v in raw_resources[resource.name].items() if k not in FILE_KEYS}
        raw["schema"] = {k: v for k, v in resource.raw_schema.items() if k not in DROPPED}
        typed = data.table(resource.name)
        n = len(resource.schema.fields)  # the fields only: the date bounds are derived, not data
        names = typed.names[:n]
        raw["data"] = [dict(zip(names, row, strict=True)) for row in zip(*typed.values[:n], strict=True)]
        resources.append(raw)
    descriptor["resources"] = resources
    return descriptor


def write_json(data: Dataset, target: Path, version: str) -> None:
    """`data_package(...)` as indented JSON, dates as ISO text."""
    with target.open("w", encoding="utf-8", newline="\n") as f:
        json.dump(data_package(data, version), f, ensure_ascii=False, indent=2, default=_iso_date)
        f.write("\n")


def _iso_date(value: Any) -> str:
    """`json.dump`'s fallback: dates as ISO text; anything else is a bug, not data."""
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
