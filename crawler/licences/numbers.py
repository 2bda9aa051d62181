"""Licence numbers (经营许可证编号): one grammar shared by the document parser and the footer check.

A number is either new style, ``[province]category[.category…]-8 digits`` (``京B2-20252223``,
cross-regional ``B2-20180123``, combined ``A2.B1.B2-20090003``), or old style
``province ICP证 digits 号`` (``京ICP证030173号``). Pages and OCR write them with full-width
characters, odd dashes and spaces, and zh-Hant pages in traditional characters (粵B2-…,
京ICP證…號); the canonical form is half-width and simplified, with no spaces.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

#: One-character province abbreviations used by the provincial communications bureaus
#: (both the common and the alternative forms: 贵/黔, 云/滇, 陕/秦, 甘/陇, 川/蜀).
PROVINCES = "京津沪渝冀晋蒙辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川蜀贵黔云滇藏陕秦甘陇青宁新"

#: Every dash-like character seen in footers and OCR output; all mean "-".
DASHES = "-‐‑‒–—―−－﹣﹘⁃─━"  # not 一: OCR of 一 is a real ideograph far more often

#: Traditional characters read as their simplified form: the 14 province abbreviations that
#: differ and the words of filings and licence labels (京ICP備…號, 公網安備, 增值電信業務經營許可證,
#: 互聯網信息服務, 電信與信息服務). Only characters with one simplified form.
TRADITIONAL = dict(
    zip(
        "滬晉遼蘇閩贛魯粵瓊貴雲陝隴寧備號網證電業務經營許聯與",
        "沪晋辽苏闽赣鲁粤琼贵云陕陇宁备号网证电业务经营许联与",
        strict=True,
    )
)
_FOLD = {**dict.fromkeys(DASHES.replace("-", ""), "-"), **TRADITIONAL}
#: One regex pass: str.translate with a dict costs several times more on non-ASCII text.
_FOLD_RE = re.compile("[" + re.escape("".join(_FOLD)) + "]")
_SPACE_RE = re.compile(r"\s+")

_PROV = f"[{PROVINCES}]"
_CAT = r"[AB]\s?[1-4]"
_CATS = rf"(?P<cats>{_CAT}(?>(?:\s*[.·]\s*{_CAT})*))"
_SERIAL = r"(?P<serial>(?:\d\s?){7}\d)(?!\s?\d)"
#: Found on pages (not accepted as an expected number): one or two digits glued to the serial
#: (京B2-202522231) are a typo of the number, reported as a near miss rather than dropped.
_LONG_SERIAL = r"(?P<serial>(?:\d\s?){7}\d\d{0,2})(?!\s?\d)"
#: The province written before ``ICP证`` (苏ICP证B2-20100204) is the number's province;
#: atomic, so a run of spaces is not retried.
_PROV_PREFIX = rf"(?:(?P<prov>{_PROV})(?>\s*(?:ICP\s*证\s*(?::\s*)?)?))?"
NEW_STYLE = rf"(?<![A-Za-z0-9]){_PROV_PREFIX}{_CATS}\s*-\s*{_SERIAL}"
OLD_STYLE = rf"(?P<oprov>{_PROV})\s*ICP\s*证\s*(?P<oserial>(?:\d\s?){{5,7}}\d)(?!\s?\d)(?:\s*号)?"
NUMBER_RE = re.compile(f"{NEW_STYLE}|{OLD_STYLE}", re.IGNORECASE)
_FULL_RE = re.compile(rf"\s*(?:{NEW_STYLE}|{OLD_STYLE})\s*", re.IGNORECASE)
#: What :func:`find_numbers` runs: NUMBER_RE, except that a chain of two or more categories
#: without a serial is consumed (and skipped) once. NUMBER_RE retries from every category of the
#: chain, which is quadratic on hostile text such as "A2.B1.B2." repeated; the numbers found
#: are the same.
_SCAN = (
    rf"(?<![A-Za-z0-9]){_PROV_PREFIX}"
    rf"(?P<cats>{_CAT}(?>(?:\s*[.·]\s*{_CAT}(?P<chain>))*))"
    r"(?:\s*-\s*{serial}|(?(chain)|(?!)))|" + OLD_STYLE
)
_SCAN_RE = re.compile(_SCAN.replace("{serial}", _SERIAL), re.IGNORECASE)
_SCAN_LONG_RE = re.compile(_SCAN.replace("{serial}", _LONG_SERIAL), re.IGNORECASE)


class InvalidLicenceNumber(ValueError):
    """Raised with the offending text, so a CLI can name the bad input."""


@dataclass(frozen=True)
class LicenceNumber:
    province: str
    categories: tuple[str, ...]
    serial: str
    old_style: bool = False

    @property
    def canonical(self) -> str:
        if self.old_style:
            return f"{self.province}ICP证{self.serial}号"
        return f"{self.province}{'.'.join(self.categories)}-{self.serial}"

    def __str__(self) -> str:
        return self.canonical


def _fold(m: re.Match[str]) -> str:
    return _FOLD[m.group()]


def normalise(text: str) -> str:
    """NFKC (full-width → half-width, U+3000 → space), every dash as ``-`` and the
    :data:`TRADITIONAL` characters simplified, one character for one, so a zh-Hant page gives
    the numbers and filings a simplified one does."""
    return _FOLD_RE.sub(_fold, unicodedata.normalize("NFKC", text))


def _squash(s: str) -> str:
    return _SPACE_RE.sub("", s)


def _from_match(m: re.Match[str]) -> LicenceNumber:
    if m.group("oserial"):
        return LicenceNumber(m.group("oprov"), ("ICP",), _squash(m.group("oserial")), True)
    cats = tuple(_squash(c).upper() for c in re.split(r"[.·]", m.group("cats")))
    return LicenceNumber(m.group("prov") or "", cats, _squash(m.group("serial")))


@dataclass(frozen=True)
class NumberMatch:
    number: LicenceNumber
    start: int
    end: int
    raw: str


def find_numbers(text: str, *, typos: bool = False) -> Iterator[NumberMatch]:
    """Every licence number in already-:func:`normalise`d text, with its span.

    With ``typos`` (pages, not documents), a serial with one or two extra digits glued on is
    found too, so the check can call it a near miss of the expected number.
    """
    scan = _SCAN_LONG_RE if typos else _SCAN_RE
    for m in scan.finditer(text):
        if m.lastgroup != "cats":  # not a chain without a serial
            yield NumberMatch(_from_match(m), m.start(), m.end(), m.group(0))


def parse_number(text: str) -> LicenceNumber:
    """The number written in ``text`` (and nothing else), or :class:`InvalidLicenceNumber`."""
    m = _FULL_RE.fullmatch(normalise(text).replace("**", ""))
    if not m:
        raise InvalidLicenceNumber(
            f"{text!r} is not a licence number (expected e.g. 京B2-20252223, B2-20180123, "
            "A2.B1.B2-20090003 or 京ICP证030173号)"
        )
    return _from_match(m)


def canonical(text: str) -> str:
    return parse_number(text).canonical


def edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: a transposition of neighbours counts as one edit."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def is_near_miss(shown: str, expected: str) -> bool:
    """A typo of the expected number (≤ 2 edits), not someone else's number."""
    return shown != expected and edit_distance(shown, expected) <= 2
