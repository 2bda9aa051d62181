"""Which class and id names, tags and roles name a footer: one model for the footer check
(crawler/check/parse.py) and the styles that may hide it (crawler/check/styles.py)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

#: Footer-like names, matched per class token / id, lower-cased with camelCase split (pageBottom
#: is page-bottom): "foot" but not in other words (football, footnote …); short words only as
#: whole words; "end" only leading a name (text-end is a layout utility).
_FOOTERISH_RE = re.compile(
    r"foot(?!ball|age|print|step|note|wear|hold|ing|man|path|bridge|light|loose|fall)"
    r"|copy[-_]?right|banquan|dibu|beian|site[-_]?info|contentinfo|colophon"
    r"|(?<![a-z])(?:ft|bottom|btm|icp|copy)(?![a-z])"
    r"|^(?:page[-_]?|site[-_]?)?end(?![a-z])"
)
#: … but not the footer of a part of the page (card-footer, box-ft, weui-dialog__ft, a share
#: button's share_bottom), a header's bottom row, a layout utility (margin-bottom, bottom-0) or
#: an advert.
_NOT_FOOTER_RE = re.compile(
    r"(?:card|modal|panel|dialog|popup|pop|entry|post|article|comment|widget|box|mod|item|list"
    r"|table|media|tab|blog|news|share|video|icon|btn)[-_]{0,2}(?:foot|ft|bottom|btm)"
    r"|(?:header|head|hd|top|nav|menu|banner)[-_]{0,2}(?:bottom|btm)"
    r"|(?:margin|padding|border|align|rounded|text|float|valign|pull|m[tby]?|p[tby]?)[-_]bottom"
    r"|bottom[-_]?\d|(?<![a-z])ads?[-_]"
)
#: Names of a page footer, whose later siblings (a copyright strip after it) are bottom too.
_PAGE_FOOTER_RE = re.compile(
    r"foot(?!ball|age|print|step|note|wear|hold|ing|man|path|bridge|light|loose|fall)"
    r"|copy[-_]?right|site[-_]?info|contentinfo|(?<![a-z])ft(?![a-z])"
    r"|^(?:page[-_]?|site[-_]?|g[-_]|m[-_])?bottom$"
)
_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@lru_cache(maxsize=4096)
def footerish(value: str, page: bool = False) -> bool:
    """A class or id value names a footer (``page``: a page footer), token by token."""
    regex = _PAGE_FOOTER_RE if page else _FOOTERISH_RE
    for token in _CAMEL_RE.sub("-", value).lower().split():
        if regex.search(token) and not _NOT_FOOTER_RE.search(token):
            return True
    return False


def names_footer(el: Any, page: bool = False) -> bool:
    """The element is a footer by its tag, ARIA role or class / id."""
    if el.tag == "footer" or (el.get("role") or "").lower() == "contentinfo":
        return True
    for attr in ("id", "class"):
        value = el.get(attr)
        if value and footerish(value, page):
            return True
    return False
