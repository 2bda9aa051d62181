"""Tier 1 of the check: a cheap byte scan for *anchors*, licence-category tokens (``B2-``), ``证``
and ``备`` (traditional ``證``, ``備`` too). One ``bytes.translate`` maps every interesting byte to
a few codes so one literal-prefix regex finds all anchors in C; each anchor is then checked on a
small window.
Filings, police filings, the MIIT link (a literal scan for ``mii``) and the company name come from
this tier; the other footer rules' needles are rule_needles.py's. Every pattern is atomic or
bounded and every loop capped: work is linear in the page.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice

from crawler.check.finding import MAX_ANCHORS, MAX_LINK_HITS, MAX_WINDOWS
from crawler.licences.numbers import (
    DASHES,
    PROVINCES,
    TRADITIONAL,
    normalise,
)

# One bytes.translate maps what starts an anchor (category letters A B a b; lead bytes E5 E8 EF
# of 备, 证, 備, 證 and full-width forms) to 01, category digits 1-4 and the second bytes of 备,
# 证, full-width forms, 備 and 證 (A4 AF BC 82 AD) to 02, and separators (whitespace - < & . and
# the lead bytes of NBSP, dashes and U+3000) to 03. Every anchor then begins with the two-byte
# literal 01 02, which the regex engine finds with a fast scan (a one-byte prefix would stop
# ~10,000 times on a typical page); the third byte leaves few false hits (！ ） 股 诉 …, a few
# dozen a page, each dropped after a byte comparison or two), and dispatch looks at the real bytes.
_SEP_BYTES = b" \t\n\r\f\v-<&.\xc2\xe2\xe3"
_TR = bytes.maketrans(
    b"ABab\xe5\xe8\xef" + b"1234\xa4\xaf\xbc\x82\xad" + _SEP_BYTES,
    b"\x01" * 7 + b"\x02" * 9 + b"\x03" * len(_SEP_BYTES),
)
#: B2- / B2<tag / B2&nbsp; / B2－ / 证 / 备 / 證 / 備 / Ａ Ｂ / ２ after B
_ANCHOR_RE = re.compile(rb"\x01\x02(?:[\x03\x81\x87\x89\x91-\x94\x99\xa1\xa2]|\x01\x02\x8d)")
_ZHENG_B = ("证".encode(), "證".encode())
_BEI_B = ("备".encode(), "備".encode())
_LETTERS_B = frozenset(b"ABab")
_MIIT_NEEDLE = b"mii"  # in every MIIT host: beian.miit.gov.cn, www.miitbeian.gov.cn, miibeian
IMG_TAG_RE = re.compile(rb"<img\s")
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
# What may precede 证 in a label / old-style number (可, 营, 營, ICP in any width), and 备 in a
# filing, matched on the reversed bytes before the anchor: a match at the anchor, not a search of
# a window.
_R_GAP = rb"(?>(?:\s+|;psbn&|;061#&|;0ax#&|;88221#&|\xa0\xc2|\x80\x80\xe3|>[^<>]{0,400}<){0,16})"
_ZHENG_PRE_RE = re.compile(
    _R_GAP + rb"(?:\xaf\x8f\xe5|\xa5\x90\xe8|\x9f\x87\xe7|pci|\xb0\xbc\xef|\x90\xbd\xef)"
)
_BEI_PRE_RE = re.compile(_R_GAP + rb"(?:pci|\xb0\xbc\xef|\x90\xbd\xef|\x89\xae\xe5)")
_MIIT_HOST_RE = re.compile(rb"(?:beian\.miit|miitbeian|miibeian)\.gov\.cn")
LINK_TAG_RE = re.compile(rb"<(?:a|area)\s")
_HREF_RE = re.compile(rb"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)

_SENTINEL = "\ue002"
_SENTINEL_B = _SENTINEL.encode()
_WINDOW_TAG_RE = re.compile(r"<!--.*?-->|<[^>]*>", re.DOTALL)
_TAG_ONLY_RE = re.compile(r"<[^>]*>")
SPACE_RE = re.compile(r"\s+")

_PROV = f"[{PROVINCES}]"
#: Licence labels, on normalised text. Bare 经营许可证 counts unless another word qualifies it
#: (网络文化经营许可证, 食品经营许可证 … are other licences).
LABEL_RE = re.compile(
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


RAW_OPEN_RE = re.compile(rb"<(?:(script|style|template|noscript|title|textarea)\b|!--)")


class RawPage:
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
            for m in RAW_OPEN_RE.finditer(self.low):
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


def strip_tags(text: str) -> str:
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


def capped(items: list[int], cap: int, what: str, notes: list[str]) -> list[int]:
    """The first and last ``cap // 2`` items (the footer is at the end), noting the cut."""
    if len(items) <= cap:
        return items
    half = cap // 2
    notes.append(f"{len(items)} {what} on the page: only the first and last {half} were checked")
    return items[:half] + items[-half:]


def window(b: bytes, pos: int, before: int, after: int) -> tuple[str, int]:
    """Normalised text around ``pos`` (tags dropped) and the index of ``pos`` in it."""
    chunk = b[max(0, pos - before) : pos] + _SENTINEL_B + b[pos : pos + after]
    text = normalise(html.unescape(strip_tags(chunk.decode("utf-8", "ignore"))))
    idx = text.find(_SENTINEL)
    return text.replace(_SENTINEL, ""), idx


def _covering(regex: re.Pattern[str], text: str, idx: int) -> Iterator[re.Match[str]]:
    for m in regex.finditer(text):
        if m.start() <= idx < m.end():
            yield m
        elif m.start() > idx:
            return


def _filing(m: re.Match[str]) -> str:
    num = SPACE_RE.sub("", m.group("num"))
    suffix = f"-{m.group('suf')}" if m.group("suf") else ""
    return f"{m.group('prov')}ICP备{num}号{suffix}"


def _police(m: re.Match[str]) -> str:
    return f"{m.group('prov')}公网安备{SPACE_RE.sub('', m.group('num'))}号"


@dataclass(slots=True)
class PageScan:
    """What tier 1 found."""

    marks: list[int] = field(default_factory=list)  # byte positions of licence/label candidates
    filings: list[str] = field(default_factory=list)
    police: list[str] = field(default_factory=list)
    miit_href: str | None = None
    miit_link: bool = False
    # For the rules (crawler/check/rules), from literal needles:
    links: list[str] = field(default_factory=list)  # hrefs to MIIT, MPS, business-licence hosts
    image_filings: list[str] = field(default_factory=list)  # ICP filings in an <img> alt/title
    image_police: list[str] = field(default_factory=list)  # police filings in an <img> alt/title
    business_licence: list[str] = field(default_factory=list)  # 营业执照 text, badge link, image


def scan_page(raw: RawPage) -> PageScan:
    b = raw.b
    out = PageScan()
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
            elif b[pos + 2] not in (0xA1, 0xA2):  # ！ ） ９, not Ａ Ｂ
                continue
        elif lead not in _LETTERS_B:
            three = b[pos : pos + 3]
            if three in _ZHENG_B:
                if _ZHENG_PRE_RE.match(raw.low[max(0, pos - 300) : pos][::-1]):
                    zheng.append(pos)
            elif three in _BEI_B and _BEI_PRE_RE.match(raw.low[max(0, pos - 300) : pos][::-1]):
                bei.append(pos)
            continue
        if (pos and b[pos - 1] in _ALNUM) or not _RAW_NEW_RE.match(b, pos):
            continue
        marks.append(pos)
    for pos in capped(zheng, MAX_WINDOWS, "licence-label candidates", raw.notes):
        _zheng(raw, pos, marks)
    for pos in capped(bei, MAX_WINDOWS, "filing candidates", raw.notes):
        _bei(raw, pos, out)
    for n, pos in enumerate(_miit_hosts(raw.low)):
        if n == MAX_LINK_HITS:
            raw.notes.append(f"more than {MAX_LINK_HITS} MIIT host names: the rest not checked")
            break
        href = link_href(raw, pos)
        if href is not None:
            if not out.miit_link:
                out.miit_link, out.miit_href = True, href
            out.links.append(href)  # every MIIT link: a retired host may follow a current one
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
    for n, pos in enumerate(literal_hits(low, _MIIT_NEEDLE)):
        if n == MAX_ANCHORS:
            yield from (m.start() for m in _MIIT_HOST_RE.finditer(low, max(0, pos - 12)))
            return
        host = _MIIT_HOST_RE.search(low, max(0, pos - 12), pos + 30)
        if host and host.start() <= pos < host.end():
            yield pos


def _zheng(raw: RawPage, pos: int, marks: list[int]) -> None:
    """证 that ends a licence label or an old-style number (京ICP证…) is a candidate."""
    text, idx = window(raw.b, pos, 400, 200)
    if any(True for _ in _covering(LABEL_RE, text, idx)):
        marks.append(pos)
        return
    lt = raw.b.rfind(b"<", max(0, pos - 400), pos)
    if lt != -1 and raw.b.find(b">", lt, pos) == -1:  # in an attribute: alt="经营许可证"
        chunk = raw.b[lt:pos] + _SENTINEL_B + raw.b[pos : pos + 60]
        text = normalise(html.unescape(chunk.decode("utf-8", "ignore")))
        idx = text.find(_SENTINEL)
        if any(True for _ in _covering(LABEL_RE, text.replace(_SENTINEL, ""), idx)):
            marks.append(pos)


def _bei(raw: RawPage, pos: int, out: PageScan) -> None:
    """备 in an ICP filing or a police filing shown in the page text."""
    text, idx = window(raw.b, pos, 400, 300)
    found = [(_filing(f), out.filings) for f in _covering(_FILING_RE, text, idx)]
    found += [(_police(f), out.police) for f in _covering(_POLICE_RE, text, idx)]
    if found and raw.hidden_context(pos) is None:
        for value, bucket in found:
            if value not in bucket:
                bucket.append(value)
    elif not found and raw.hidden_context(pos) == "attribute":
        _image_bei(raw, pos, out)


def _image_bei(raw: RawPage, pos: int, out: PageScan) -> None:
    """A filing in an <img> alt/title (the image probably shows it): kept apart, for the rules."""
    lt = raw.tag_start(pos)
    if not IMG_TAG_RE.match(raw.low, lt):
        return
    chunk = raw.b[max(lt, pos - 400) : pos] + _SENTINEL_B + raw.b[pos : pos + 120]
    text = normalise(html.unescape(chunk.decode("utf-8", "ignore")))
    idx = text.find(_SENTINEL)
    text = text.replace(_SENTINEL, "")
    found = [(_filing(f), out.image_filings) for f in _covering(_FILING_RE, text, idx)]
    found += [(_police(f), out.image_police) for f in _covering(_POLICE_RE, text, idx)]
    for value, bucket in found:
        if value not in bucket:
            bucket.append(value)


def link_href(raw: RawPage, pos: int) -> str | None:
    """The href of the <a>/<area> tag that ``pos`` sits in (not in a comment or script)."""
    low = raw.low
    lt = raw.tag_start(pos)
    if lt == -1 or not LINK_TAG_RE.match(low, lt):
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


def literal_hits(hay: bytes, needle: bytes) -> Iterator[int]:
    """Every position of ``needle``: the regex engine's literal scan beats bytes.find here."""
    for m in _literal(needle).finditer(hay):
        yield m.start()


_TRADITIONAL_OF = {s: t for t, s in TRADITIONAL.items()}


@lru_cache(maxsize=256)
def _company_re(company: str) -> re.Pattern[bytes] | None:
    """Bytes regex for the company name: any width, spaces/tags/entities between characters."""
    name = SPACE_RE.sub("", normalise(company))
    if not name:
        return None
    parts = []
    for ch in name:
        variants = {ch, *_TRADITIONAL_OF.get(ch, "")}  # normalise made 網 网: either on the page
        if "!" <= ch <= "~":
            for c in {ch.lower(), ch.upper()}:
                variants |= {c, chr(ord(c) + 0xFEE0)}  # and the full-width form
        alts = sorted(re.escape(v.encode()) for v in variants)
        parts.append(alts[0] if len(alts) == 1 else b"(?:" + b"|".join(alts) + b")")
    return re.compile(_B_GAP.join(parts))


def shows_company(raw: RawPage, company: str) -> bool:
    regex = _company_re(company)
    if regex is None:
        return False
    return any(raw.hidden_context(m.start()) is None for m in regex.finditer(raw.b))
