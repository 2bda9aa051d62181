"""Footer rules with stable codes (LIC001, ICP001 …): the public interface reports, waivers,
``--fail-on`` and scripts name. Shaped like flake8's plugins: one small module a rule, one
record type (:class:`RuleResult`), one registry (:data:`RULES`). Each rule reads the facts the
check computed once (the :class:`~crawler.check.finding.Finding` and the tier-1 scan's
:class:`PageFacts`) and what the registry says the site should show (:class:`Expected`); no
rule adds a whole-page pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crawler.check.finding import Finding

PASS, FAIL, NOT_APPLICABLE, UNKNOWN = "pass", "fail", "not_applicable", "unknown"
STATUSES = (PASS, FAIL, NOT_APPLICABLE, UNKNOWN)
#: Rules a crawl leaves off unless a licence switches them on (``icpwatch rules on N CODE``):
#: 《电子商务法》 art. 15 binds e-commerce operators only, and BIZ001's needles are a third of
#: the check's time on a typical page.
DEFAULT_OFF = frozenset({"BIZ001"})
OFF = "switched off for this licence"
OFF_BY_DEFAULT = "off unless switched on for the licence (icpwatch rules on …)"


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One rule's answer for one page."""

    code: str  # e.g. ICP002
    status: str  # one of STATUSES
    message: str  # one line a compliance officer can act on
    evidence: tuple[str, ...] = ()  # what on the page led there (snippets, hrefs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "status": self.status,
            "message": self.message,
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True, slots=True)
class Expected:
    """What the site should show, from the registry export (``icpwatch filings import``)."""

    filing: str | None = None  # ICP filing number, e.g. 京ICP备12345678号
    police: str | None = None  # public-security filing, e.g. 京公网安备11010502000001号


@dataclass(frozen=True, slots=True)
class PageFacts:
    """What rules read besides the Finding, gathered by the check's own passes."""

    links: tuple[str, ...] = ()  # hrefs to filing / licence registries found on the page
    image_filings: tuple[str, ...] = ()  # ICP filings only in an <img> alt/title
    image_police: tuple[str, ...] = ()  # police filings only in an <img> alt/title
    business_licence: tuple[str, ...] = ()  # 营业执照 text, 亮照 badge link, licence image


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    title: str  # what it checks, one line (docs/finding-json.md's rules table)
    regulation: str  # where the obligation comes from
    check: Callable[[Finding, PageFacts, Expected], RuleResult]


# The rule modules import the types above from this package, so they come after them.
from crawler.check.rules import (  # noqa: E402
    biz001,
    icp001,
    icp002,
    icp003,
    lic001,
    psb001,
    psb002,
    psb003,
)

#: Every rule, in report order; filled by the rule modules (crawler/check/rules/*.py).
RULES: tuple[Rule, ...] = (
    lic001.RULE,
    icp001.RULE,
    icp002.RULE,
    icp003.RULE,
    psb001.RULE,
    psb002.RULE,
    psb003.RULE,
    biz001.RULE,
)


def apply_rules(
    finding: Finding, facts: PageFacts, expected: Expected, off: Iterable[str] = ()
) -> tuple[RuleResult, ...]:
    """Every rule's result; a rule switched off for the licence is ``not_applicable``."""
    skip = frozenset(off)
    return tuple(
        RuleResult(r.code, NOT_APPLICABLE, OFF_BY_DEFAULT if r.code in DEFAULT_OFF else OFF)
        if r.code in skip
        else r.check(finding, facts, expected)
        for r in RULES
    )
