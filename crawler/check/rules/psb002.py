"""PSB002: the public-security filing linked to the filing system: beian.mps.gov.cn, or the older
beian.gov.cn that many pages still link and that still serves the record."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.check.rules import (
    FAIL,
    NOT_APPLICABLE,
    PASS,
    Expected,
    PageFacts,
    Rule,
    RuleResult,
)
from crawler.check.rules.common import MPS_HOST, OLD_MPS_HOST, links_to
from crawler.check.rules.psb001 import REGULATION

if TYPE_CHECKING:
    from crawler.check.finding import Finding

CODE = "PSB002"


def check(finding: Finding, facts: PageFacts, expected: Expected) -> RuleResult:
    if not (finding.police_filings or facts.image_police):
        return RuleResult(CODE, NOT_APPLICABLE, "no public-security filing shown")
    current = links_to(facts.links, MPS_HOST)
    if current:
        return RuleResult(CODE, PASS, f"police filing linked to {MPS_HOST}", tuple(current[:3]))
    older = links_to(facts.links, OLD_MPS_HOST)
    if older:
        return RuleResult(
            CODE,
            PASS,
            f"police filing linked to {OLD_MPS_HOST} (the older address)",
            tuple(older[:3]),
        )
    return RuleResult(
        CODE, FAIL, f"public-security filing shown without a link to https://{MPS_HOST}"
    )


RULE = Rule(
    CODE,
    "the public-security filing links to beian.mps.gov.cn (or the older beian.gov.cn)",
    REGULATION,
    check,
)
