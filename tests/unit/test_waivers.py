"""Waivers: their state before, on and after the ``until`` day, which report rows they cover,
``--fail-on`` with and without them, revocation as an event, and the append-only tables."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from crawler.report.queries import failing, get_run, report_rows
from crawler.store.migrations import m006_waivers
from crawler.store.waivers import (
    ACTIVE,
    EXPIRED,
    REVOKED,
    Waiver,
    WaiverError,
    active_waivers,
    add_waiver,
    list_waivers,
    revoke_waiver,
)
from tests.unit.test_report import HU, JING, TODAY, A, B, C, add_run, build

UNTIL = date(2026, 3, 31)
DAY = timedelta(days=1)


def waiver(**fields: object) -> Waiver:
    base = {
        "id": 1,
        "host": A,
        "license_no": None,
        "verdict": None,
        "rule": None,
        "until": UNTIL.isoformat(),
        "reason": "notice sent",
        "by": "alice",
        "created_at": "2026-01-01T00:00:00+00:00",
    }
    return Waiver(**{**base, **fields})


@pytest.mark.parametrize(
    ("today", "revoked_at", "state"),
    [
        (UNTIL - DAY, None, ACTIVE),
        (UNTIL, None, ACTIVE),  # the until day itself is still waived
        (UNTIL + DAY, None, EXPIRED),
        (UNTIL - DAY, "2026-02-01T00:00:00+00:00", REVOKED),
        (UNTIL + DAY, "2026-02-01T00:00:00+00:00", REVOKED),
    ],
)
def test_state_by_day(today: date, revoked_at: str | None, state: str) -> None:
    assert waiver(revoked_at=revoked_at).state(today) == state


@pytest.mark.parametrize(
    ("fields", "host", "licence", "verdict", "failed", "covered"),
    [
        ({}, A, JING, "missing", [], True),  # neither named: anything found on the host
        ({}, B, JING, "missing", [], False),  # another host
        ({"license_no": JING}, A, JING, "missing", [], True),
        ({"license_no": HU}, A, JING, "missing", [], False),  # another licence's row
        ({"verdict": "missing"}, A, JING, "missing", [], True),
        ({"verdict": "missing"}, A, JING, "hidden", ["PSB002"], False),
        ({"rule": "PSB002"}, A, JING, "compliant", ["PSB002"], True),
        ({"rule": "PSB002"}, A, JING, "missing", ["ICP002"], False),
    ],
)
def test_covers(
    fields: dict, host: str, licence: str, verdict: str, failed: list[str], covered: bool
) -> None:
    assert waiver(**fields).covers(host, licence, verdict, failed) is covered


@pytest.fixture
def waived_db(db_path: Path) -> Database:
    """Run 1: A missing, B compliant but failing PSB002, C unreachable."""
    db = build(db_path)
    add_run(db, "finished", {A: "missing", B: "compliant", C: "unreachable"})
    psb = [{"code": "PSB002", "status": "fail", "message": "no police filing", "evidence": []}]
    db.execute("UPDATE checks SET rules = ? WHERE host = ?", [json.dumps(psb), B])
    db.conn.commit()
    return db


def add(db: Database, host: str = A, today: date = TODAY, **fields: object) -> Waiver:
    return add_waiver(
        db,
        host,
        until=fields.pop("until", UNTIL),
        reason=fields.pop("reason", "rectification notice 2026-01"),
        by=fields.pop("by", "alice"),
        today=today,
        **fields,
    )


def rows_on(db: Database, today: date) -> dict[str, dict]:
    return {r["host"]: r for r in report_rows(db, get_run(db), today) if r["host"]}


def test_add_stores_the_waiver_and_its_add_event(waived_db: Database) -> None:
    w = add(waived_db, "https://WWW.A-Shop.cn/index.html", license_no=JING, verdict="missing")
    assert (w.host, w.license_no, w.verdict, w.rule, w.until) == (
        A,
        JING,
        "missing",
        None,
        "2026-03-31",
    )
    events = list(waived_db["waiver_events"].rows)
    assert [(e["waiver_id"], e["action"], e["by"]) for e in events] == [(w.id, "add", "alice")]
    assert events[0]["reason"] == "rectification notice 2026-01"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"until": TODAY - DAY}, "2025-12-31 is in the past (today is 2026-01-01)"),
        ({"license_no": "京B2-20990099"}, "licence 京B2-20990099 is not in the database"),
        ({"verdict": "missing", "rule": "PSB002"}, "give a verdict or a rule code, not both"),
        ({"reason": "  "}, "a waiver needs a reason"),
        ({"by": ""}, "a waiver needs a name in --by"),
    ],
)
def test_add_refuses(waived_db: Database, fields: dict, message: str) -> None:
    with pytest.raises(WaiverError, match=re.escape(message)):
        add(waived_db, **fields)
    assert waived_db["waivers"].count == 0
    assert waived_db["waiver_events"].count == 0


def test_add_refuses_a_bad_host(waived_db: Database) -> None:
    with pytest.raises(WaiverError, match=re.escape("'10.0.0.1' is an IP address")):
        add(waived_db, "10.0.0.1")


def test_until_today_is_allowed(waived_db: Database) -> None:
    assert add(waived_db, until=TODAY).state(TODAY) == ACTIVE


def test_a_waiver_expires_after_its_day_and_the_finding_alarms_again(waived_db: Database) -> None:
    w = add(waived_db, license_no=JING, verdict="missing")
    for today, waived in ((UNTIL - DAY, True), (UNTIL, True), (UNTIL + DAY, False)):
        row = rows_on(waived_db, today)[A]
        assert bool(row["waivers"]) is waived, today
        assert bool(failing([row], ["noncompliant"])) is not waived, today
    assert rows_on(waived_db, UNTIL)[A]["waivers"] == [
        {
            "id": w.id,
            "verdict": "missing",
            "rule": None,
            "until": "2026-03-31",
            "reason": "rectification notice 2026-01",
            "by": "alice",
        }
    ]
    # the finding itself is untouched
    assert waived_db.execute("SELECT verdict FROM checks WHERE host = ?", [A]).fetchone() == (
        "missing",
    )


def test_fail_on_skips_only_what_a_waiver_names(waived_db: Database) -> None:
    add(waived_db, B, rule="PSB002")
    add(waived_db, C, verdict="unreachable")
    rows = rows_on(waived_db, TODAY)
    assert [w["rule"] for w in rows[B]["waivers"]] == ["PSB002"]
    assert failing([rows[B]], ["PSB002"]) == []
    assert failing([rows[B]], ["PSB*"]) == []
    assert failing([rows[C]], ["noncompliant"]) == []
    assert failing([rows[C]], ["unreachable"]) == []
    assert failing([rows[A]], ["noncompliant"]) == [rows[A]]  # not waived
    assert rows[A]["waivers"] == []
    assert failing([rows[C]], ["unknown", "valid"]) == [rows[C]]  # a licence status is never
    # a rule waiver does not hide a verdict finding on the same row
    add(waived_db, A, rule="PSB002")
    assert rows_on(waived_db, TODAY)[A]["waivers"] == []  # A fails no rule: nothing covered


def test_a_verdict_waiver_does_not_cover_a_new_verdict(waived_db: Database) -> None:
    add(waived_db, A, verdict="hidden")
    row = rows_on(waived_db, TODAY)[A]
    assert row["waivers"] == []
    assert failing([row], ["noncompliant"]) == [row]


def test_a_compliant_row_carries_no_waiver(waived_db: Database) -> None:
    add(waived_db, B)  # anything on B: B is compliant but fails PSB002
    add_run(waived_db, "finished", {A: "missing", B: "compliant", C: "unreachable"})
    assert rows_on(waived_db, TODAY)[B]["waivers"] == []  # run 2: no rule failed on B


def test_revoke_is_an_event_and_ends_the_waiver(waived_db: Database) -> None:
    w = add(waived_db, verdict="missing")
    revoked = revoke_waiver(waived_db, w.id, reason="fixed early", by="bob")
    assert revoked.state(TODAY) == REVOKED
    assert (revoked.revoked_by, revoked.revoke_reason) == ("bob", "fixed early")
    assert (revoked.until, revoked.reason) == (w.until, w.reason)  # the waiver row is unchanged
    assert active_waivers(waived_db, TODAY) == []
    assert rows_on(waived_db, TODAY)[A]["waivers"] == []
    assert [e["action"] for e in waived_db["waiver_events"].rows] == ["add", "revoke"]
    with pytest.raises(WaiverError, match=f"waiver {w.id} was already revoked"):
        revoke_waiver(waived_db, w.id, reason="again", by="bob")
    with pytest.raises(WaiverError, match="there is no waiver 99"):
        revoke_waiver(waived_db, 99, reason="x", by="bob")
    assert [x.id for x in list_waivers(waived_db)] == [w.id]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE waivers SET until = '2099-12-31'",
        "DELETE FROM waivers",
        "UPDATE waiver_events SET by = 'mallory'",
        "DELETE FROM waiver_events",
    ],
)
def test_the_audit_trail_is_append_only(waived_db: Database, sql: str) -> None:
    w = add(waived_db, verdict="missing")
    revoke_waiver(waived_db, w.id, reason="fixed", by="bob")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        waived_db.execute(sql)
    assert waived_db["waivers"].count == 1
    assert [(e["action"], e["by"]) for e in waived_db["waiver_events"].rows] == [
        ("add", "alice"),
        ("revoke", "bob"),
    ]


def test_views_and_a_rerun_of_the_migration(waived_db: Database) -> None:
    live = add(waived_db, until=date.today() + timedelta(days=30))
    gone = add(waived_db, B, until=TODAY)  # long past by the real clock the views use
    revoke = add(waived_db, C, until=date.today() + timedelta(days=30))
    revoke_waiver(waived_db, revoke.id, reason="fixed", by="bob")
    m006_waivers(waived_db)  # again, on a database that has it: no error, nothing lost
    status = {r["id"]: r["status"] for r in waived_db["waiver_status"].rows}
    assert status == {live.id: ACTIVE, gone.id: EXPIRED, revoke.id: REVOKED}
    assert [r["id"] for r in waived_db["active_waivers"].rows] == [live.id]
