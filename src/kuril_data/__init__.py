"""kuril-data: a cited open data package on the Soviet/Russian–Japanese peace-treaty question and
the Kuril Islands dispute, and the toolkit that validates and publishes it."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# `validate` and `load` are imported here, not on first use: each is also the name of a submodule,
# which importing it would otherwise bind in this namespace in the function's place.
from kuril_data.io.read import Limits
from kuril_data.load import LoadError, load
from kuril_data.model.package import PackageError
from kuril_data.report import Problem, Report
from kuril_data.validate import validate

if TYPE_CHECKING:
    from kuril_data.diff import DiffError, PackageDiff, diff_packages

# diff's names are imported on first use (PEP 562): every `kuril_data.x` import runs this file,
# and no command but `diff` needs that module.
_EXPORTS = {"DiffError": "kuril_data.diff", "PackageDiff": "kuril_data.diff", "diff_packages": "kuril_data.diff"}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    # Looked up on first use (importlib.metadata is slow to import), from the one place the
    # project's identity lives: pyproject.toml in a checkout, the package metadata when installed.
    if name == "__version__":
        from kuril_data.project import project

        return project().version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DiffError", "Limits", "LoadError", "PackageDiff", "PackageError", "Problem", "Report", "__version__",
    "diff_packages", "load", "validate",
]
