"""ICP002: the ICP filing number linked to the MIIT filing system, https://beian.miit.gov.cn.

Links to the retired hosts (miitbeian.gov.cn, miibeian.gov.cn) fail: they no longer lead to the
filing, and hosting providers warn sites about them. A link anywhere on the page counts (outside
comments and scripts); the rule does not require it to wrap the number.
"""

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
from crawler.check.rules.common import MIIT_HOST, RETIRED_MIIT_HOSTS, host, links_to

if TYPE_CHECKING:
    from crawler.check.finding import Finding

CODE = "ICP002"


def check(finding: Finding, facts: PageFacts, expected: Expected) -> RuleResult:
    if not (finding.filings or facts.image_filings):
        return RuleResult(CODE, NOT_APPLICABLE, "no ICP filing number shown")
    retired = links_to(facts.links, *RETIRED_MIIT_HOSTS)
    if retired:
        hosts = ", ".join(dict.fromkeys(host(h) for h in retired))
        return RuleResult(
            CODE,
            FAIL,
            f"links the retired filing-system host {hosts}: link https://{MIIT_HOST} instead",
            tuple(retired[:3]),
        )
    current = links_to(facts.links, MIIT_HOST)
    if current:
        return RuleResult(CODE, PASS, f"filing number linked to {MIIT_HOST}", tuple(current[:3]))
    return RuleResult(CODE, FAIL, f"ICP filing number shown without a link to https://{MIIT_HOST}")


RULE = Rule(
    CODE,
    "the ICP filing number links to https://beian.miit.gov.cn (not a retired host)",
    "《非经营性互联网信息服务备案管理办法》 art. 13",
    check,
)
