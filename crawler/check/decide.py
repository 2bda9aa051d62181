"""The footer check: does a saved page display licence number N as clause 2 requires, and where?

Pure logic, no Scrapy: :func:`check_page` takes the page (bytes or text) and the expected number
and returns a frozen :class:`~crawler.check.finding.Finding`. It runs once per crawled page, so it
is built in two tiers (see docs/finding-json.md): a byte scan for candidates
(:mod:`crawler.check.scan`), then, only when there is one, a parse of the blocks around them
(:mod:`crawler.check.parse`). This module weighs what they found into one verdict.

A regex scan of a whole page costs ~3 ns a byte, a literal scan ~0.3 ns: the design keeps the
number of whole-page passes to a handful of literal ones (benchmarks/check_speed.py).
"""

from __future__ import annotations

import codecs
import html
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any
from urllib.parse import urljoin

from crawler.check.decode import decode_page
from crawler.check.finding import (
    BODY,
    BOTTOM_CHARS,
    BOTTOM_FRACTION,
    FOOTER,
    Finding,
    LabelEvidence,
    NumberEvidence,
    Verdict,
)
from crawler.check.page_bottom import PageBottom
from crawler.check.parse import (
    LabelHit,
    Occurrence,
    mark_candidates,
    parse_marked,
    text_fractions,
)
from crawler.check.rule_needles import rule_needles
from crawler.check.rules import Expected, PageFacts, apply_rules
from crawler.check.scan import PageScan, RawPage, scan_page, shows_company
from crawler.check.signals import _render_signals
from crawler.licences.numbers import (
    LicenceNumber,
    is_near_miss,
    parse_number,
)


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


def _base_url(raw: RawPage, url: str | None) -> str | None:
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
    expected_filing: Expected | None = None,
    rules_off: frozenset[str] | Iterable[str] = (),
) -> Finding:
    """Check one page for the expected licence number; see docs/finding-json.md for the rules.

    ``expected_filing`` is what the registry says the site shows (for ICP003 / PSB003);
    ``rules_off`` names rules switched off for the licence (``not_applicable``).

    Raises :class:`crawler.licences.numbers.InvalidLicenceNumber` if ``expected`` is not a number.
    """
    want = expected if isinstance(expected, LicenceNumber) else parse_number(expected)
    text, codec, notes = decode_page(page, encoding)
    if codec == "utf-8" and isinstance(page, bytes) and "\ufffd" not in text:
        b = page[3:] if page.startswith(codecs.BOM_UTF8) else page
    else:
        b = text.encode("utf-8", "replace")
    raw = RawPage(b)
    scan = scan_page(raw)

    occurrences: list[Occurrence] = []
    labels: list[LabelHit] = []
    tree = None
    marked = b""
    if scan.marks:
        marked, kinds, elements = mark_candidates(raw, scan.marks)
        parsed = parse_marked(marked, kinds, elements)
        if parsed is not None:
            occurrences, labels, tree = parsed.occurrences, parsed.labels, parsed.tree
            raw.notes += parsed.notes

    base = _base_url(raw, url) if labels else url
    fractions: dict[int, tuple[float, int]] | None = None
    bottom: PageBottom | None = None

    def region(footer: bool, marks: list[int], element: Any = None) -> str:
        """Footer by name or place; else bottom by text position; else in the page's last block."""
        nonlocal fractions, bottom
        if footer:
            return FOOTER
        if not marks and element is None:
            return BODY
        if fractions is None:
            fractions, total = text_fractions(marked)
            bottom = PageBottom(total)
        pos = [fractions[k] for k in marks if k in fractions]
        if pos:
            fraction, after = min(pos)
            if fraction >= BOTTOM_FRACTION or after <= BOTTOM_CHARS:
                return FOOTER
        if element is not None and bottom is not None and bottom(element, BOTTOM_CHARS):
            return FOOTER
        return BODY

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
            region=region(occ.footer, occ.marks, occ.element if occ.visible else None),
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
            region=region(lab.footer, lab.marks, lab.element),
            context=lab.context,
        )
        if (ev_l.text, ev_l.path) not in seen_labels:
            seen_labels.add((ev_l.text, ev_l.path))
            label_ev.append(ev_l)

    off = frozenset(rules_off)
    rule_needles(
        raw,
        scan,
        police=bool(scan.police or scan.image_police) and "PSB002" not in off,
        business="BIZ001" not in off,
    )
    company_shown = shows_company(raw, company) if company else None
    verdict, near, more = _decide(want, displayed, hidden, label_ev, scan, raw)
    notes += more + _dedupe(raw.notes)
    finding = Finding(
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
    facts = PageFacts(
        links=tuple(dict.fromkeys(scan.links)),
        image_filings=tuple(scan.image_filings),
        image_police=tuple(scan.image_police),
        business_licence=tuple(scan.business_licence),
    )
    rules = apply_rules(finding, facts, expected_filing or Expected(), off)
    return replace(finding, rules=rules)


_RENDERABLE = frozenset({"script", "template"})


def _decide(
    want: LicenceNumber,
    displayed: list[NumberEvidence],
    hidden: list[NumberEvidence],
    labels: list[LabelEvidence],
    scan: PageScan,
    raw: RawPage,
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
