"""BIZ001: a business-licence (营业执照) badge or link shown, as e-commerce operators must.

Evidence, from literal needles in the byte scan: 营业执照 / 电子营业执照 in the page text or an
image's alt, a link to the 亮照 hosts (zzlz.gsxt.gov.cn, scjgj…, sgs.gov.cn, …aic.gov.cn), or an
image named yyzz / license. Whether the duty applies (only e-commerce) is a per-licence switch
(``icpwatch rules off N BIZ001``), not this rule's question.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.check.finding import Verdict
from crawler.check.rules import FAIL, PASS, UNKNOWN, Expected, PageFacts, Rule, RuleResult

if TYPE_CHECKING:
    from crawler.check.finding import Finding

CODE = "BIZ001"


def check(finding: Finding, facts: PageFacts, expected: Expected) -> RuleResult:
    if facts.business_licence:
        return RuleResult(
            CODE, PASS, "business-licence information shown", facts.business_licence[:3]
        )
    if finding.verdict == Verdict.NEEDS_RENDER:
        return RuleResult(
            CODE, UNKNOWN, "no business-licence badge in the static page; scripts may render one"
        )
    return RuleResult(CODE, FAIL, "no business-licence (营业执照) badge, link or image shown")


RULE = Rule(
    CODE,
    "a business-licence (营业执照) badge, link or image is shown",
    "《电子商务法》 art. 15",
    check,
)
