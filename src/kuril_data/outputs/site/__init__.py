"""The static site: a page per record, an index per kind, disagreements, timeline and search."""

from kuril_data.outputs.site.build import SiteError, SiteResult, build_site, write_site

__all__ = ["SiteError", "SiteResult", "build_site", "write_site"]
