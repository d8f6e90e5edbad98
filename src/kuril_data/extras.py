"""Optional dependencies: what each extra brings, and a clear error when one is missing.

The core install (`pip install kuril-data`) is what `kuril_data.load()` needs: pandas, pyarrow,
edtf, langcodes. The validator's reference implementation (frictionless) and the command line
(click) and the static site's templates (Jinja2) come with `kuril-data[tools]`; Datasette, for
`kuril-data serve`, with `kuril-data[serve]`.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from kuril_data.errors import KurilDataError

EXTRAS = {"click": "tools", "frictionless": "tools", "jinja2": "tools", "datasette": "serve"}


class MissingExtra(KurilDataError):
    """An optional dependency is not installed: exit 2, naming the extra that brings it."""


def hint(module: str, needed_for: str) -> str:
    extra = EXTRAS[module]
    return (f"{needed_for} needs {module}, which is not installed; install it with: "
            f"pip install 'kuril-data[{extra}]'")


def available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def require(module: str, needed_for: str) -> ModuleType:
    """Import an optional dependency, or raise MissingExtra naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise  # installed, but one of its own dependencies is missing: a real bug, not ours to hide
        raise MissingExtra(hint(module, needed_for)) from None


__all__ = ["EXTRAS", "MissingExtra", "available", "require"]
