"""ICP001: an ICP filing number (京ICP备12345678号) shown on the page.

The byte scan finds filings in the visible page text but does not place them (the footer region
is decided only for licence numbers, in the parse), so the rule passes wherever the filing is
visible and says so: filings sit in the footer on virtually every page that shows one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.check.finding import Verdict
from crawler.check.rules import FAIL, PASS, UNKNOWN, Expected, PageFacts, Rule, RuleResult

if TYPE_CHECKING:
    from crawler.check.finding import Finding

CODE = "ICP001"


def check(finding: Finding, facts: PageFacts, expected: Expected) -> RuleResult:
    if finding.filings:
        return RuleResult(
            CODE,
            PASS,
            "ICP filing number shown (visible text; placement at the bottom not checked)",
            finding.filings[:3],
        )
    if facts.image_filings:
        return RuleResult(
            CODE,
            UNKNOWN,
            "ICP filing number only in an image's alt/title: the image may show it, not verified",
            facts.image_filings[:3],
        )
    if finding.verdict == Verdict.NEEDS_RENDER:
        return RuleResult(
            CODE, UNKNOWN, "no ICP filing number in the static page; scripts may render one"
        )
    return RuleResult(CODE, FAIL, "no ICP filing number (…ICP备…号) shown")


RULE = Rule(
    CODE,
    "an ICP filing number (京ICP备12345678号) is shown at the page bottom",
    "《非经营性互联网信息服务备案管理办法》 art. 13",
    check,
)
