"""The footer check's answer: one :class:`Finding` per page, with the evidence for each number and
label it saw (the documented JSON, docs/finding-json.md), and the limits every tier keeps to.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the rules read Findings; a Finding only carries their records
    from crawler.check.rules import RuleResult


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
#: Text smaller than this is not "displayed" (px, computed font size): for the browser's
#: measurements (rendered.py) and the styles that may hide a number (styles.py).
MIN_FONT_PX = 9.0
#: WCAG contrast ratio below which text does not stand out from its background.
MIN_CONTRAST = 1.5
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
    rules: tuple[RuleResult, ...] = ()  # every rule's result (crawler/check/rules), in order

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
            "rules": [r.to_dict() for r in self.rules],
        }
