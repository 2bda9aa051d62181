"""PSB003: the public-security filing shown is the one the registry export says the site has
(province + digits, like ICP003)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.check.finding import Verdict
from crawler.check.rules import FAIL, PASS, UNKNOWN, Expected, PageFacts, Rule, RuleResult
from crawler.check.rules.common import police_key
from crawler.check.rules.psb001 import REGULATION

if TYPE_CHECKING:
    from crawler.check.finding import Finding

CODE = "PSB003"


def check(finding: Finding, facts: PageFacts, expected: Expected) -> RuleResult:
    if expected.police is None:
        return RuleResult(
            CODE, UNKNOWN, "no expected public-security filing for this site to compare with"
        )
    want = police_key(expected.police)
    if want is None:
        return RuleResult(
            CODE,
            UNKNOWN,
            f"the expected filing {expected.police!r} is not a public-security filing number",
        )
    shown = finding.police_filings + facts.image_police
    same = [f for f in shown if police_key(f) == want]
    if same:
        return RuleResult(CODE, PASS, f"shows the expected filing {expected.police}", tuple(same))
    if not shown:
        if finding.verdict == Verdict.NEEDS_RENDER:
            return RuleResult(
                CODE,
                UNKNOWN,
                "no public-security filing in the static page; scripts may render one",
            )
        return RuleResult(
            CODE, FAIL, f"no public-security filing shown; the registry says {expected.police}"
        )
    return RuleResult(
        CODE,
        FAIL,
        f"shows {', '.join(shown)}; the registry says {expected.police}",
        tuple(shown[:3]),
    )


RULE = Rule(
    CODE,
    "the public-security filing shown is the site's filing in the registry export",
    REGULATION,
    check,
)
