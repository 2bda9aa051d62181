"""The report's data layer on small hand-built databases: which rows a run has (resumed chains,
unchecked and removed domains, licences without a domain), changes between runs, filters,
``--fail-on`` conditions and the per-domain history."""

from __future__ import annotations

from datetime import date
from itertools import count
from pathlib import Path

import pytest
from sqlite_utils import Database

from crawler.licences.domains import normalise_host
from crawler.licences.parser import parse_licence
from crawler.licences.store import remove_domains, save_licence
from crawler.licences.validity import licence_status
from crawler.report.queries import (
    CHANGE_KEYS,
    FAIL_CONDITIONS,
    ROW_KEYS,
    ROW_VERDICTS,
    NoRun,
    changes,
    failing,
    filter_rows,
    flags,
    get_run,
    history,
    previous_run,
    report_rows,
    summary,
)
from crawler.store.database import open_database
from tests.unit.test_licence_parser import doc

A, B, C = "a-shop.cn", "b-shop.cn", "c-shop.cn"
#: JING expires 2026-08-30; HU lists no website and its expiry date is unreadable.
JING, HU = "京B2-20252223", "沪B2-20170001"
TODAY = date(2026, 1, 1)
_stamps = count(1)


def build(path: Path) -> Database:
    """JING with three domains, HU with none."""
    db = open_database(path)
    sites = f"网站名称：示例\n\n网站域名：{A}、{B}、{C}"
    save_licence(db, parse_licence(doc(sites=sites)), "jing.txt", "1")
    hu = doc(number=HU, company="上海示例有限公司", sites="", dates="有效期至：2027年00月16日")
    save_licence(db, parse_licence(hu), "hu.txt", "2")
    return db


def add_run(
    db: Database, status: str, verdicts: dict[str, str], resumed_from: int | None = None
) -> int:
    """A run row and one check per host (in dict order, so later hosts get higher ids)."""
    stamp = f"2026-01-{next(_stamps):02d}T00:00:00+00:00"
    run_id = (
        db["runs"]
        .insert(
            {
                "started_at": stamp,
                "ended_at": stamp,
                "status": status,
                "options": "{}",
                "version": "test",
                "counts": "{}",
                "resumed_from": resumed_from,
            }
        )
        .last_pk
    )
    for host, verdict in verdicts.items():
        (domain,) = db["domains"].rows_where("host = ?", [host])
        db["checks"].insert(
            {
                "run_id": run_id,
                "domain_id": domain["id"],
                "license_no": domain["license_no"],
                "host": host,
                "verdict": verdict,
                "near_miss": int(verdict == "wrong_number"),
                "offsite_redirect": 0,
                "final_url": f"http://{host}/",
                "evidence_snippet": f"snippet of {host}",
                "checked_at": stamp,
            }
        )
    return run_id


@pytest.fixture
def db(db_path: Path) -> Database:
    return build(db_path)


def verdicts(db: Database, run_id: int | None = None) -> dict[tuple[str, str | None], str]:
    return {(r["license_no"], r["host"]): r["verdict"] for r in rows_of(db, run_id)}


def rows_of(db: Database, run_id: int | None = None) -> list[dict]:
    return report_rows(db, get_run(db, run_id), TODAY)


def test_rows_cover_every_domain_and_licence(db: Database) -> None:
    add_run(db, "finished", {A: "compliant", B: "wrong_number"})
    rows = rows_of(db)
    assert [tuple(r) for r in rows] == [ROW_KEYS] * 4
    assert [(r["license_no"], r["host"], r["verdict"]) for r in rows] == [
        (JING, A, "compliant"),
        (JING, B, "wrong_number"),
        (JING, C, "not_checked"),
        (HU, None, "no_domain"),
    ]
    a, b, c, hu = rows
    assert (a["near_miss"], b["near_miss"], c["near_miss"]) == (False, True, None)
    assert (flags(a), flags(b), flags(c), flags(hu)) == ([], ["near-miss"], [], [])
    assert a["domain_active"] is True and hu["domain_active"] is None
    assert c["final_url"] is None and c["run_id"] is None
    assert a["company"] == "北京示例科技有限公司" and a["expires_on"] == "2026-08-30"


def test_latest_finished_run_with_its_resumed_chain(db: Database) -> None:
    add_run(db, "finished", {A: "missing", B: "missing", C: "missing"})  # 1
    add_run(db, "interrupted", {A: "hidden"})  # 2: died after one domain
    add_run(db, "interrupted", {B: "hidden"}, resumed_from=2)  # 3: died again
    add_run(db, "finished", {C: "compliant", A: "compliant"}, resumed_from=3)  # 4
    add_run(db, "failed", {A: "unreachable"})  # 5: not finished, not reported by default
    add_run(db, "running", {B: "unreachable"})  # 6
    run = get_run(db)
    assert (run.id, run.chain) == (4, (4, 3, 2))
    # A was checked in run 2 and again in run 4: the latest check within the chain wins
    assert verdicts(db) == {
        (JING, A): "compliant",
        (JING, B): "hidden",
        (JING, C): "compliant",
        (HU, None): "no_domain",
    }
    assert rows_of(db)[0]["run_id"] == 4
    assert get_run(db, 3).chain == (3, 2)  # any run by id, with its own chain
    assert get_run(db, 1).chain == (1,)  # a finished run is never part of a chain
    assert previous_run(db, run).id == 1
    assert previous_run(db, get_run(db, 1)) is None


def test_chain_stops_at_a_run_that_was_not_interrupted(db: Database) -> None:
    add_run(db, "failed", {A: "missing"})  # 1
    add_run(db, "finished", {B: "compliant"}, resumed_from=1)  # 2 (only interrupted runs count)
    assert get_run(db).chain == (2,)
    assert verdicts(db)[JING, A] == "not_checked"


def test_removed_domains_stay_in_the_runs_that_checked_them(db: Database) -> None:
    add_run(db, "finished", {A: "compliant", B: "missing", C: "compliant"})
    remove_domains(db, JING, [normalise_host(B)])
    add_run(db, "finished", {A: "compliant", C: "compliant"})
    (removed,) = [r for r in rows_of(db, 1) if r["host"] == B]
    assert removed["verdict"] == "missing" and removed["domain_active"] is False
    assert flags(removed) == ["removed"]
    assert (JING, B) not in verdicts(db, 2)


def test_a_licence_whose_domains_are_all_removed_gets_a_no_domain_row(db: Database) -> None:
    remove_domains(db, JING, [normalise_host(h) for h in (A, B, C)])
    add_run(db, "finished", {})
    assert verdicts(db) == {(JING, None): "no_domain", (HU, None): "no_domain"}


def test_no_run(db: Database) -> None:
    with pytest.raises(NoRun, match="no finished run"):
        get_run(db)
    add_run(db, "interrupted", {A: "compliant"})
    with pytest.raises(NoRun, match="no finished run"):
        get_run(db)
    with pytest.raises(NoRun, match="there is no run 7"):
        get_run(db, 7)
    assert get_run(db, 1).status == "interrupted"


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (date(2026, 1, 1), "valid"),
        (date(2026, 5, 31), "valid"),  # 91 days left
        (date(2026, 6, 1), "renewal_due"),  # 90 days left
        (date(2026, 8, 30), "renewal_due"),  # the expiry day itself
        (date(2026, 8, 31), "expired"),
    ],
)
def test_licence_status_is_the_validity_rule(db: Database, today: date, status: str) -> None:
    add_run(db, "finished", {A: "compliant"})
    rows = report_rows(db, get_run(db), today)
    assert licence_status(date(2026, 8, 30), today) == status
    assert {r["license_no"]: r["license_status"] for r in rows} == {JING: status, HU: "unknown"}


# --- changes -------------------------------------------------------------------------------


def row(host: str | None, verdict: str | None, licence: str = JING) -> dict:
    return {
        **dict.fromkeys(ROW_KEYS),
        "license_no": licence,
        "host": host,
        "verdict": verdict,
        "checked_at": f"at {verdict}",
    }


@pytest.mark.parametrize(
    ("before", "now", "kind"),
    [
        ("compliant", "compliant", None),
        ("missing", "missing", None),
        ("compliant", "missing", "newly_noncompliant"),
        ("compliant", "unreachable", "newly_noncompliant"),
        ("not_checked", "hidden", "newly_noncompliant"),  # a new domain, found failing
        (None, "wrong_number", "newly_noncompliant"),  # absent before (first run)
        ("missing", "compliant", "newly_compliant"),
        ("not_checked", "compliant", "newly_compliant"),
        (None, "compliant", "newly_compliant"),
        ("missing", "unreachable", "changed"),
        ("compliant", "not_checked", "changed"),  # not checked is no finding
        ("hidden", None, "changed"),  # removed
        ("compliant", None, "changed"),
        (None, "not_checked", "changed"),
    ],
)
def test_change_kinds(before: str | None, now: str | None, kind: str | None) -> None:
    previous = [row(A, before)] if before else []
    current = [row(A, now)] if now else []
    found = changes(current, previous)
    assert [r["change"] for r in found] == ([kind] if kind else [])
    if found:
        (change,) = found
        assert set(change) == set(ROW_KEYS) | set(CHANGE_KEYS)
        assert (change["previous_verdict"], change["verdict"]) == (before, now)
        assert change["previous_checked_at"] == (f"at {before}" if before else None)
        if now is None:  # a removed row keeps who it was, not the old check
            assert change["host"] == A and change["checked_at"] is None


def test_changes_order_newly_noncompliant_first() -> None:
    previous = [
        row(A, "compliant"),
        row(B, "missing"),
        row(C, "hidden"),
        row(None, "no_domain", HU),
    ]
    current = [row(A, "compliant"), row(B, "compliant"), row(C, "missing"), row("d.cn", "hidden")]
    current.append(row(None, "no_domain", HU))
    got = [(r["change"], r["host"]) for r in changes(current, previous)]
    assert got == [
        ("newly_noncompliant", "d.cn"),
        ("newly_compliant", B),
        ("changed", C),
    ]


def test_changes_of_a_real_database(db: Database) -> None:
    add_run(db, "finished", {A: "compliant", B: "missing", C: "compliant"})
    remove_domains(db, JING, [normalise_host(C)])
    add_run(db, "finished", {A: "label_only", B: "compliant"})
    run = get_run(db)
    found = changes(report_rows(db, run, TODAY), report_rows(db, previous_run(db, run), TODAY))
    assert [(r["change"], r["host"], r["previous_verdict"], r["verdict"]) for r in found] == [
        ("newly_noncompliant", A, "compliant", "label_only"),
        ("newly_compliant", B, "missing", "compliant"),
        ("changed", C, "compliant", None),
    ]


# --- filters, --fail-on, summary ------------------------------------------------------------

ROWS = [
    {**row(A, "compliant"), "license_status": "valid"},
    {**row(B, "unreachable"), "license_status": "valid"},
    {**row(C, "not_checked"), "license_status": "valid"},
    {**row(None, "no_domain", HU), "license_status": "expired"},
    {**row("d.cn", "hidden", HU), "license_status": "expired"},
    {**row("e.cn", None, HU), "license_status": "renewal_due"},  # removed (--changes)
]


@pytest.mark.parametrize(
    ("kwargs", "hosts"),
    [
        ({}, [A, B, C, None, "d.cn", "e.cn"]),
        ({"verdicts": ["unreachable", "hidden"]}, [B, "d.cn"]),
        ({"licences": [HU]}, [None, "d.cn", "e.cn"]),
        ({"statuses": ["expired"]}, [None, "d.cn"]),
        ({"licences": [HU], "verdicts": ["compliant"]}, []),
    ],
)
def test_filters(kwargs: dict, hosts: list) -> None:
    assert [r["host"] for r in filter_rows(ROWS, **kwargs)] == hosts


@pytest.mark.parametrize(
    ("conditions", "hosts"),
    [
        (["noncompliant"], [B, "d.cn"]),  # checked and failing: not not_checked / no_domain
        (["unreachable"], [B]),
        (["expired"], [None, "d.cn"]),
        (["renewal_due"], ["e.cn"]),
        (["not_checked", "no_domain"], [C, None]),
        (["compliant"], [A]),
        (["valid", "hidden"], [A, B, C, "d.cn"]),
        (["blocked", "unknown"], []),
        ([], []),
    ],
)
def test_fail_on_conditions(conditions: list[str], hosts: list) -> None:
    assert set(conditions) <= set(FAIL_CONDITIONS)
    assert [r["host"] for r in failing(ROWS, conditions)] == hosts


def test_summary_in_verdict_order() -> None:
    assert summary(ROWS) == {
        "compliant": 1,
        "hidden": 1,
        "unreachable": 1,
        "not_checked": 1,
        "no_domain": 1,
        "removed": 1,
    }
    assert list(summary(ROWS)) == [v for v in (*ROW_VERDICTS, "removed") if v in summary(ROWS)]


# --- history ---------------------------------------------------------------------------------


def test_history_strip_per_finished_pass(db: Database) -> None:
    add_run(db, "finished", {A: "missing", B: "compliant"})  # 1
    add_run(db, "interrupted", {A: "hidden"})  # 2: part of run 3's pass
    add_run(db, "finished", {B: "blocked"}, resumed_from=2)  # 3
    add_run(db, "failed", {A: "unreachable"})  # 4: no pass of its own
    add_run(db, "finished", {A: "compliant"})  # 5
    ids = {r["host"]: r["domain_id"] for r in rows_of(db) if r["host"]}
    strips = history(db, get_run(db))
    assert [r for r, _ in strips.runs] == [1, 3, 5]
    assert [v for _, _, v in strips.strip(ids[A])] == ["missing", "hidden", "compliant"]
    assert [v for _, _, v in strips.strip(ids[B])] == ["compliant", "blocked", None]
    assert [v for _, _, v in strips.strip(ids[C])] == [None, None, None]
    assert [r for r, _ in history(db, get_run(db, 3)).runs] == [1, 3]  # up to the run shown
    assert [r for r, _ in history(db, get_run(db), limit=2).runs] == [3, 5]
    # an unfinished run shown with --run has its own cell
    assert [r for r, _ in history(db, get_run(db, 4)).runs] == [1, 3, 4]


def test_known_rows_carry_a_domains_latest_earlier_check(db: Database) -> None:
    """A partial --due run checks only what is due; --changes compares every other domain with
    what was known of it, so nothing unchanged comes back as news."""
    first = add_run(db, "finished", {A: "compliant", B: "wrong_number", C: "missing"})
    add_run(db, "failed", {C: "unreachable"})  # a run after it, not part of any pass
    partial = add_run(db, "finished", {A: "hidden"})
    run = get_run(db)
    plain = {r["host"]: (r["verdict"], r["run_id"]) for r in report_rows(db, run, TODAY)}
    known = {
        r["host"]: (r["verdict"], r["run_id"]) for r in report_rows(db, run, TODAY, known=True)
    }
    assert plain == {
        A: ("hidden", partial),
        B: ("not_checked", None),
        C: ("not_checked", None),
        None: ("no_domain", None),
    }
    assert known == {
        A: ("hidden", partial),
        B: ("wrong_number", first),
        C: ("unreachable", 2),
        None: ("no_domain", None),
    }
    before = report_rows(db, previous_run(db, run), TODAY, known=True)
    found = changes(report_rows(db, run, TODAY, known=True), before)
    assert [(r["host"], r["previous_verdict"], r["verdict"]) for r in found] == [
        (A, "compliant", "hidden"),  # news
        (C, "missing", "unreachable"),  # learnt by the failed run in between: news too
    ]
