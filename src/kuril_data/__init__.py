"""kuril-data: a cited open data package on the Soviet/Russian–Japanese peace-treaty question and
the Kuril Islands dispute, and the toolkit that validates and publishes it."""

from kuril_data.diff import DiffError, PackageDiff, diff_packages
from kuril_data.io.read import Limits
from kuril_data.load import LoadError, load
from kuril_data.model.package import PackageError
from kuril_data.report import Problem, Report
from kuril_data.validate import validate


def __getattr__(name: str) -> str:
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
