"""Waivers: a known finding on a host stops alarming until an agreed date (a rectification
notice's deadline), while the finding itself stays in ``checks``. Waivers and their events are
append-only (m006's triggers): adding and revoking are ``waiver_events`` rows with who, when and
why, so an auditor reads the whole trail. No click here: ``icpwatch waive`` sits on top.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlite_utils import Database

from crawler.licences.domains import InvalidDomain, normalise_host
from crawler.store.database import now, transaction

ACTIVE, EXPIRED, REVOKED = "active", "expired", "revoked"
STATES = (ACTIVE, EXPIRED, REVOKED)
ADD, REVOKE = "add", "revoke"


class WaiverError(ValueError):
    """A waiver that cannot be added or revoked; the message names the value at fault."""


@dataclass(frozen=True)
class Waiver:
    """One waiver with its revocation (if any). ``until`` is an ISO date, inclusive: the waiver
    is active through that (local) day, like a licence's expiry day."""

    id: int
    host: str
    license_no: str | None
    verdict: str | None
    rule: str | None
    until: str
    reason: str
    by: str
    created_at: str
    revoked_at: str | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None

    def state(self, today: date) -> str:
        """``revoked`` wins; otherwise ``expired`` the day after ``until``, else ``active``."""
        if self.revoked_at is not None:
            return REVOKED
        return EXPIRED if today > date.fromisoformat(self.until) else ACTIVE

    def covers(
        self, host: str | None, license_no: str, verdict: str | None, failed: Collection[str]
    ) -> bool:
        """Whether this waiver is about a report row: same host, its licence (or any), and its
        verdict, one of its failed rules, or (neither named) anything found on the host."""
        return (
            host == self.host
            and self.license_no in (None, license_no)
            and (
                (self.verdict is None and self.rule is None)
                or (self.verdict is not None and self.verdict == verdict)
                or (self.rule is not None and self.rule in failed)
            )
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> dict[str, Any]:
        """What a report shows next to a waived row (JSON ``waivers[]``, docs/queries.md)."""
        return {
            "id": self.id,
            "verdict": self.verdict,
            "rule": self.rule,
            "until": self.until,
            "reason": self.reason,
            "by": self.by,
        }


def parse_until(text: str) -> date:
    """``--until``: an ISO date (``2026-06-30``)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise WaiverError(f"{text!r} is not a date: expected YYYY-MM-DD") from None


def normalised_host(token: str) -> str:
    """HOST as ``domains`` stores it (no scheme, ``www.``, case or port; IDN as punycode)."""
    try:
        return normalise_host(token).host
    except InvalidDomain as exc:
        raise WaiverError(str(exc)) from None


def add_waiver(
    db: Database,
    host: str,
    *,
    until: date,
    reason: str,
    by: str,
    today: date,
    license_no: str | None = None,
    verdict: str | None = None,
    rule: str | None = None,
) -> Waiver:
    """Store a waiver and its ``add`` event in one transaction. ``verdict`` and ``rule`` are
    checked by the caller against the report's verdicts and the rule registry; ``until`` may
    be today (active through today) but not earlier."""
    if verdict and rule:
        raise WaiverError("give a verdict or a rule code, not both")
    if not reason.strip():
        raise WaiverError("a waiver needs a reason")
    if not by.strip():
        raise WaiverError("a waiver needs a name in --by")
    host = normalised_host(host)
    if until < today:
        raise WaiverError(f"{until.isoformat()} is in the past (today is {today.isoformat()})")
    if license_no and not db["licenses"].count_where("license_no = ?", [license_no]):
        raise WaiverError(f"licence {license_no} is not in the database")
    stamp = now()
    with transaction(db):
        waiver_id = db.execute(
            "INSERT INTO waivers (host, license_no, verdict, rule, until, reason, by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [host, license_no, verdict, rule, until.isoformat(), reason, by, stamp],
        ).lastrowid
        _event(db, waiver_id, ADD, stamp, by, reason)
    return get_waiver(db, waiver_id)


def revoke_waiver(db: Database, waiver_id: int, *, reason: str, by: str) -> Waiver:
    """End a waiver early: a ``revoke`` event (the waiver row itself never changes)."""
    if not reason.strip():
        raise WaiverError("a revocation needs a reason")
    if not by.strip():
        raise WaiverError("a revocation needs a name in --by")
    with transaction(db):
        waiver = get_waiver(db, waiver_id)
        if waiver.revoked_at is not None:
            raise WaiverError(f"waiver {waiver_id} was already revoked on {waiver.revoked_at}")
        _event(db, waiver_id, REVOKE, now(), by, reason)
    return get_waiver(db, waiver_id)


def _event(db: Database, waiver_id: int, action: str, at: str, by: str, reason: str) -> None:
    db.execute(
        "INSERT INTO waiver_events (waiver_id, action, at, by, reason) VALUES (?, ?, ?, ?, ?)",
        [waiver_id, action, at, by, reason],
    )


_SELECT = """SELECT w.id, w.host, w.license_no, w.verdict, w.rule, w.until, w.reason, w.by,
       w.created_at, r.at, r.by, r.reason
  FROM waivers w
  LEFT JOIN waiver_events r ON r.waiver_id = w.id AND r.action = 'revoke'"""


def list_waivers(db: Database) -> list[Waiver]:
    """Every waiver, oldest first, with its revocation."""
    return [Waiver(*row) for row in db.execute(f"{_SELECT} ORDER BY w.id")]


def get_waiver(db: Database, waiver_id: int) -> Waiver:
    row = db.execute(f"{_SELECT} WHERE w.id = ?", [waiver_id]).fetchone()
    if row is None:
        raise WaiverError(f"there is no waiver {waiver_id}")
    return Waiver(*row)


def active_waivers(db: Database, today: date) -> list[Waiver]:
    """The waivers in force on ``today`` (the ``active_waivers`` view, for any day)."""
    return [w for w in list_waivers(db) if w.state(today) == ACTIVE]
