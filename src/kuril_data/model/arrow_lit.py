"""Arrow arrays and scalars from Python values without `pa.array` / `pa.scalar`.

pyarrow's converters from Python objects first ask whether the object is a pandas one, and that
imports pandas (~0.2 s and ~35 MB) even when nothing in the process uses it. The Arrow rules
build their few small arrays and literals here instead, straight from buffers.
"""

from __future__ import annotations

import datetime as dt
from array import array as _buffer
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import Any

import pyarrow as pa

_EPOCH = dt.date(1970, 1, 1).toordinal()


def _bitmap(valid: Sequence[bool]) -> Any:
    bits = bytearray((len(valid) + 7) // 8)
    for i, ok in enumerate(valid):
        if ok:
            bits[i >> 3] |= 1 << (i & 7)
    return pa.py_buffer(bytes(bits))


def ints(values: Iterable[int]) -> Any:
    """An int64 array."""
    data = _buffer("q", values)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def strings(values: Sequence[str]) -> Any:
    """A string array (no nulls)."""
    encoded = [v.encode() for v in values]
    ends = list(accumulate(len(b) for b in encoded))
    if ends and ends[-1] >= 2**31:  # beyond 32-bit offsets: let pyarrow chunk it
        return pa.array(values, pa.string())
    offsets = _buffer("i", [0])
    offsets.extend(ends)
    return pa.Array.from_buffers(pa.string(), len(encoded),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))])


def dates(values: Sequence[dt.date | None]) -> Any:
    """A date32 array, null where the value is None."""
    days = _buffer("i", [v.toordinal() - _EPOCH if v is not None else 0 for v in values])
    valid = [v is not None for v in values]
    bitmap = None if all(valid) else _bitmap(valid)
    return pa.Array.from_buffers(pa.date32(), len(days), [bitmap, pa.py_buffer(days)], null_count=-1)


_NUMERIC = {"int64": "q", "int32": "i", "double": "d"}  # Arrow type -> array module typecode


def array(values: Sequence[Any], type_: Any) -> Any:
    """An array of `type_` (string, int64, int32, double, bool or date32) from Python values, None
    as null: what `pa.array(values, type_)` gives, without importing pandas."""
    valid = [v is not None for v in values]
    bitmap = None if all(valid) else _bitmap(valid)
    n = len(values)
    name = str(type_)
    if name == "string":
        encoded = [v.encode() if v is not None else b"" for v in values]
        ends = list(accumulate(len(b) for b in encoded))
        if ends and ends[-1] >= 2**31:  # beyond 32-bit offsets: let pyarrow chunk it
            return pa.array(values, pa.string())
        offsets = _buffer("i", [0])
        offsets.extend(ends)
        return pa.Array.from_buffers(pa.string(), n, [bitmap, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))],
                                     null_count=-1)
    if name == "date32[day]":
        return dates(values)
    if name == "bool":
        return pa.Array.from_buffers(pa.bool_(), n, [bitmap, _bitmap([bool(v) for v in values])], null_count=-1)
    code = _NUMERIC[name]
    data = _buffer(code, [v if v is not None else 0 for v in values])
    return pa.Array.from_buffers(type_, n, [bitmap, pa.py_buffer(data)], null_count=-1)


def lit(value: str | int | bool | None) -> Any:
    """A scalar: str -> string, bool -> bool, int -> int64, None -> null string."""
    if value is None:
        return pa.Array.from_buffers(pa.string(), 1, [_bitmap([False]), pa.py_buffer(_buffer("i", [0, 0])),
                                                      pa.py_buffer(b"")], null_count=1)[0]
    if isinstance(value, bool):
        return pa.Array.from_buffers(pa.bool_(), 1, [None, _bitmap([value])])[0]
    if isinstance(value, int):
        return ints([value])[0]
    return strings([value])[0]
