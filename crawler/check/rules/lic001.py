"""LIC001: the licence number shown as clause 2 of the licence requires. The footer verdict is
the core of icpwatch; this rule only restates it as pass / fail, with the verdict in the message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.check.finding import FOOTER, Verdict
from crawler.check.rules import FAIL, PASS, UNKNOWN, Expected, PageFacts, Rule, RuleResult

if TYPE_CHECKING:
    from crawler.check.finding import Finding

CODE = "LIC001"


def check(finding: Finding, facts: PageFacts, expected: Expected) -> RuleResult:
    want = finding.expected
    mine = [e for e in finding.displayed if e.matches_expected]
    match finding.verdict:
        case Verdict.COMPLIANT:
            shown = [e for e in mine if e.region == FOOTER] or mine
            return RuleResult(
                CODE,
                PASS,
                f"licence number {want} shown in the footer / bottom region",
                tuple(f"{e.raw} at {e.path}" for e in shown[:3]),
            )
        case Verdict.NEEDS_RENDER:
            # Inconclusive, not missing: a browser must decide (docs/finding-json.md).
            return RuleResult(
                CODE, UNKNOWN, f"verdict needs_render: a browser must show whether {want} is there"
            )
        case Verdict.DISPLAYED_ELSEWHERE:
            message = f"shown, but not in the footer / bottom region: {want}"
            evidence = tuple(f"{e.raw} at {e.path}" for e in mine[:3])
        case Verdict.HIDDEN:
            mine_hidden = [e for e in finding.hidden if e.matches_expected]
            wheres = ", ".join(dict.fromkeys(e.where for e in mine_hidden))
            message = f"present only where visitors do not see it ({wheres}): {want}"
            evidence = tuple(f"{e.raw} in {e.where} at {e.path}" for e in mine_hidden[:3])
        case Verdict.WRONG_NUMBER:
            shown_numbers = ", ".join(dict.fromkeys(e.number for e in finding.displayed))
            kind = "a near miss (typo) of" if finding.near_miss else "not"
            message = f"shows {shown_numbers}: {kind} {want}"
            evidence = tuple(f"{e.raw} at {e.path}" for e in finding.displayed[:3])
        case Verdict.LABEL_ONLY:
            message = f"a licence label is shown without the number {want}"
            evidence = tuple(
                f"{lab.text} -> {lab.href or lab.src}" if lab.href or lab.src else lab.text
                for lab in finding.label_links[:3]
            )
        case _:
            message = f"licence number {want} is not on the page"
            evidence = ()
    return RuleResult(CODE, FAIL, f"verdict {finding.verdict}: {message}", evidence)


RULE = Rule(
    CODE,
    "the licence number (经营许可证编号) is displayed in the footer / bottom region",
    "licence clause 2; 《互联网信息服务管理办法》 art. 12",
    check,
)
