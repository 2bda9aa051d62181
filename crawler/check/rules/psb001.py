"""PSB001: a public-security filing number (京公网安备11010502000001号) shown on the page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.check.finding import Verdict
from crawler.check.rules import FAIL, PASS, UNKNOWN, Expected, PageFacts, Rule, RuleResult

if TYPE_CHECKING:
    from crawler.check.finding import Finding

CODE = "PSB001"
#: Where the display duty comes from (shared by the PSB rules).
REGULATION = (
    "public-security filing rules: 《计算机信息网络国际联网安全保护管理办法》 art. 12 (filing) and "
    "the national filing platform's display requirement"
)


def check(finding: Finding, facts: PageFacts, expected: Expected) -> RuleResult:
    if finding.police_filings:
        return RuleResult(
            CODE,
            PASS,
            "public-security filing number shown (visible text; placement not checked)",
            finding.police_filings[:3],
        )
    if facts.image_police:
        return RuleResult(
            CODE,
            UNKNOWN,
            "public-security filing only in an image's alt/title: the image may show it, "
            "not verified",
            facts.image_police[:3],
        )
    if finding.verdict == Verdict.NEEDS_RENDER:
        return RuleResult(
            CODE, UNKNOWN, "no public-security filing in the static page; scripts may render one"
        )
    return RuleResult(CODE, FAIL, "no public-security filing number (…公网安备…号) shown")


RULE = Rule(
    CODE,
    "a public-security filing number (京公网安备11010502000001号) is shown",
    REGULATION,
    check,
)
