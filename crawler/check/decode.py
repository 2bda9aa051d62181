"""Page bytes to text the way a browser would, without mojibake: BOM, the HTTP charset if the body
really decodes with it, ``<meta charset>``, then UTF-8 (with replacement when only a few bytes are
bad) and GB18030. Unknown and non-web charset labels are notes, never exceptions.
"""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: Labels browsers decode as GB18030 (a superset: GB2312/GBK pages often use GBK-only characters).
_GB_LABELS = frozenset(
    [
        "gb2312",
        "gbk",
        "gb18030",
        "cp936",
        "ms936",
        "windows-936",
        "x-gbk",
        "gb_2312",
        "gb_2312-80",
        "csgb2312",
        "chinese",
        "iso-ir-58",
        "csiso58gb231280",
        "euc-cn",
        "euccn",
        "x-euc-cn",
    ]
)
#: Scrapy's fallbacks when nothing is declared; a Chinese page is almost never really one of them.
_WEAK_CODECS = frozenset({"ascii", "iso8859-1", "cp1252", "latin-1"})
_META_CHARSET_RE = re.compile(
    rb"""<meta[^<>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)"""
    rb"""|<\?xml[^<>]*?encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""",
    re.IGNORECASE,
)
_PRESCAN_BYTES = 16384


#: Python codecs no browser offers: a page labelled with them is decoded as if unlabelled.
_NOT_WEB = frozenset(
    {"undefined", "unicode-escape", "raw-unicode-escape", "idna", "punycode", "utf-7"}
)
#: Undecodable UTF-8 sequences per valid non-ASCII character below which a page is UTF-8 with a
#: few bad bytes (GBK read as UTF-8 gives about one error per character).
_UTF8_BAD_RATIO = 0.05


def _codec_name(label: str | bytes | None) -> str | None:
    """Python codec for an HTTP/meta charset label; GB2312/GBK labels mean GB18030."""
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "ignore")
    label = label.strip().strip("\"'").lower()
    if label in _GB_LABELS:
        return "gb18030"
    try:
        name = codecs.lookup(label).name
    except (LookupError, ValueError):  # ValueError: a NUL in the label
        return None
    if name in _NOT_WEB:
        return None
    return "gb18030" if name in ("gb2312", "gbk") else name


def _try(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeError, LookupError):
        return None


def _mostly_utf8(data: bytes) -> str | None:
    """The page as UTF-8 with replacement when only a few of its sequences are invalid."""
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    good = len(text) - len(text.encode("ascii", "ignore")) - bad
    return text if bad <= _UTF8_BAD_RATIO * good else None


def decode_page(
    page: bytes | str, encoding: str | None = None
) -> tuple[str, str | None, list[str]]:
    """Text of the page, the codec used and notes: BOM, hint, <meta charset>, utf-8, gb18030."""
    if isinstance(page, str):
        return page, None, []
    notes: list[str] = []
    for bom, codec in _BOMS:
        if page.startswith(bom):
            return page[len(bom) :].decode(codec, "replace"), codec, notes
    hint = _codec_name(encoding)
    if encoding and hint is None:
        notes.append(f"unknown encoding hint {encoding!r} ignored")
    weak_hint = hint if hint in _WEAK_CODECS else None
    if hint and not weak_hint:
        text = _try(page, hint)
        if text is not None:
            return text, hint, notes
        notes.append(f"encoding hint {encoding} does not decode the page")
    m = _META_CHARSET_RE.search(page, 0, _PRESCAN_BYTES)
    meta = _codec_name(m.group(1) or m.group(2)) if m else None
    if meta and not meta.startswith("utf-16") and meta != hint:
        text = _try(page, meta)
        if text is not None:
            return text, meta, notes
        notes.append(f"declared charset {meta} does not decode the page")
    for codec in ("utf-8", "gb18030"):
        if codec == "gb18030":  # GB18030 decodes most UTF-8 pages too, as mojibake
            text = _mostly_utf8(page)
            if text is not None:
                notes.append("page is UTF-8 with a few invalid bytes; decoded with replacement")
                return text, "utf-8", notes
        if codec in (hint, meta) and not weak_hint:
            continue
        text = _try(page, codec)
        if text is not None:
            return text, codec, notes
    # Nothing decodes cleanly: keep the reading with the fewest replacement characters.
    options = [(page.decode(c, "replace"), c) for c in ("utf-8", "gb18030")]
    text, codec = min(options, key=lambda o: o[0].count("\ufffd"))
    notes.append(
        f"page is not valid in any candidate encoding; decoded as {codec} with replacement"
    )
    return text, codec, notes
