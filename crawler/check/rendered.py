"""The footer check's verdict decided by what a browser measured on the rendered page.

The static check guesses visibility from markup (comments, scripts, inline ``display:none``);
the browser knows: box size, computed display/visibility/opacity, clipping, font size, colour
against background, and where the element sits on the full page. This module is pure: the
browser's measurements come in as :class:`ElementFacts` keyed by :func:`evidence_key`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from crawler.check.finding import (
    BODY,
    FOOTER,
    Finding,
    NumberEvidence,
    Verdict,
)
from crawler.check.outcome import Outcome, host_of, is_offsite
from crawler.fetch.addresses import SHOWN_URL, literal_refusal


@dataclass(frozen=True, slots=True)
class ElementFacts:
    """What the browser measured for one evidence element (see crawler/render/rendering.py)."""

    found: bool
    visible: bool = False
    reason: str | None = None  # why not visible: display:none, opacity:0, clipped, font 4px …
    in_footer: bool = False  # inside a footer-like element or in the bottom quarter of the page


def evidence_key(evidence: NumberEvidence) -> str:
    """How the browser's measurements are keyed: two numbers may share one element."""
    return f"{evidence.path}|{evidence.raw}"


def _judged(evidence: NumberEvidence, facts: ElementFacts | None) -> NumberEvidence:
    """Evidence re-labelled by the browser; an element it could not find keeps its static view."""
    if facts is None or not facts.found:
        return evidence
    return replace(
        evidence,
        visible=facts.visible,
        region=FOOTER if facts.in_footer else BODY,
        where=evidence.where if facts.visible else (facts.reason or evidence.where),
    )


def apply_browser(finding: Finding, facts: dict[str, ElementFacts]) -> Finding:
    """The verdict for the rendered page: the same precedence as the static check, but with the
    browser's visibility and region; a rendered page never ``needs_render``."""
    evidence = [
        _judged(e, facts.get(evidence_key(e))) for e in (*finding.displayed, *finding.hidden)
    ]
    shown = tuple(e for e in evidence if e.visible)
    unseen = tuple(e for e in evidence if not e.visible)
    expected_shown = [e for e in shown if e.matches_expected]
    others = [e for e in shown if not e.matches_expected]
    notes = [
        f"rendered: {e.raw} not visible ({e.where})"
        for e in unseen
        if e.matches_expected and facts.get(evidence_key(e), ElementFacts(False)).found
    ]
    near_miss = False
    if any(e.region == FOOTER for e in expected_shown):
        verdict = Verdict.COMPLIANT
    elif expected_shown:
        verdict = Verdict.DISPLAYED_ELSEWHERE
    elif any(e.matches_expected for e in unseen):
        verdict = Verdict.HIDDEN
    elif others:
        verdict = Verdict.WRONG_NUMBER
        near_miss = any(e.near_miss for e in others)
    elif finding.label_links:
        verdict = Verdict.LABEL_ONLY
    else:
        verdict = Verdict.MISSING
    return replace(
        finding,
        verdict=verdict,
        near_miss=near_miss,
        displayed=shown,
        hidden=unseen,
        notes=(*finding.notes, *notes),
    )


def navigated_away(
    static: Outcome, asked: str, landed: str, licensed_hosts: frozenset[str]
) -> Outcome | None:
    """The outcome when a script took the rendered page off the licence's hosts (``location =
    'http://other.example/'``), else ``None``: what was rendered there is another site's, so
    neither its finding nor its screenshot is filed as the licensee's. The static verdict (the
    licensee's page as fetched) stands, with where the page went and why it was not judged."""
    failed = landed.startswith("chrome-error:")
    if not failed and (host_of(landed) == host_of(asked) or not is_offsite(landed, licensed_hosts)):
        return None
    if failed:
        return replace(static, render_error="rendered page navigated to a page that did not load")
    host = urlsplit(landed).hostname or "(none)"
    shown = landed if len(landed) <= SHOWN_URL else landed[:SHOWN_URL] + "…"
    refusal = literal_refusal(host)
    why = f"; refused: {refusal.kind}" if refusal else ""
    return replace(
        static,
        render_error=f"rendered page navigated to other host {host} ({shown}){why}",
        final_url=landed,
        offsite_redirect=True,
    )
