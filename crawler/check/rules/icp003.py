"""ICP003: the ICP filing shown is the one the registry export says the site has.

Compared on province + digits: the 号, spaces, width and the site suffix (-1, one filing covers
several sites) do not identify a filing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.check.finding import Verdict
from crawler.check.rules import FAIL, PASS, UNKNOWN, Expected, PageFacts, Rule, RuleResult
from crawler.check.rules.common import filing_key

if TYPE_CHECKING:
    from crawler.check.finding import Finding

CODE = "ICP003"


def check(finding: Finding, facts: PageFacts, expected: Expected) -> RuleResult:
    if expected.filing is None:
        return RuleResult(CODE, UNKNOWN, "no expected ICP filing for this site to compare with")
    want = filing_key(expected.filing)
    if want is None:
        return RuleResult(
            CODE, UNKNOWN, f"the expected filing {expected.filing!r} is not an ICP filing number"
        )
    shown = finding.filings + facts.image_filings
    same = [f for f in shown if filing_key(f) == want]
    if same:
        return RuleResult(CODE, PASS, f"shows the expected filing {expected.filing}", tuple(same))
    if not shown:
        if finding.verdict == Verdict.NEEDS_RENDER:
            return RuleResult(
                CODE, UNKNOWN, "no ICP filing in the static page; scripts may render one"
            )
        return RuleResult(CODE, FAIL, f"no ICP filing shown; the registry says {expected.filing}")
    return RuleResult(
        CODE,
        FAIL,
        f"shows {', '.join(shown)}; the registry says {expected.filing}",
        tuple(shown[:3]),
    )


RULE = Rule(
    CODE,
    "the ICP filing shown is the site's filing in the registry export (icpwatch filings)",
    "《非经营性互联网信息服务备案管理办法》 art. 13",
    check,
)
