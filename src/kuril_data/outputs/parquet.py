"""Parquet: one zstd-compressed file per table, typed Arrow from the dataset, descriptions in the
metadata. File names come from `kuril_data.outputs.names`."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from kuril_data.dataset import Dataset
from kuril_data.outputs.names import confined, unique_names


def write_parquet(data: Dataset, folder: Path, version: str) -> list[str]:
    """Write every table into the new folder `folder`; return the file names written."""
    folder.mkdir()
    names = unique_names([r.name for r in data.resources], "table")
    written = []
    for resource in data.resources:
        table = data.arrow(resource.name, version)
        fields = [{"name": f.name, "type": str(f.type), "description": description(f)} for f in table.schema]
        meta = {**(table.schema.metadata or {}), b"fields": json.dumps(fields, ensure_ascii=False).encode()}
        file = f"{names[resource.name]}.parquet"
        pq.write_table(table.replace_schema_metadata(meta), confined(folder, file),
                       compression="zstd", compression_level=9)
        written.append(file)
    return written


def description(field: pa.Field) -> str:
    return (field.metadata or {}).get(b"description", b"").decode("utf-8")
