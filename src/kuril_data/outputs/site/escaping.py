"""Every way the site writes data into a page, by context, in one place (issue 23).

- Text and attribute values: Jinja2 autoescape, on for every template whatever its name.
- Attribute names: never data; a field's name becomes the tail of a `data-` name by `attr_name`.
- Links to records: `link_html` (an <a> or <span>, every part escaped, the href through `href`).
- URLs: `href` lets through only a relative path with no scheme, or an http(s) URL (as `web_url`);
  anything else is a bug of the site's own code and stops the build.
- JSON inside a script (JSON-LD; the search index, a script file): `script_json` writes `<`, `>`,
  `&`, U+2028 and U+2029 as \\u escapes, so no `</script>`, `<!--` or line break of old parsers
  can end or change the script whatever the data holds.
- SVG (the timeline): written by `outputs/timeline.py` with `html.escape` on every text and value.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from kuril_data.model.text import FORBIDDEN

_ATTR_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SCRIPT_UNSAFE_RE = re.compile("[<>&\u2028\u2029]")
_SPACE_OR_CONTROL = re.compile(r"\s|" + FORBIDDEN.pattern)
_SCHEME = re.compile(r"^[^/?#]*:")  # a scheme (javascript:, data:, ...) before any path, query or fragment


def attr_name(name: str) -> str:
    """The part of a `data-` attribute name that stands for a field: its name when it is a plain
    lowercase identifier (`_` as `-`), else `x-` and the hex of its UTF-8. Attribute names are never
    taken from data as they are (a field named `a onfocus=alert(1) b` would add an event handler)."""
    if _ATTR_NAME.fullmatch(name):
        return name.replace("_", "-")
    return "x-" + name.encode("utf-8", "surrogatepass").hex()[:128]


def script_json(value: Any, *, indent: int | None = None) -> str:
    """`value` as JSON safe inside a <script> element or a script file."""
    text = json.dumps(value, ensure_ascii=False, indent=indent, sort_keys=indent is not None,
                      separators=None if indent is not None else (",", ":"))
    return _SCRIPT_UNSAFE_RE.sub(lambda m: _SCRIPT_UNSAFE[m.group()], text)


class UnsafeLink(ValueError):
    """The site's code put a link of another scheme than http(s) into a page (a bug, never data)."""


def href(url: str) -> str:
    """`url` for an href: a relative path with no scheme, or an http(s) URL; else UnsafeLink."""
    url = str(url)
    if _SPACE_OR_CONTROL.search(url) is None:  # one pass over the text (links are written per page)
        if not _SCHEME.match(url) and not url.startswith("//") and "\\" not in url:
            return url
        parts = urlsplit(url)  # what `model.text.web_url` accepts, once the characters are checked
        if parts.scheme.lower() in ("http", "https") and parts.netloc:
            return url
    raise UnsafeLink(f"refusing to write the link {url[:80]!r} into the site: only relative and http(s) links")


def inline_code(text: str) -> Markup:
    """Schema descriptions write names in backticks: shown as code, everything else escaped."""
    parts = str(escape(text)).split("`")
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


def link_html(link: dict[str, Any] | None, root: str) -> Markup:
    """A link to a record as `{"url", "label", "lang"?}` (Site.link): an <a> when it has a page, else
    a <span>; "—" for none. Every part escaped; the href through `href`."""
    if link is None:
        return Markup("—")
    lang = f' lang="{escape(link["lang"])}"' if link.get("lang") else ""
    if link.get("url"):
        return Markup(f'<a href="{escape(href(root + link["url"]))}"{lang}>{escape(link["label"])}</a>')
    return Markup(f"<span{lang}>{escape(link['label'])}</span>")


def environment(language_name: Any) -> Environment:
    """The site's Jinja2 environment: autoescape on for every template, and the filters above."""
    env = Environment(loader=PackageLoader("kuril_data.outputs.site", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      auto_reload=False)  # templates ship with the package: no stat() per page
    env.filters["language_name"] = language_name
    env.filters["code"] = inline_code
    env.filters["attr_name"] = attr_name
    env.filters["href"] = href
    env.globals["link_html"] = link_html
    env.filters["jsonld"] = lambda value: Markup(script_json(value, indent=1))
    return env
