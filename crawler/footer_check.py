"""The footer check: does a saved page display licence number N as clause 2 requires, and where?

Pure logic, no Scrapy: :func:`check_page` takes the page (bytes or text) and the expected
number and returns a frozen :class:`Finding`. It runs once per crawled page, so it is built in
two tiers (see docs/finding-json.md):

1. A cheap byte scan finds *anchors*: licence-category tokens (``B2-``), ``证`` and ``备``.
   One ``bytes.translate`` maps every interesting byte to a few codes so one literal-prefix
   regex finds all anchors in C; each anchor is then checked on a small window. Filings, police
   filings, the MIIT link (a literal scan for ``mii``) and the company name come from this tier.
2. Only when a licence number or licence label is a candidate, the page is parsed with lxml,
   with a marker inserted at each candidate so only the blocks around them are walked. The walk
   decides visibility (comments, scripts, attributes, ``hidden``, inline ``display:none``),
   region (footer or body) and the element path.

A regex scan of a whole page costs ~3 ns a byte, a literal scan ~0.3 ns: the design keeps the
number of whole-page passes to a handful of literal ones (benchmarks/check_speed.py).
"""

from __future__ import annotations

import codecs
import html
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from itertools import islice
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from crawler.licence_numbers import (
    DASHES,
    PROVINCES,
    LicenceNumber,
    find_numbers,
    is_near_miss,
    normalise,
    parse_number,
)

__all__ = [
    "Finding",
    "LabelEvidence",
    "NumberEvidence",
    "Verdict",
    "check_page",
    "decode_page",
]


class Verdict(StrEnum):
    """Exactly one per page; the order here is the precedence (first that applies wins)."""

    COMPLIANT = "compliant"
    DISPLAYED_ELSEWHERE = "displayed_elsewhere"
    HIDDEN = "hidden"
    WRONG_NUMBER = "wrong_number"
    NEEDS_RENDER = "needs_render"
    LABEL_ONLY = "label_only"
    MISSING = "missing"


FOOTER = "footer"
BODY = "body"
#: A number starting in the last quarter of the page's visible text is in the bottom region.
BOTTOM_FRACTION = 0.75
#: … and so does one followed by no more than this many visible characters (short pages).
BOTTOM_CHARS = 200
#: Fewer static visible characters than this (with scripts present) makes a page an app shell.
APP_SHELL_MAX_CHARS = 200
CONTEXT_CHARS = 120
#: Page text is attacker input: past these caps (far above any real page) the rest is skipped
#: and a note says so, which keeps the check linear in the page size.
MAX_ANCHORS = 10000  # category / 证 / 备 positions from the byte scan
MAX_WINDOWS = 400  # per kind: 证 and 备 anchors whose text window is decoded
MAX_MARKS = 1000  # candidates marked for the parse
MAX_FOUND = 200  # numbers / labels read from one block
MAX_LINK_HITS = 64  # MIIT hosts and "foot" tags examined
MAX_DEPTH = 512  # nesting kept when lxml stops at its depth limit (Chromium keeps 512)


@dataclass(frozen=True, slots=True)
class NumberEvidence:
    """One licence number occurrence on the page."""

    number: str  # canonical form, e.g. 粤B2-20090191
    raw: str  # as written on the page, with 号 / site suffix if present
    context: str  # at most CONTEXT_CHARS characters around it
    path: str  # XPath of its element (…/@attr for attributes, …/comment() for comments)
    region: str  # "footer" or "body"
    visible: bool
    where: str  # "text", or why it is hidden: comment, script, display:none, attribute:title …
    suffix: str | None = None  # site suffix as shown, e.g. "-2"
    matches_expected: bool = False
    near_miss: bool = False
    province_missing: bool = False  # provincial number shown without its province character

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "raw": self.raw,
            "context": self.context,
            "path": self.path,
            "region": self.region,
            "visible": self.visible,
            "where": self.where,
            "suffix": self.suffix,
            "matches_expected": self.matches_expected,
            "near_miss": self.near_miss,
            "province_missing": self.province_missing,
        }


@dataclass(frozen=True, slots=True)
class LabelEvidence:
    """A visible licence label (增值电信业务经营许可证, ICP证 …), with where it leads."""

    text: str
    href: str | None
    src: str | None
    path: str
    region: str
    context: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "href": self.href,
            "src": self.src,
            "path": self.path,
            "region": self.region,
            "context": self.context,
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """The answer for one page; :meth:`to_dict` is the documented JSON (docs/finding-json.md)."""

    verdict: Verdict
    expected: str
    near_miss: bool = False
    displayed: tuple[NumberEvidence, ...] = ()
    hidden: tuple[NumberEvidence, ...] = ()
    filings: tuple[str, ...] = ()
    police_filings: tuple[str, ...] = ()
    miit_link: bool = False
    miit_href: str | None = None
    company: str | None = None
    company_shown: bool | None = None
    label_links: tuple[LabelEvidence, ...] = ()
    encoding: str | None = None
    url: str | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": str(self.verdict),
            "near_miss": self.near_miss,
            "expected": self.expected,
            "displayed": [e.to_dict() for e in self.displayed],
            "hidden": [e.to_dict() for e in self.hidden],
            "filings": list(self.filings),
            "police_filings": list(self.police_filings),
            "miit_link": self.miit_link,
            "miit_href": self.miit_href,
            "company": self.company,
            "company_shown": self.company_shown,
            "label_links": [e.to_dict() for e in self.label_links],
            "encoding": self.encoding,
            "url": self.url,
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- decoding

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


# --------------------------------------------------------------------------- tier 1: anchors

# One bytes.translate maps what starts an anchor (category letters A B a b; lead bytes E5 E8 EF
# of 备, 证 and full-width forms) to 01, category digits 1-4 and the second bytes of 备, 证 and
# full-width forms (A4 AF BC) to 02, and separators (whitespace - < & . and the lead bytes of
# NBSP, dashes and U+3000) to 03. Every anchor then begins with the two-byte literal 01 02,
# which the regex engine finds with a fast scan (a one-byte prefix would stop ~10,000 times on a
# typical page); the third byte leaves few false hits, and dispatch looks at the real bytes.
_SEP_BYTES = b" \t\n\r\f\v-<&.\xc2\xe2\xe3"
_TR = bytes.maketrans(
    b"ABab\xe5\xe8\xef" + b"1234\xa4\xaf\xbc" + _SEP_BYTES,
    b"\x01" * 7 + b"\x02" * 7 + b"\x03" * len(_SEP_BYTES),
)
#: B2- / B2<tag / B2&nbsp; / B2－ / 证 / 备 / Ａ Ｂ / ２ after B
_ANCHOR_RE = re.compile(rb"\x01\x02(?:[\x03\x81\x87\x91-\x94\xa1\xa2]|\x01\x02\x8d)")
_ZHENG_B = "证".encode()
_BEI_B = "备".encode()
_LETTERS_B = frozenset(b"ABab")
_MIIT_NEEDLE = b"mii"  # in every MIIT host: beian.miit.gov.cn, www.miitbeian.gov.cn, miibeian

#: Spaces, entities and tags between the parts of a number: atomic and bounded, and a tag ends
#: at the next "<", so no anchor rescans what the one before it scanned.
_B_GAP = rb"(?>(?:\s+|&nbsp;|&#160;|&#xa0;|&#12288;|\xc2\xa0|\xe3\x80\x80|<[^<>]{0,400}>){0,16})"
_B_DASH = (
    b"(?:"
    + b"|".join(re.escape(c.encode()) for c in DASHES)
    + rb"|&(?:#\d{2,5}|#x[0-9a-fA-F]{2,4}|ndash|mdash|minus|hyphen|dash|horbar);)"
)
_B_LETTER = rb"(?:[ABab]|\xef\xbc[\xa1\xa2]|\xef\xbd[\x81\x82])"
_B_CATDIGIT = rb"(?:[1-4]|\xef\xbc[\x91-\x94])"
_B_DIGIT = rb"(?:[0-9]|\xef\xbc[\x90-\x99])"
_B_CAT = _B_LETTER + rb"(?:\s|\xc2\xa0)?" + _B_CATDIGIT
#: Liberal new-style candidate in raw HTML: tags, entities and spaces allowed between parts.
_RAW_NEW_RE = re.compile(
    _B_CAT
    + rb"(?>(?:"
    + _B_GAP
    + rb"(?:\.|\xc2\xb7|\xef\xbc\x8e)"
    + _B_GAP
    + _B_CAT
    + rb"){0,11})"
    + _B_GAP
    + _B_DASH
    + _B_GAP
    + _B_DIGIT
    + rb"(?:"
    + _B_GAP
    + _B_DIGIT
    + rb"){3}"
)
_ALNUM = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
# What may precede 证 in a label / old-style number (可, 营, ICP in any width), and 备 in a filing,
# matched on the reversed bytes before the anchor: a match at the anchor, not a search of a window.
_R_GAP = rb"(?>(?:\s+|;psbn&|;061#&|;0ax#&|;88221#&|\xa0\xc2|\x80\x80\xe3|>[^<>]{0,400}<){0,16})"
_ZHENG_PRE_RE = re.compile(_R_GAP + rb"(?:\xaf\x8f\xe5|\xa5\x90\xe8|pci|\xb0\xbc\xef|\x90\xbd\xef)")
_BEI_PRE_RE = re.compile(_R_GAP + rb"(?:pci|\xb0\xbc\xef|\x90\xbd\xef|\x89\xae\xe5)")
_MIIT_HOST_RE = re.compile(rb"(?:beian\.miit|miitbeian|miibeian)\.gov\.cn")
_LINK_TAG_RE = re.compile(rb"<(?:a|area)\s")
_HREF_RE = re.compile(rb"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)

_SENTINEL = "\ue002"
_SENTINEL_B = _SENTINEL.encode()
_WINDOW_TAG_RE = re.compile(r"<!--.*?-->|<[^>]*>", re.DOTALL)
_TAG_ONLY_RE = re.compile(r"<[^>]*>")
_SPACE_RE = re.compile(r"\s+")

_PROV = f"[{PROVINCES}]"
#: Licence labels, on normalised text. Bare 经营许可证 counts unless another word qualifies it
#: (网络文化经营许可证, 食品经营许可证 … are other licences).
_LABEL_RE = re.compile(
    r"(?:增值)?电信(?:与信息服务)?业务(?:经营)?许可证"
    r"|互联网信息服务(?:业务)?经营许可证"
    r"|ICP\s*(?:经营)?(?:许可)?证"
    r"|(?<![\u3400-\u9fff])经营许可证",
    re.IGNORECASE,
)
#: ICP filing (备案) numbers: not licence numbers, reported as evidence.
_FILING_RE = re.compile(
    rf"(?P<prov>{_PROV})\s*ICP\s*备\s*(?P<num>\d(?:\s?\d){{3,11}})(?!\s?\d)\s*号?"
    r"(?:\s*-\s*(?P<suf>\d{1,3})(?!\d))?",
    re.IGNORECASE,
)
_POLICE_RE = re.compile(
    rf"(?P<prov>{_PROV})\s*公\s*网\s*安\s*备\s*(?P<num>\d(?:\s?\d){{7,17}})(?!\s?\d)\s*号?"
)


_RAW_OPEN_RE = re.compile(rb"<(?:(script|style|template|noscript|title|textarea)\b|!--)")


class _Raw:
    """The page as UTF-8 bytes, with cheap questions about a byte position (no parse).

    Positions are mostly asked about in page order, so each question resumes the previous
    answer's search instead of scanning back to the start of the page (linear, not quadratic).
    """

    __slots__ = (
        "_closes",
        "_comments",
        "_last",
        "_low",
        "_open_kinds",
        "_open_starts",
        "b",
        "notes",
    )

    def __init__(self, b: bytes) -> None:
        self.b = b
        self.notes: list[str] = []  # caps hit on this page
        self._low: bytes | None = None
        self._open_starts: list[int] | None = None
        self._open_kinds: list[bytes | None] = []
        self._comments: list[int] = []
        self._closes: dict[bytes, tuple[int, int]] = {}
        self._last: dict[bytes, tuple[int, int]] = {}

    @property
    def low(self) -> bytes:
        if self._low is None:
            self._low = self.b.lower()
        return self._low

    def _next(self, needle: bytes, start: int) -> int:
        """low.find(needle, start), reusing the previous answer when it is still the answer."""
        at, found = self._closes.get(needle, (-1, -1))
        if not (at != -1 and at <= start and (found == -1 or found >= start)):
            found = self.low.find(needle, start)
            at = start
        self._closes[needle] = (at, found)
        return found

    def _prev(self, byte: bytes, pos: int) -> int:
        """low.rfind(byte, 0, pos) for one byte, resuming from the previous position asked."""
        at, found = self._last.get(byte, (0, -1))
        if pos >= at:
            nearer = self.low.rfind(byte, at, pos)
            found = nearer if nearer != -1 else found
        else:
            found = self.low.rfind(byte, 0, pos)
        self._last[byte] = (pos, found)
        return found

    def _closed(self, needle: bytes, start: int, pos: int) -> bool:
        found = self._next(needle, start)
        return found != -1 and found + len(needle) <= pos

    def tag_start(self, pos: int) -> int:
        """Where the tag that ``pos`` sits in starts, or -1 when it is not inside a tag."""
        lt = self._prev(b"<", pos)
        return lt if lt != -1 and self._prev(b">", pos) < lt else -1

    def commented(self, pos: int, until: int | None = None) -> bool:
        """A comment opened before ``pos`` is not closed before ``until`` (default ``pos``)."""
        self._openings()
        i = bisect_right(self._comments, pos - 4) - 1
        end = pos if until is None else until
        return i >= 0 and not self._closed(b"-->", self._comments[i] + 4, end)

    def _openings(self) -> list[int]:
        if self._open_starts is None:
            # One pass over the openings of raw-text elements and comments (lazily, once).
            self._open_starts = []
            for m in _RAW_OPEN_RE.finditer(self.low):
                self._open_starts.append(m.start())
                self._open_kinds.append(m.group(1))
                if m.group(1) is None:
                    self._comments.append(m.start())
        return self._open_starts

    def hidden_context(self, pos: int) -> str | None:
        """Why text at ``pos`` is not shown (comment, script …, attribute), or None."""
        starts = self._openings()
        i = bisect_right(starts, pos) - 1
        if i >= 0:
            start, name = starts[i], self._open_kinds[i]
            close = b"-->" if name is None else b"</" + name
            if not self._closed(close, start + 4, pos):
                return "comment" if name is None else name.decode()
            if name is not None and self.commented(start, pos):  # in a commented-out block
                return "comment"
        if self.tag_start(pos) != -1:
            return "attribute"
        return None


def _strip_tags(text: str) -> str:
    """``_WINDOW_TAG_RE.sub("", text)`` in linear time.

    A comment opened after the last "-->" and a tag opened after the last ">" never close, and
    the regex would scan to the end of the text from each of them.
    """
    c = text.rfind("-->")
    head_end = c + 3 if c != -1 else 0
    head = _WINDOW_TAG_RE.sub("", text[:head_end]) if head_end else ""
    tail = text[head_end:]
    g = tail.rfind(">") + 1
    return head + _TAG_ONLY_RE.sub("", tail[:g]) + tail[g:]


def _capped(items: list[int], cap: int, what: str, notes: list[str]) -> list[int]:
    """The first and last ``cap // 2`` items (the footer is at the end), noting the cut."""
    if len(items) <= cap:
        return items
    half = cap // 2
    notes.append(f"{len(items)} {what} on the page: only the first and last {half} were checked")
    return items[:half] + items[-half:]


def _window(b: bytes, pos: int, before: int, after: int) -> tuple[str, int]:
    """Normalised text around ``pos`` (tags dropped) and the index of ``pos`` in it."""
    chunk = b[max(0, pos - before) : pos] + _SENTINEL_B + b[pos : pos + after]
    text = normalise(html.unescape(_strip_tags(chunk.decode("utf-8", "ignore"))))
    idx = text.find(_SENTINEL)
    return text.replace(_SENTINEL, ""), idx


def _covering(regex: re.Pattern[str], text: str, idx: int) -> Iterator[re.Match[str]]:
    for m in regex.finditer(text):
        if m.start() <= idx < m.end():
            yield m
        elif m.start() > idx:
            return


def _filing(m: re.Match[str]) -> str:
    num = _SPACE_RE.sub("", m.group("num"))
    suffix = f"-{m.group('suf')}" if m.group("suf") else ""
    return f"{m.group('prov')}ICP备{num}号{suffix}"


def _police(m: re.Match[str]) -> str:
    return f"{m.group('prov')}公网安备{_SPACE_RE.sub('', m.group('num'))}号"


@dataclass(slots=True)
class _Scan:
    """What tier 1 found."""

    marks: list[int] = field(default_factory=list)  # byte positions of licence/label candidates
    filings: list[str] = field(default_factory=list)
    police: list[str] = field(default_factory=list)
    miit_href: str | None = None
    miit_link: bool = False


def _scan(raw: _Raw) -> _Scan:
    b = raw.b
    out = _Scan()
    marks = out.marks
    zheng: list[int] = []
    bei: list[int] = []
    for pos in _anchors(b.translate(_TR), raw.notes):
        lead = b[pos]
        if lead == 0xEF:  # full-width: a category letter, or a digit right after an ASCII one
            if b[pos + 1] != 0xBC:
                continue
            if b[pos + 2] in (0x91, 0x92, 0x93, 0x94):
                if not pos or b[pos - 1] not in _LETTERS_B:
                    continue
                pos -= 1
        elif lead not in _LETTERS_B:
            three = b[pos : pos + 3]
            if three == _ZHENG_B:
                if _ZHENG_PRE_RE.match(raw.low[max(0, pos - 300) : pos][::-1]):
                    zheng.append(pos)
            elif three == _BEI_B and _BEI_PRE_RE.match(raw.low[max(0, pos - 300) : pos][::-1]):
                bei.append(pos)
            continue
        if (pos and b[pos - 1] in _ALNUM) or not _RAW_NEW_RE.match(b, pos):
            continue
        marks.append(pos)
    for pos in _capped(zheng, MAX_WINDOWS, "licence-label candidates", raw.notes):
        _zheng(raw, pos, marks)
    for pos in _capped(bei, MAX_WINDOWS, "filing candidates", raw.notes):
        _bei(raw, pos, out)
    for n, pos in enumerate(_miit_hosts(raw.low)):
        if n == MAX_LINK_HITS:
            raw.notes.append(f"more than {MAX_LINK_HITS} MIIT host names: the rest not checked")
            break
        href = _link_href(raw, pos)
        if href is not None:
            out.miit_link, out.miit_href = True, href
            break
    return out


def _anchors(t: bytes, notes: list[str]) -> list[int]:
    """Anchor positions in the translated page; past MAX_ANCHORS, the first and last half
    (the tail found by scanning back from the end, not by listing every anchor)."""
    head = [m.start() for m in islice(_ANCHOR_RE.finditer(t), MAX_ANCHORS + 1)]
    if len(head) <= MAX_ANCHORS:
        return head
    half = MAX_ANCHORS // 2
    size = 1 << 16
    while True:
        start = max(head[half], len(t) - size)
        tail = [m.start() for m in _ANCHOR_RE.finditer(t, start)]
        if len(tail) >= half or start == head[half]:
            break
        size *= 4
    notes.append(
        f"more than {MAX_ANCHORS} licence-number anchors on the page: "
        f"only the first and last {half} were checked"
    )
    return head[:half] + tail[-half:]


def _miit_hosts(low: bytes) -> Iterator[int]:
    """Positions of MIIT host names: a literal scan for "mii", then, on a page full of them,
    one regex pass instead of a search per hit."""
    for n, pos in enumerate(_find_all(low, _MIIT_NEEDLE)):
        if n == MAX_ANCHORS:
            yield from (m.start() for m in _MIIT_HOST_RE.finditer(low, max(0, pos - 12)))
            return
        host = _MIIT_HOST_RE.search(low, max(0, pos - 12), pos + 30)
        if host and host.start() <= pos < host.end():
            yield pos


def _zheng(raw: _Raw, pos: int, marks: list[int]) -> None:
    """证 that ends a licence label or an old-style number (京ICP证…) is a candidate."""
    text, idx = _window(raw.b, pos, 400, 200)
    if any(True for _ in _covering(_LABEL_RE, text, idx)):
        marks.append(pos)
        return
    lt = raw.b.rfind(b"<", max(0, pos - 400), pos)
    if lt != -1 and raw.b.find(b">", lt, pos) == -1:  # in an attribute: alt="经营许可证"
        chunk = raw.b[lt:pos] + _SENTINEL_B + raw.b[pos : pos + 60]
        text = normalise(html.unescape(chunk.decode("utf-8", "ignore")))
        idx = text.find(_SENTINEL)
        if any(True for _ in _covering(_LABEL_RE, text.replace(_SENTINEL, ""), idx)):
            marks.append(pos)


def _bei(raw: _Raw, pos: int, out: _Scan) -> None:
    """备 in an ICP filing or a police filing shown in the page text."""
    text, idx = _window(raw.b, pos, 400, 300)
    found = [(_filing(f), out.filings) for f in _covering(_FILING_RE, text, idx)]
    found += [(_police(f), out.police) for f in _covering(_POLICE_RE, text, idx)]
    if found and raw.hidden_context(pos) is None:
        for value, bucket in found:
            if value not in bucket:
                bucket.append(value)


def _link_href(raw: _Raw, pos: int) -> str | None:
    """The href of the <a>/<area> tag that ``pos`` sits in (not in a comment or script)."""
    low = raw.low
    lt = raw.tag_start(pos)
    if lt == -1 or not _LINK_TAG_RE.match(low, lt):
        return None
    h = low.rfind(b"href", lt, pos)  # the href that holds pos starts before it
    m = _HREF_RE.match(raw.b, h) if h != -1 else None
    if not m or not (m.start() < pos < m.end()):
        return None
    if raw.commented(lt):
        return None
    return html.unescape((m.group(1) or m.group(2) or m.group(3)).decode("utf-8", "replace"))


@lru_cache(maxsize=64)
def _literal(needle: bytes) -> re.Pattern[bytes]:
    return re.compile(re.escape(needle))


def _find_all(hay: bytes, needle: bytes) -> Iterator[int]:
    """Every position of ``needle``: the regex engine's literal scan beats bytes.find here."""
    for m in _literal(needle).finditer(hay):
        yield m.start()


@lru_cache(maxsize=256)
def _company_re(company: str) -> re.Pattern[bytes] | None:
    """Bytes regex for the company name: any width, spaces/tags/entities between characters."""
    name = _SPACE_RE.sub("", normalise(company))
    if not name:
        return None
    parts = []
    for ch in name:
        variants = {ch}
        if "!" <= ch <= "~":
            for c in {ch.lower(), ch.upper()}:
                variants |= {c, chr(ord(c) + 0xFEE0)}  # and the full-width form
        alts = sorted(re.escape(v.encode()) for v in variants)
        parts.append(alts[0] if len(alts) == 1 else b"(?:" + b"|".join(alts) + b")")
    return re.compile(_B_GAP.join(parts))


def _company_shown(raw: _Raw, company: str) -> bool:
    regex = _company_re(company)
    if regex is None:
        return False
    return any(raw.hidden_context(m.start()) is None for m in regex.finditer(raw.b))


# --------------------------------------------------------------------------- render signals

_APP_MOUNT_RE = re.compile(
    rb"<(?:div|main|section|app-root|body)[^<>]*\bid\s*=\s*[\"']?(?:app|root|__next|__nuxt|q-app)\b"
)
_TAG_RE = re.compile(rb"<[^>]*>")
#: More static links than this and the page is not an app shell (saves computing its text).
_SHELL_MAX_LINKS = 30
_SRC_RE = re.compile(rb"""<(?:script|iframe)\b[^<>]{0,2000}?\ssrc\s*=\s*["']?([^"'\s>]{0,4096})""")
_FOOT_FILE_RE = re.compile(rb"footer|(?<![a-z])(?:foot|bottom|copyright)(?![a-z])")
_EMPTY_FOOTER_TAG_RE = re.compile(rb"<footer\b[^<>]{0,4000}>\s*</footer\s*>")
#: An element with id="footer" / id="foot" that is empty in the static page.
_EMPTY_FOOT_ID_RE = re.compile(rb"""id=["']?(foot(?:er)?)["'\s>][^<>]{0,4000}>\s*</""")


def _static_text(low: bytes) -> str:
    """Visible-ish text of the static page: no comments, scripts, styles, tags."""
    pieces = []
    pos = 0
    for m in _RAW_OPEN_RE.finditer(low):
        if m.start() < pos:
            continue
        pieces.append(low[pos : m.start()])
        close = b"-->" if m.group(1) is None else b"</" + m.group(1)
        end = low.find(close, m.end())
        if end == -1:
            pos = len(low)
            break
        pos = end + len(close)
    pieces.append(low[pos:])
    page = b"".join(pieces)
    end = page.rfind(b">") + 1  # no tag closes after the last ">": the regex need not try
    text = (_TAG_RE.sub(b" ", page[:end]) + page[end:]).decode("utf-8", "ignore")
    return html.unescape(text)


def _nonspace_len(text: str) -> int:
    return sum(map(len, text.split()))


def _app_shell(raw: _Raw) -> str | None:
    """Signal when the static page has almost no visible text but has scripts."""
    pos = 0
    for _ in range(_SHELL_MAX_LINKS):  # stops early on link-rich pages
        pos = raw.low.find(b"</a>", pos) + 1
        if not pos:
            break
    else:
        return None
    chars = _nonspace_len(_static_text(raw.low))
    if chars >= APP_SHELL_MAX_CHARS:
        return None
    mount = " with an empty mount point" if _APP_MOUNT_RE.search(raw.low) else ""
    return f"app shell: {chars} characters of static visible text{mount}; scripts produce the page"


def _foot_file(src: bytes) -> bool:
    """The file name (last path segment, no query) of a single URL says "footer"."""
    if b"," in src:  # combo URLs (a,b,c.js) bundle many files
        return False
    name = src.split(b"?")[0].split(b"#")[0].rstrip(b"/").rsplit(b"/", 1)[-1]
    return bool(_FOOT_FILE_RE.search(name))


_TAG_NAME_RE = re.compile(rb"<([a-z][a-z0-9-]*)")


def _scripted_footer(low: bytes) -> list[str]:
    """Signals that the footer comes from a script, an iframe or an empty footer container.

    One bytes.find loop on "foot" (in <footer>, id="footer", pcfooter.js …): a regex scan of
    the whole page for each signal would cost more than the rest of the check.
    """
    signals = []
    for n, pos in enumerate(_find_all(low, b"foot")):
        if n == MAX_ANCHORS:
            break
        lt = low.rfind(b"<", max(0, pos - 2000), pos)
        if lt == -1 or low.find(b">", lt, pos) != -1:
            continue  # not inside a tag
        name_m = _TAG_NAME_RE.match(low, lt)
        name = name_m.group(1) if name_m else b""
        if name in (b"script", b"iframe"):
            m = _SRC_RE.match(low, lt)
            if m and m.start(1) <= pos < m.end(1) and _foot_file(m.group(1)):
                how = "a script" if name == b"script" else "an iframe"
                signals.append(
                    f"footer is loaded by {how}: {m.group(1).decode('utf-8', 'replace')}"
                )
        elif name == b"footer" and pos == lt + 1:
            if _EMPTY_FOOTER_TAG_RE.match(low, lt):
                signals.append("footer container <footer> is empty: scripts fill it")
        else:
            start = low.rfind(b"id=", max(lt, pos - 4), pos)
            m = _EMPTY_FOOT_ID_RE.match(low, start) if start != -1 else None
            if m:
                signals.append(f"footer container #{m.group(1).decode()} is empty: scripts fill it")
    return list(dict.fromkeys(signals))


def _render_signals(raw: _Raw, static_footer: bool) -> list[str]:
    """Why the static page may not show what a browser shows (see docs/finding-json.md).

    A scripted footer only counts when no filing number is shown statically: where the
    filing is in the static HTML, so is the footer that would carry the licence number.
    """
    low = raw.low
    if b"<script" not in low and b"<iframe" not in low:
        return []
    signals = []
    if b"<script" in low:
        shell = _app_shell(raw)
        if shell:
            signals.append(shell)
    if not static_footer:
        signals += _scripted_footer(low)
    return signals


# --------------------------------------------------------------------------- tier 2: parse

_MARK = "\ue000"
_MARK_BASE = 0xF0000
_MARK_RE = re.compile("\ue000[\U000f0000-\U000fffff]")
_SEP = "\ue001"  # block boundary in a text flow: not a space, so numbers never span it
_PARSER = etree.HTMLParser(
    encoding="utf-8",
    huge_tree=True,
    remove_pis=True,
    no_network=True,
    collect_ids=False,
    default_doctype=False,
)
#: Candidates in page text get a marker element (found by a C-level iter, no XPath over every
#: text node); those in attributes, comments and raw text get marker characters only.
_MARK_TAG = "icpwm"
_ATTR_HITS = etree.XPath("//@*[contains(., $m)]")
_COMMENT_HITS = etree.XPath("//comment()[contains(., $m)]")
_RAWTEXT_HITS = etree.XPath(
    "//script/text()[contains(., $m)] | //style/text()[contains(., $m)]"
    " | //title/text()[contains(., $m)] | //textarea/text()[contains(., $m)]"
)
_TEXT_HITS = etree.XPath("//text()[contains(., $m)]")

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "br",
        "button",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "frameset",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "head",
        "header",
        "hgroup",
        "hr",
        "html",
        "iframe",
        "img",
        "input",
        "legend",
        "li",
        "main",
        "menu",
        "nav",
        "noscript",
        "ol",
        "option",
        "p",
        "pre",
        "section",
        "select",
        "summary",
        "table",
        "tbody",
        "td",
        "template",
        "textarea",
        "tfoot",
        "th",
        "thead",
        "title",
        "tr",
        "ul",
        "video",
        "audio",
        "canvas",
        "object",
        "embed",
        "svg",
    ]
)
#: Elements whose content visitors do not see.
_HIDING_TAGS = frozenset(
    ["script", "style", "template", "noscript", "head", "title", "iframe", "noembed", "noframes"]
)
#: Elements whose content the parser keeps as raw text.
_RAWTEXT_TAGS = frozenset(["script", "style", "title"])
_FOOTERISH_RE = re.compile(
    r"foot|copy-?right|beian|banquan|dibu|(?<![a-z])(?:ft|bottom|btm|icp)(?![a-z])", re.IGNORECASE
)
_DISPLAY_RE = re.compile(r"(?:^|;)\s*display\s*:\s*([a-z-]+)", re.IGNORECASE)
_VISIBILITY_RE = re.compile(r"(?:^|;)\s*visibility\s*:\s*([a-z-]+)", re.IGNORECASE)
_TAIL_RE = re.compile(r"\s*号?(?:\s*-\s*(\d{1,3})(?!\s?\d))?")


def _aligned(text: str) -> str:
    """:func:`normalise` keeping one character per character, so offsets map back to the page."""
    norm = normalise(text)
    if len(norm) == len(text):
        return norm
    table = {}  # per distinct character, not per character: linear on hostile text
    for ch in set(text):
        n = normalise(ch)
        if len(n) == 1 and n != ch:
            table[ord(ch)] = n
    return text.translate(table)


@dataclass(frozen=True, slots=True)
class _State:
    hidden: str | None  # display-level reason (cannot be undone by descendants)
    invisible: bool  # visibility:hidden (a descendant may set visibility:visible)
    footer: bool

    @property
    def reason(self) -> str | None:
        return self.hidden or ("visibility:hidden" if self.invisible else None)


def _step(el: Any, st: _State) -> _State:
    """State inside ``el`` given the state around it."""
    tag = el.tag
    hidden, invisible, footer = st.hidden, st.invisible, st.footer
    style = el.get("style")
    display = None
    if style:
        d = _DISPLAY_RE.findall(style)
        display = d[-1].lower() if d else None
        v = _VISIBILITY_RE.findall(style)
        if v:
            invisible = v[-1].lower() in ("hidden", "collapse")
    if hidden is None:
        if tag in _HIDING_TAGS:
            hidden = tag
        elif display == "none":
            hidden = "display:none"
        elif el.get("hidden") is not None and display is None:
            hidden = "hidden attribute"
    if not footer:
        footer = tag == "footer" or (el.get("role") or "").lower() == "contentinfo"
        if not footer:
            for attr in ("id", "class"):
                value = el.get(attr)
                if value and _FOOTERISH_RE.search(value):
                    footer = True
                    break
    if hidden == st.hidden and invisible == st.invisible and footer == st.footer:
        return st
    return _State(hidden, invisible, footer)


_ROOT_STATE = _State(None, False, False)


def _state_of(el: Any) -> _State:
    """State inside ``el``, from its ancestors down."""
    chain = []
    while el is not None:
        chain.append(el)
        el = el.getparent()
    st = _ROOT_STATE
    for anc in reversed(chain):
        if isinstance(anc.tag, str):
            st = _step(anc, st)
    return st


class _Flow:
    """Text of one region in document order, with the element owning each piece."""

    __slots__ = ("marks", "owners", "parts", "size", "starts", "states")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.starts: list[int] = []
        self.owners: list[Any] = []
        self.states: list[_State] = []
        self.marks: list[tuple[int, int]] = []  # (offset in the flow, marker index)
        self.size = 0

    def add(self, text: str, owner: Any, st: _State) -> None:
        if _MARK in text:
            if _MARK_OPEN in text:  # a marker element the parser kept as raw text
                text = text.replace(_MARK_OPEN, "").replace(_MARK_CLOSE, "")
            removed = 0
            for m in _MARK_RE.finditer(text):
                self.marks.append((self.size + m.start() - removed, ord(m[0][1]) - _MARK_BASE))
                removed += len(m[0])
            text = _MARK_RE.sub("", text)
        if text:
            self.parts.append(text)
            self.starts.append(self.size)
            self.owners.append(owner)
            self.states.append(st)
            self.size += len(text)

    def sep(self) -> None:
        if self.parts and self.parts[-1] != _SEP:
            self.parts.append(_SEP)
            self.starts.append(self.size)
            self.owners.append(None)
            self.states.append(_ROOT_STATE)
            self.size += 1

    def text(self) -> str:
        return "".join(self.parts)

    def at(self, offset: int) -> int:
        return bisect_right(self.starts, offset) - 1


def _walk(container: Any, outer: _State) -> tuple[_Flow, list[tuple[Any, str, _Flow]]]:
    """Visible flow of ``container`` and one flow per hidden subtree (root, reason, flow).

    Raw-text elements (script, style …) are skipped: their markers are read from the XPath hits.
    """
    visible = _Flow()
    hidden: list[tuple[Any, str, _Flow]] = []
    flows: dict[int, _Flow] = {}

    def flow_for(state: _State, root: Any) -> _Flow:
        if state.reason is None:
            return visible
        f = flows.get(id(root))
        if f is None:
            f = flows[id(root)] = _Flow()
            hidden.append((root, state.reason, f))
        return f

    root0 = container if outer.reason else None
    f = flow_for(outer, root0)
    if container.tag in _BLOCK_TAGS:
        f.sep()
    if container.text and container.tag not in _RAWTEXT_TAGS:
        f.add(container.text, container, outer)
    # open: (False, el, state around it, hidden root around it)
    # close: (True, el, state inside, root inside, state around, root around)
    stack: list[tuple[Any, ...]] = [(True, container, outer, root0, None, None)]
    stack.extend((False, child, outer, root0) for child in reversed(container))
    while stack:
        item = stack.pop()
        if item[0]:
            _, el, est, root, pst, proot = item
            if el.tag in _BLOCK_TAGS:
                flow_for(est, root).sep()
            if pst is not None and el.tail:
                flow_for(pst, proot).add(el.tail, el.getparent(), pst)
            continue
        _, el, pst, proot = item
        if not isinstance(el.tag, str):  # comment / PI: only its tail is text
            if el.tail:
                flow_for(pst, proot).add(el.tail, el.getparent(), pst)
            continue
        est = _step(el, pst)
        if est.reason is None:
            root = None
        elif pst.reason is not None:
            root = proot
        else:
            root = el
        f = flow_for(est, root)
        if el.tag in _BLOCK_TAGS:
            f.sep()
        if el.text and el.tag not in _RAWTEXT_TAGS:
            f.add(el.text, el, est)
        stack.append((True, el, est, root, pst, proot))
        stack.extend((False, child, est, root) for child in reversed(el))
    return visible, hidden


def _lca(a: Any, b: Any) -> Any:
    if a is b:
        return a
    seen = set()
    x = a
    while x is not None:
        seen.add(x)
        x = x.getparent()
    x = b
    while x is not None and x not in seen:
        x = x.getparent()
    return x if x is not None else a


def _snippet(text: str, start: int, end: int) -> str:
    """At most CONTEXT_CHARS characters around text[start:end], spaces collapsed."""

    def clean(s: str) -> str:
        return _SPACE_RE.sub(" ", s.replace(_SEP, " "))

    mid = clean(text[start:end]).strip()
    room = max(0, CONTEXT_CHARS - len(mid))
    left = clean(text[max(0, start - 200) : start]).lstrip()
    right = clean(text[end : end + 200]).rstrip()
    keep_left = min(len(left), room // 2 + max(0, room // 2 - len(right)))
    keep_right = min(len(right), room - keep_left)
    left = left[len(left) - keep_left :] if keep_left else ""
    return (left + mid + right[:keep_right])[:CONTEXT_CHARS]


@dataclass(slots=True)
class _Occurrence:
    number: LicenceNumber
    raw: str
    context: str
    element: Any
    path_suffix: str
    footer: bool
    marks: list[int]
    visible: bool
    where: str
    suffix: str | None


@dataclass(slots=True)
class _Label:
    text: str
    element: Any
    href: str | None
    src: str | None
    footer: bool
    marks: list[int]
    context: str


def _numbers_in(text: str) -> Iterator[tuple[LicenceNumber, int, int, str | None]]:
    """(number, start, end including 号/suffix, suffix) in aligned-normalised ``text``."""
    for m in find_numbers(text):
        tail = _TAIL_RE.match(text, m.end)
        end = m.end
        suffix = None
        if tail and tail.end() > m.end:
            end = tail.end()
            if tail.group(1):
                suffix = f"-{tail.group(1)}"
        yield m.number, m.start, end, suffix


def _first(items: Iterable[Any], what: str, notes: list[str]) -> Iterator[Any]:
    """At most MAX_FOUND items, noting when there were more."""
    for n, item in enumerate(items):
        if n == MAX_FOUND:
            notes.append(f"more than {MAX_FOUND} {what} in one block: the rest not read")
            return
        yield item


def _marks_in(flow: _Flow, offsets: list[int], start: int, end: int) -> list[int]:
    """Markers between ``start`` and ``end`` in the flow, else all of the flow's."""
    inside = flow.marks[bisect_left(offsets, start) : bisect_left(offsets, end)]
    return [k for _, k in (inside or flow.marks)]


#: A block's text longer than this is read only around its markers (hostile pages).
_FLOW_WHOLE = 65536
_AROUND = 600


def _read(flow: _Flow, raw: str) -> Iterator[tuple[int, str]]:
    """(offset, aligned-normalised text) of the parts of a flow to search: all of it, or for a
    large flow the merged stretches around its markers."""
    if len(raw) <= _FLOW_WHOLE:
        yield 0, _aligned(raw)
        return
    start = end = -1
    for at, _ in flow.marks:
        if at - _AROUND > end:
            if end != -1:
                yield start, _aligned(raw[start:end])
            start = max(0, at - _AROUND)
        end = at + _AROUND
    if end != -1:
        yield start, _aligned(raw[start:end])


def _flow_numbers(
    flow: _Flow, visible: bool, where: str, notes: list[str]
) -> tuple[list[_Occurrence], list[tuple[int, int]]]:
    raw = flow.text()
    found = []
    spans = []
    offsets = [at for at, _ in flow.marks]
    numbers = (
        (number, start + a, end + a, suffix)
        for a, norm in _read(flow, raw)
        for number, start, end, suffix in _numbers_in(norm)
    )
    for number, start, end, suffix in _first(numbers, "licence numbers", notes):
        i, j = flow.at(start), flow.at(max(start, end - 1))
        first, last = flow.owners[i], flow.owners[j]
        element = _lca(first, last) if first is not None and last is not None else first
        state = flow.states[i]
        marks = _marks_in(flow, offsets, start, end)
        found.append(
            _Occurrence(
                number,
                raw[start:end].strip(),
                _snippet(raw, start, end),
                element,
                "",
                state.footer,
                marks,
                visible,
                where,
                suffix,
            )
        )
        spans.append((start, end))
    return found, spans


def _ancestor_link(el: Any) -> Any:
    x = el
    while x is not None:
        if x.tag in ("a", "area") and x.get("href") is not None:
            return x
        x = x.getparent()
    return None


def _link_and_image(el: Any) -> tuple[str | None, str | None]:
    link = _ancestor_link(el)
    href = link.get("href") if link is not None else None
    src = None
    if el.tag in ("img", "input", "image"):
        src = el.get("src")
    elif link is not None:
        img = next(link.iter("img"), None)
        if img is not None:
            src = img.get("src")
    return href, src


def _flow_labels(flow: _Flow, taken: list[tuple[int, int]], notes: list[str]) -> list[_Label]:
    raw = flow.text()
    labels = []
    offsets = [at for at, _ in flow.marks]
    ends = [e for _, e in taken]  # spans are in order and do not overlap
    found = (
        (m.start() + a, m.end() + a)
        for a, norm in _read(flow, raw)
        for m in _LABEL_RE.finditer(norm)
    )
    for start, end in _first(found, "licence labels", notes):
        i = bisect_right(ends, start)
        if i < len(taken) and taken[i][0] < end:
            continue
        i = flow.at(start)
        owner = flow.owners[i]
        href, src = _link_and_image(owner)
        labels.append(
            _Label(
                raw[start:end],
                owner,
                href,
                src,
                flow.states[i].footer,
                _marks_in(flow, offsets, start, end),
                _snippet(raw, start, end),
            )
        )
    return labels


def _raw_numbers(
    text: str, element: Any, where: str, footer: bool, suffix_path: str, notes: list[str]
) -> list[_Occurrence]:
    """Numbers in raw text that nobody sees (comment, script, attribute), around each marker."""
    marks = [ord(m[1]) - _MARK_BASE for m in _MARK_RE.findall(text)]
    if len(text) > 4000:
        pieces = []
        for m in _MARK_RE.finditer(text):
            pieces.append(text[max(0, m.start() - 600) : m.end() + 600])
        text = _SEP.join(pieces)
    text = _MARK_RE.sub("", text)
    if "<" in text:
        text = _strip_tags(text)
    if "&" in text:
        text = html.unescape(text)
    norm = _aligned(text)
    out = []
    seen = set()
    for number, start, end, suffix in _first(_numbers_in(norm), "licence numbers", notes):
        raw = text[start:end].strip()
        if (number, raw) in seen:
            continue
        seen.add((number, raw))
        out.append(
            _Occurrence(
                number,
                raw,
                _snippet(text, start, end),
                element,
                suffix_path,
                footer,
                marks,
                False,
                where,
                suffix,
            )
        )
    return out


@dataclass(slots=True)
class _Parsed:
    occurrences: list[_Occurrence]
    labels: list[_Label]
    tree: Any
    notes: list[str]


_MARK_OPEN = f"<{_MARK_TAG}>"
_MARK_CLOSE = f"</{_MARK_TAG}>"
#: Places whose content the parser turns into elements: they get marker elements.
_ELEMENT_KINDS = frozenset({"text", "template", "noscript"})


def _mark(raw: _Raw, positions: Iterable[int]) -> tuple[bytes, set[str], int]:
    """The page with a marker at each candidate, the kinds of place they are in, and how many
    marker elements were inserted."""
    b = raw.b
    parts = []
    kinds: set[str] = set()
    elements = 0
    prev = 0
    unique = _capped(sorted(set(positions)), MAX_MARKS, "licence candidates", raw.notes)
    for i, pos in enumerate(unique):
        parts.append(b[prev:pos])
        chars = _MARK + chr(_MARK_BASE + i)
        kind = raw.hidden_context(pos) or "text"
        kinds.add(kind)
        if kind in _ELEMENT_KINDS:
            parts.append((_MARK_OPEN + chars + _MARK_CLOSE).encode())
            elements += 1
        else:
            parts.append(chars.encode())
        prev = pos
    parts.append(b[prev:])
    return b"".join(parts), kinds, elements


def _hits(root: Any, kinds: set[str], wanted: int) -> Iterator[Any]:
    """Marked nodes: marker elements, then only the XPath searches the marker kinds need."""
    found = 0
    for el in root.iter(_MARK_TAG):
        found += 1
        yield el
    if found < wanted:  # a marker element landed in raw text the cheap context check missed
        yield from _TEXT_HITS(root, m=_MARK)
    elif kinds - _ELEMENT_KINDS - {"comment", "attribute"}:
        yield from _RAWTEXT_HITS(root, m=_MARK)
    if "comment" in kinds:
        yield from _COMMENT_HITS(root, m=_MARK)
    if "attribute" in kinds:
        yield from _ATTR_HITS(root, m=_MARK)


_TAG_TOKEN_RE = re.compile(rb"<(/?)([a-zA-Z][a-zA-Z0-9-]{0,30})[^<>]{0,2000}?(/?)>")
_VOID_TAGS = frozenset(
    b"area base br col embed hr img input link meta param source track wbr".split()
)


def _flatten(page: bytes) -> bytes:
    """The page without the tags nested deeper than MAX_DEPTH (as Chromium does), for lxml,
    which drops everything after the point where the nesting passes its limit."""
    depth = 0

    def keep(m: re.Match[bytes]) -> bytes:
        nonlocal depth
        name = m.group(2).lower()
        if name in _VOID_TAGS or m.group(3) or name == _MARK_TAG.encode():
            return m.group(0)
        if m.group(1):
            depth = max(0, depth - 1)
            return m.group(0) if depth < MAX_DEPTH else b""
        depth += 1
        return m.group(0) if depth <= MAX_DEPTH else b""

    return _TAG_TOKEN_RE.sub(keep, page)


def _too_deep(parser: Any) -> bool:
    return any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log)


def _parse(marked: bytes, kinds: set[str], wanted: int) -> _Parsed | None:
    notes: list[str] = []
    try:
        root = etree.fromstring(marked, _PARSER)
        if _too_deep(_PARSER):
            root = etree.fromstring(_flatten(marked), _PARSER)
            notes.append(f"nesting deeper than lxml parses: tags below level {MAX_DEPTH} ignored")
            if _too_deep(_PARSER):
                notes.append("nesting too deep: the page was parsed only in part")
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    tree = root.getroottree()
    occurrences: list[_Occurrence] = []
    labels: list[_Label] = []
    containers: dict[Any, None] = {}
    seen: set[Any] = set()
    states: dict[Any, _State] = {}
    blocks: dict[Any, Any] = {}

    def state_of(el: Any) -> _State:
        """:func:`_state_of`, remembering every ancestor's state (deep trees, many hits)."""
        chain = []
        while el is not None and el not in states:
            chain.append(el)
            el = el.getparent()
        st = _ROOT_STATE if el is None else states[el]
        for anc in reversed(chain):
            if isinstance(anc.tag, str):
                st = _step(anc, st)
            states[anc] = st
        return st

    def block_of(el: Any) -> Any:
        """The nearest block element around ``el`` (or the root), remembered on the way up."""
        chain = []
        while el not in blocks and el.tag not in _BLOCK_TAGS and el.getparent() is not None:
            chain.append(el)
            el = el.getparent()
        block = blocks.get(el, el)
        for x in chain:
            blocks[x] = block
        return block

    for hit in _hits(root, kinds, wanted):
        if isinstance(hit, etree._Element) and hit.tag == _MARK_TAG:
            owner = hit.getparent()
            if owner is None:
                continue
        elif isinstance(hit, etree._Comment):
            if hit in seen:
                continue
            seen.add(hit)
            parent = hit.getparent()
            st = state_of(parent) if parent is not None else _ROOT_STATE
            occurrences += _raw_numbers(hit.text or "", hit, "comment", st.footer, "", notes)
            continue
        else:
            el = hit.getparent()
            if el is None:
                continue
            if hit.is_attribute:
                name = hit.attrname
                st = state_of(el)
                where = "meta" if el.tag == "meta" else f"attribute:{name}"
                occurrences += _raw_numbers(str(hit), el, where, st.footer, f"/@{name}", notes)
                if (
                    name in ("alt", "title")
                    and el.tag in ("img", "area", "input", "a")
                    and st.reason is None
                ):
                    labels += _attribute_label(str(hit), el, st)
                continue
            owner = el.getparent() if hit.is_tail else el
            if owner is None:
                continue
            if owner.tag == _MARK_TAG:  # the text inside a marker element (fallback search)
                owner = owner.getparent()
                if owner is None:
                    continue
            elif owner.tag in _RAWTEXT_TAGS:
                st = state_of(owner)
                text = str(hit).replace(_MARK_OPEN, "").replace(_MARK_CLOSE, "")
                occurrences += _raw_numbers(text, owner, owner.tag, st.footer, "", notes)
                continue
        containers[block_of(owner)] = None
    # Walk each block once; a block inside another chosen block is covered by the outer one.
    covered: dict[Any, bool] = {c: True for c in containers}
    for container in containers:
        chain = []
        anc = container.getparent()
        while anc is not None and anc not in covered:
            chain.append(anc)
            anc = anc.getparent()
        inside = anc is not None and covered[anc]
        for x in chain:
            covered[x] = inside
        if inside:
            continue
        parent = container.getparent()
        outer = _step(container, state_of(parent) if parent is not None else _ROOT_STATE)
        visible, hidden = _walk(container, outer)
        found, spans = _flow_numbers(visible, True, "text", notes)
        occurrences += found
        labels += _flow_labels(visible, spans, notes)
        for root_el, reason, flow in hidden:
            found, _ = _flow_numbers(flow, False, reason, notes)
            for occ in found:
                occ.element = root_el if occ.element is None else occ.element
            occurrences += found
    return _Parsed(occurrences, labels, tree, notes)


def _attribute_label(value: str, el: Any, st: _State) -> list[_Label]:
    """alt/title of a visible image or link naming the licence: an image label."""
    text = _aligned(_MARK_RE.sub("", value))
    m = _LABEL_RE.search(text)
    if not m or any(True for _ in find_numbers(text)):
        return []
    href, src = _link_and_image(el)
    return [_Label(m.group(0), el, href, src, st.footer, [], _snippet(text, m.start(), m.end()))]


def _fractions(marked: bytes) -> dict[int, tuple[float, int]]:
    """Per surviving marker: its position in the page's static visible text (0 to 1) and how
    many visible characters follow it."""
    text = _static_text(marked.lower()) if marked else ""
    total = 0
    at: dict[int, int] = {}
    last = 0
    for m in _MARK_RE.finditer(text):
        total += _nonspace_len(text[last : m.start()])
        at[ord(m.group(0)[1]) - _MARK_BASE] = total
        last = m.end()
    total += _nonspace_len(text[last:])
    return {k: (v / total, total - v) for k, v in at.items()} if total else {}


# --------------------------------------------------------------------------- the check


def _near(shown: LicenceNumber, expected: LicenceNumber) -> bool:
    """A typo of the expected number, or the same serial with province/categories differing."""
    if shown.canonical == expected.canonical:
        return False
    if is_near_miss(shown.canonical, expected.canonical):
        return True
    return (
        shown.serial == expected.serial
        and shown.old_style == expected.old_style
        and (shown.province == expected.province or not shown.province or not expected.province)
    )


def _resolve(link: str | None, base: str | None) -> str | None:
    if link is None or not base:
        return link
    try:
        return urljoin(base, link.strip())
    except ValueError:
        return link


_BASE_RE = re.compile(rb"""<base\b[^<>]*\bhref\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)


def _base_url(raw: _Raw, url: str | None) -> str | None:
    if b"<base" not in raw.low:
        return url
    m = _BASE_RE.search(raw.b)
    if not m:
        return url
    base = html.unescape(m.group(1).decode("utf-8", "replace"))
    try:
        return urljoin(url, base) if url else base
    except ValueError:  # <base href="http://[bad">
        return url


def check_page(
    page: bytes | str,
    expected: str | LicenceNumber,
    *,
    company: str | None = None,
    encoding: str | None = None,
    url: str | None = None,
) -> Finding:
    """Check one page for the expected licence number; see docs/finding-json.md for the rules.

    Raises :class:`crawler.licence_numbers.InvalidLicenceNumber` if ``expected`` is not a number.
    """
    want = expected if isinstance(expected, LicenceNumber) else parse_number(expected)
    text, codec, notes = decode_page(page, encoding)
    if codec == "utf-8" and isinstance(page, bytes) and "\ufffd" not in text:
        b = page[3:] if page.startswith(codecs.BOM_UTF8) else page
    else:
        b = text.encode("utf-8", "replace")
    raw = _Raw(b)
    scan = _scan(raw)

    occurrences: list[_Occurrence] = []
    labels: list[_Label] = []
    tree = None
    marked = b""
    if scan.marks:
        marked, kinds, elements = _mark(raw, scan.marks)
        parsed = _parse(marked, kinds, elements)
        if parsed is not None:
            occurrences, labels, tree = parsed.occurrences, parsed.labels, parsed.tree
            raw.notes += parsed.notes

    base = _base_url(raw, url) if labels else url
    fractions: dict[int, tuple[float, int]] | None = None

    def region(footer: bool, marks: list[int]) -> str:
        nonlocal fractions
        if footer:
            return FOOTER
        if not marks:
            return BODY
        if fractions is None:
            fractions = _fractions(marked)
        pos = [fractions[k] for k in marks if k in fractions]
        if not pos:
            return BODY
        fraction, after = min(pos)
        return FOOTER if fraction >= BOTTOM_FRACTION or after <= BOTTOM_CHARS else BODY

    def path(el: Any, suffix: str) -> str:
        try:
            return tree.getpath(el) + suffix if tree is not None and el is not None else suffix
        except (TypeError, ValueError):
            return suffix

    displayed: list[NumberEvidence] = []
    hidden: list[NumberEvidence] = []
    seen: set[tuple[str, str, str, bool]] = set()
    for occ in occurrences:
        shown = occ.number
        ev = NumberEvidence(
            number=shown.canonical,
            raw=occ.raw,
            context=occ.context,
            path=path(occ.element, occ.path_suffix),
            region=region(occ.footer, occ.marks),
            visible=occ.visible,
            where=occ.where,
            suffix=occ.suffix,
            matches_expected=shown.canonical == want.canonical,
            near_miss=_near(shown, want),
            province_missing=bool(
                want.province
                and not shown.province
                and not want.old_style
                and shown.categories == want.categories
                and shown.serial == want.serial
            ),
        )
        key = (ev.number, ev.path, ev.raw, ev.visible)
        if key in seen:
            continue
        seen.add(key)
        (displayed if ev.visible else hidden).append(ev)

    label_ev: list[LabelEvidence] = []
    seen_labels: set[tuple[str, str]] = set()
    for lab in labels:
        ev_l = LabelEvidence(
            text=lab.text,
            href=_resolve(lab.href, base),
            src=_resolve(lab.src, base),
            path=path(lab.element, ""),
            region=region(lab.footer, lab.marks),
            context=lab.context,
        )
        if (ev_l.text, ev_l.path) not in seen_labels:
            seen_labels.add((ev_l.text, ev_l.path))
            label_ev.append(ev_l)

    company_shown = _company_shown(raw, company) if company else None
    verdict, near, more = _decide(want, displayed, hidden, label_ev, scan, raw)
    notes += more + _dedupe(raw.notes)
    return Finding(
        verdict=verdict,
        expected=want.canonical,
        near_miss=near,
        displayed=tuple(displayed),
        hidden=tuple(hidden),
        filings=tuple(scan.filings),
        police_filings=tuple(scan.police),
        miit_link=scan.miit_link,
        miit_href=_resolve(scan.miit_href, url),
        company=company,
        company_shown=company_shown,
        label_links=tuple(label_ev),
        encoding=codec,
        url=url,
        notes=tuple(notes),
    )


_RENDERABLE = frozenset({"script", "template"})


def _decide(
    want: LicenceNumber,
    displayed: list[NumberEvidence],
    hidden: list[NumberEvidence],
    labels: list[LabelEvidence],
    scan: _Scan,
    raw: _Raw,
) -> tuple[Verdict, bool, list[str]]:
    """Verdict by precedence, whether the shown number is a near miss, and notes explaining it."""
    notes: list[str] = []
    mine = [e for e in displayed if e.matches_expected]
    for e in mine:
        if e.suffix:
            notes.append(f"shown with site suffix {e.suffix} ({e.raw})")
    for e in displayed:
        if e.province_missing:
            notes.append(
                f"shown without province character {want.province} ({e.raw}): "
                f"not counted as {want.canonical}"
            )
        elif not e.matches_expected and not want.province and e.number.endswith(want.canonical):
            notes.append(
                f"shown with a province character ({e.raw}) but {want.canonical} is cross-regional"
            )
    hidden_mine = [e for e in hidden if e.matches_expected]
    if mine:
        if hidden_mine:
            notes.append("also present where visitors do not see it: " + _wheres(hidden_mine))
        if any(e.region == FOOTER for e in mine):
            return Verdict.COMPLIANT, False, _dedupe(notes)
        notes.append("shown only outside the footer / bottom region")
        return Verdict.DISPLAYED_ELSEWHERE, False, _dedupe(notes)

    for filing in scan.filings:
        if want.serial in filing:
            notes.append(
                f"the digits {want.serial} appear in ICP filing {filing}, which is not the licence"
            )
    signals: list[str] | None = None

    def render_signals() -> list[str]:
        nonlocal signals
        if signals is None:
            signals = _render_signals(raw, bool(scan.filings or scan.police))
        return signals

    if hidden_mine:
        notes.append("present only where visitors do not see it: " + _wheres(hidden_mine))
        if all(e.where in _RENDERABLE for e in hidden_mine) and render_signals():
            notes += signals or []
            notes.append("only in script content of a script-rendered page: a browser must decide")
            return Verdict.NEEDS_RENDER, False, _dedupe(notes)
        return Verdict.HIDDEN, False, _dedupe(notes)
    if displayed:
        near = any(e.near_miss for e in displayed)
        shown = ", ".join(dict.fromkeys(e.number for e in displayed))
        kind = "a near miss (typo) of" if near else "not"
        notes.append(f"shows {shown}: {kind} {want.canonical}")
        return Verdict.WRONG_NUMBER, near, _dedupe(notes)
    if render_signals():
        notes += signals or []
        if labels:
            notes.append("a licence label is shown but the number may be rendered by scripts")
        return Verdict.NEEDS_RENDER, False, _dedupe(notes)
    if labels:
        where = "; ".join(
            f"{lab.text} -> {lab.href or lab.src}" if (lab.href or lab.src) else lab.text
            for lab in labels
        )
        notes.append(f"licence label shown without a number: {where}")
        return Verdict.LABEL_ONLY, False, _dedupe(notes)
    if scan.filings:
        notes.append("only an ICP filing number is shown; a filing is not the licence")
    return Verdict.MISSING, False, _dedupe(notes)


def _wheres(items: list[NumberEvidence]) -> str:
    return ", ".join(dict.fromkeys(e.where for e in items))


def _dedupe(notes: list[str]) -> list[str]:
    return list(dict.fromkeys(notes))
