"""Verdicts from the browser's measurements, and when a page is worth rendering."""

from __future__ import annotations

import pytest

from crawler.check.decide import check_page
from crawler.check.rendered import ElementFacts, apply_browser, evidence_key

EXPECTED = "京B2-20252223"


def page(footer: str, main: str = "<p>新闻</p>") -> str:
    return f"<html><body><main>{main * 30}</main><footer>{footer}</footer></body></html>"


def finding_with(html: str):
    return check_page(html, EXPECTED)


def facts_for(finding, **by_number: ElementFacts) -> dict[str, ElementFacts]:
    return {
        evidence_key(e): by_number[e.number.replace("-", "_")]
        for e in (*finding.displayed, *finding.hidden)
        if e.number.replace("-", "_") in by_number
    }


SEEN_FOOTER = ElementFacts(found=True, visible=True, in_footer=True)
SEEN_BODY = ElementFacts(found=True, visible=True, in_footer=False)


@pytest.mark.parametrize(
    ("html", "facts", "verdict"),
    [
        # static compliant, the browser agrees
        (page(EXPECTED), {"京B2_20252223": SEEN_FOOTER}, "compliant"),
        # a stylesheet hid the footer
        (
            page(EXPECTED),
            {"京B2_20252223": ElementFacts(True, False, "display:none", True)},
            "hidden",
        ),
        # white on white, 4 px
        (
            page(EXPECTED),
            {"京B2_20252223": ElementFacts(True, False, "contrast 1.00", True)},
            "hidden",
        ),
        (page(EXPECTED), {"京B2_20252223": ElementFacts(True, False, "font 4px", True)}, "hidden"),
        # the "footer" sits at the top of a long page
        (page(EXPECTED), {"京B2_20252223": SEEN_BODY}, "displayed_elsewhere"),
        # statically hidden (display:none inline) but the browser shows it (a script revealed it)
        (
            page(f'<span style="display:none">{EXPECTED}</span>'),
            {"京B2_20252223": SEEN_FOOTER},
            "compliant",
        ),
        # someone else's number visible, ours hidden
        (
            page(f"沪B2-20170001 <span>{EXPECTED}</span>"),
            {
                "沪B2_20170001": SEEN_FOOTER,
                "京B2_20252223": ElementFacts(True, False, "clipped", True),
            },
            "hidden",
        ),
        (page("沪B2-20170001"), {"沪B2_20170001": SEEN_FOOTER}, "wrong_number"),
        # the browser could not find the element: the static view stands
        (page(EXPECTED), {"京B2_20252223": ElementFacts(found=False)}, "compliant"),
        # nothing at all; an app shell rendered to nothing is missing, not needs_render
        (page("© 2025"), {}, "missing"),
        (
            '<html><body><div id="app"></div><script src="/app.js"></script></body></html>',
            {},
            "missing",
        ),
        (page('<a href="/lic.png">增值电信业务经营许可证</a>'), {}, "label_only"),
    ],
)
def test_apply_browser(html: str, facts: dict, verdict: str) -> None:
    finding = finding_with(html)
    result = apply_browser(finding, facts_for(finding, **facts))
    assert result.verdict == verdict
    assert result.verdict != "needs_render"


def test_browser_relabels_evidence_and_notes_why() -> None:
    finding = finding_with(page(EXPECTED))
    result = apply_browser(
        finding, facts_for(finding, 京B2_20252223=ElementFacts(True, False, "font 4px", True))
    )
    (unseen,) = result.hidden
    assert (unseen.visible, unseen.where) == (False, "font 4px")
    assert result.displayed == ()
    assert any("font 4px" in n for n in result.notes)


def test_near_miss_survives_rendering() -> None:
    finding = finding_with(page("京B2-20252232"))
    result = apply_browser(finding, facts_for(finding, 京B2_20252232=SEEN_FOOTER))
    assert (result.verdict, result.near_miss) == ("wrong_number", True)
