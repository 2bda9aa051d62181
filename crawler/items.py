"""The item a homepage check yields: one future ``checks`` row (see docs/schema.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from crawler.check.outcome import Outcome
from crawler.store.database import now
from crawler.store.runs import Target


@dataclass
class CheckItem:
    domain_id: int
    license_no: str
    host: str
    verdict: str
    near_miss: int
    offsite_redirect: int
    start_url: str
    final_url: str | None
    http_status: int | None
    error: str | None
    attempts: str
    displayed: str
    evidence_snippet: str | None
    evidence_path: str | None
    evidence: str
    filings: str
    police_filings: str
    miit_link: int | None
    company_shown: int | None
    notes: str
    content_sha256: str | None
    size: int | None
    encoding: str | None
    elapsed_ms: int
    checked_at: str
    rendered: int = 0
    static_verdict: str | None = None
    render_error: str | None = None
    render_reason: str | None = None
    screenshot_path: str | None = None
    screenshot_size: int | None = None
    screenshot_sha256: str | None = None
    rules: str = "[]"  # JSON list of the rule records (code, status, message, evidence)

    def row(self) -> dict[str, Any]:
        """The ``checks`` row: every field is a flat value, so no deep copy (``asdict``)."""
        return dict(self.__dict__)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def check_item(
    target: Target, outcome: Outcome, attempts: list[dict[str, Any]], elapsed_ms: int
) -> CheckItem:
    """Flatten an outcome into the row; the Finding's own JSON keeps every detail."""
    finding = outcome.finding.to_dict() if outcome.finding else {}
    shot = outcome.screenshot
    displayed = finding.get("displayed", [])
    shown = next((e for e in displayed if e["matches_expected"]), None)
    first = shown or (displayed[0] if displayed else None)
    return CheckItem(
        domain_id=target.domain_id,
        license_no=target.license_no,
        host=target.host,
        verdict=outcome.verdict,
        near_miss=int(bool(finding.get("near_miss"))),
        offsite_redirect=int(outcome.offsite_redirect),
        start_url=attempts[0]["url"] if attempts else f"https://{target.host}/",
        final_url=outcome.final_url,
        http_status=outcome.http_status,
        error=outcome.error,
        attempts=_json(attempts),
        displayed=_json(sorted({e["number"] for e in displayed})),
        evidence_snippet=first["context"] if first else None,
        evidence_path=first["path"] if first else None,
        evidence=_json(
            {
                "displayed": displayed,
                "hidden": finding.get("hidden", []),
                "label_links": finding.get("label_links", []),
                **({"screenshot_box": list(shot.box)} if shot else {}),
            }
        ),
        filings=_json(finding.get("filings", [])),
        police_filings=_json(finding.get("police_filings", [])),
        miit_link=int(finding["miit_link"]) if "miit_link" in finding else None,
        # None when no company was given (``icpwatch check`` without --company, a licence whose
        # scan has no readable 公司名称)
        company_shown=None
        if finding.get("company_shown") is None
        else int(finding["company_shown"]),
        notes=_json(finding.get("notes", [])),
        content_sha256=outcome.content_sha256,
        size=outcome.size,
        encoding=finding.get("encoding"),
        elapsed_ms=elapsed_ms,
        checked_at=now(),
        rendered=int(outcome.rendered),
        static_verdict=outcome.static_verdict or outcome.verdict,
        render_error=outcome.render_error,
        render_reason=outcome.render_reason,
        screenshot_path=shot.path if shot else None,
        screenshot_size=shot.size if shot else None,
        screenshot_sha256=shot.sha256 if shot else None,
        rules=_json(finding.get("rules", [])),
    )
