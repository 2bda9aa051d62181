"""When to render a page in Chromium: only where a browser could change the verdict.

Almost every real homepage runs scripts, so "missing and has a script" renders nearly every
non-compliant page, and the browser becomes the whole bill of a crawl. A browser can change the
verdict of a page whose footer is built, filled or moved by scripts; it cannot add a licence
number to a complete static footer that no script touches. The decision uses what the static
check already found (its verdict, filings, render signals) and one bounded look at the page's
scripts; it is pure, and its reason is stored with the check (``checks.render_reason``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from crawler.check.finding import Finding, Verdict
from crawler.check.styles import SHOWN, stylesheet_risk

_SCRIPT = re.compile(rb"<script\b", re.IGNORECASE)
#: DOM writes a script can put a licence line with (JavaScript is case-sensitive).
_WRITES = (b"appendChild", b"innerHTML", b"insertAdjacentHTML", b"document.write", b"textContent")
#: ...what, near such a write, names the page bottom as its target, and the licence line it
#: would write (the label, a category, ICP): a footer feedback box or ad slot is no licence.
_FOOTER_TARGET = re.compile(rb"foot|copyright|beian", re.IGNORECASE)
_LICENCE_LINE = re.compile("许可证|ICP|[ABab][1-4]-".encode())
AROUND = 200  # bytes either side of a write searched for both
#: A static footer a reader would recognise: © / 版权所有 / copyright, besides filing numbers.
_COPYRIGHT = ("©".encode(), b"&copy;", "版权所有".encode(), b"opyright", b"OPYRIGHT")
MAX_WRITES = 64  # write sites looked at, per API


@dataclass(frozen=True, slots=True)
class RenderDecision:
    render: bool
    reason: str  # one line, stored as checks.render_reason


def wants_stylesheets(mode: str, finding: Finding | None) -> bool:
    """Whether the page's linked stylesheets should be fetched for :func:`render_decision`."""
    return mode == "auto" and finding is not None and finding.verdict in SHOWN


def render_decision(
    mode: str,
    finding: Finding | None,
    body: bytes,
    sheets: Sequence[tuple[str, bytes]] = (),
    page_styles: str | None = None,
) -> RenderDecision:
    """Render or not, and why: could a browser change this page's verdict? ``sheets`` are the
    page's linked stylesheets as (URL, body), fetched when :func:`wants_stylesheets`;
    ``page_styles`` is what the check worker found in the page's own styles
    (crawler/check/styles.py page_style_risk, ``Outcome.page_styles``)."""
    if finding is None:
        return RenderDecision(False, "no page to judge")
    if mode != "auto":
        return RenderDecision(mode == "always", f"--render {mode}")
    verdict = finding.verdict
    if verdict == Verdict.NEEDS_RENDER:  # the check's own signals: shell, scripted footer …
        return RenderDecision(True, "needs_render: " + _signal(finding))
    if verdict in SHOWN:
        hiding = page_styles or _sheets_hiding(sheets)
        if hiding:
            return RenderDecision(True, f"{verdict}: {hiding}")
    if verdict not in (Verdict.MISSING, Verdict.LABEL_ONLY):
        return RenderDecision(False, f"{verdict}: a browser adds no number to shown ones")
    if not _SCRIPT.search(body):
        return RenderDecision(False, f"{verdict}: no scripts, nothing could add the number")
    if verdict == Verdict.LABEL_ONLY:
        return RenderDecision(True, "label_only: a licence label without a number, scripts run")
    writer = _footer_write(body)
    if writer:
        return RenderDecision(True, f"missing: a script writes into the footer ({writer})")
    if finding.filings or finding.police_filings:
        return RenderDecision(
            False, "missing: the static footer is complete (filing shown), no script writes it"
        )
    if any(mark in body for mark in _COPYRIGHT):
        return RenderDecision(
            False, "missing: a static footer (copyright line) is shown, no script writes it"
        )
    return RenderDecision(True, "missing: no static footer evidence, scripts may build it")


def _sheets_hiding(sheets: Sequence[tuple[str, bytes]]) -> str | None:
    """Why one of the page's linked stylesheets may hide the footer, or None."""
    for url, css in sheets:
        rule = stylesheet_risk(css)
        if rule:
            return f"{url} may hide the footer ({rule})"
    return None


def _signal(finding: Finding) -> str:
    """The check's first render note, for the reason line."""
    return next((n for n in finding.notes if "render" in n or "script" in n), "render signals")


def _footer_write(body: bytes) -> str | None:
    """The first DOM write that puts a licence line into a footer-like target, e.g.
    ``s.textContent = '经营许可证：京B2-…'; querySelector('footer').appendChild(s)``: bounded
    windows around literal hits, so linear in the page."""
    for api in _WRITES:
        pos, seen = body.find(api), 0
        while pos != -1 and seen < MAX_WRITES:
            start, end = max(0, pos - AROUND), pos + AROUND
            if _FOOTER_TARGET.search(body, start, end) and _LICENCE_LINE.search(body, start, end):
                return api.decode()
            pos, seen = body.find(api, pos + 1), seen + 1
    return None
