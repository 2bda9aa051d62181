"""Rule results stored per check (the ``rules`` JSON column), read through the ``rule_results``
and ``rule_failures`` views, and carried by every report format; ``--rules`` filters and
``--fail-on ICP002`` exits 1 for a stored failing ICP002."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from crawler.check.outcome import Outcome
from crawler.check.rules import FAIL, NOT_APPLICABLE, PASS, UNKNOWN, RuleResult
from crawler.cli import main
from crawler.items import check_item
from crawler.report.queries import failed_rules, failing, filter_rows
from crawler.store.runs import Target
from tests.unit.test_report import JING, A, B, C, add_run, build, rows_of


def results(*pairs: tuple[str, str]) -> list[RuleResult]:
    return [RuleResult(code, status, f"{code} {status}", ("evidence",)) for code, status in pairs]


ICP002_FAILS = results(("LIC001", PASS), ("ICP001", PASS), ("ICP002", FAIL), ("ICP003", UNKNOWN))
ALL_PASS = results(("LIC001", PASS), ("ICP001", PASS), ("ICP002", PASS), ("BIZ001", NOT_APPLICABLE))
PSB_FAILS = results(("LIC001", PASS), ("PSB001", FAIL), ("PSB002", FAIL))


def store_rules(db: Database, host: str, records: list[RuleResult]) -> None:
    """Put rule records on the host's latest check, as the crawl's item would."""
    check_id = db.execute("SELECT max(id) FROM checks WHERE host = ?", [host]).fetchone()[0]
    text = json.dumps([r.to_dict() for r in records], ensure_ascii=False)
    with db.conn:
        db.execute("UPDATE checks SET rules = ? WHERE id = ?", [text, check_id])


@pytest.fixture
def db(db_path: Path) -> Database:
    db = build(db_path)
    add_run(db, "finished", {A: "compliant", B: "compliant", C: "missing"})
    store_rules(db, A, ICP002_FAILS)
    store_rules(db, B, ALL_PASS)
    store_rules(db, C, PSB_FAILS)
    return db


def report(db_path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", str(db_path), "report", *args])
    return result.exit_code, result.stdout, result.stderr


class _Finding:
    """A Finding as the rules engineer's ``to_dict`` shapes it (key ``rules``)."""

    verdict = "compliant"

    def __init__(self, records: list[RuleResult]) -> None:
        self.records = records

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": "compliant", "rules": [r.to_dict() for r in self.records]}


def test_the_item_stores_the_finding_rules_as_json() -> None:
    target = Target(1, JING, A, None, frozenset({A}))
    item = check_item(target, Outcome("compliant", finding=_Finding(ICP002_FAILS)), [], 5)
    assert json.loads(item.rules) == [r.to_dict() for r in ICP002_FAILS]
    assert check_item(target, Outcome("unreachable", "timed out"), [], 5).rules == "[]"


def test_rule_results_view_has_one_row_per_check_and_rule(db: Database) -> None:
    found = db.execute(
        "SELECT host, license_no, run_id, code, status, message FROM rule_results "
        "ORDER BY host, code"
    ).fetchall()
    assert len(found) == 4 + 4 + 3
    assert (A, JING, 1, "ICP002", "fail", "ICP002 fail") in found
    evidence = db.execute(
        "SELECT evidence FROM rule_results WHERE code = 'ICP002' AND host = ?", [A]
    )
    assert json.loads(evidence.fetchone()[0]) == ["evidence"]


def test_rule_failures_are_the_failing_results_of_active_domains(db: Database) -> None:
    query = "SELECT host, code FROM rule_failures ORDER BY host, code"
    assert db.execute(query).fetchall() == [(A, "ICP002"), (C, "PSB001"), (C, "PSB002")]
    db["domains"].update(db["domains"].rows_where("host = ?", [C]).__next__()["id"], {"active": 0})
    assert db.execute(query).fetchall() == [(A, "ICP002")]


def test_only_the_latest_check_counts(db: Database) -> None:
    add_run(db, "finished", {A: "compliant"})
    store_rules(db, A, ALL_PASS)
    assert db.execute("SELECT host FROM rule_failures WHERE code = 'ICP002'").fetchall() == []


def test_report_rows_carry_the_records_and_filters_match_codes(db: Database) -> None:
    rows = rows_of(db)
    by_host = {r["host"]: r for r in rows}
    assert by_host[A]["rules"] == [r.to_dict() for r in ICP002_FAILS]
    assert by_host[None]["rules"] is None  # the licence without a domain: no check
    assert [failed_rules(by_host[h]) for h in (A, B, C)] == [["ICP002"], [], ["PSB001", "PSB002"]]
    assert [r["host"] for r in filter_rows(rows, rules=["ICP*"])] == [A]
    assert [r["host"] for r in filter_rows(rows, rules=["psb00?", "ICP002"])] == [A, C]
    assert [r["host"] for r in failing(rows, ["ICP002"])] == [A]
    assert [r["host"] for r in failing(rows, ["BIZ001"])] == []


def test_a_check_stored_before_rules_has_none(db: Database) -> None:
    with db.conn:
        db.execute("UPDATE checks SET rules = NULL WHERE host = ?", [B])
    assert {r["host"]: r["rules"] for r in rows_of(db)}[B] is None
    assert db.execute("SELECT count(*) FROM rule_results WHERE host = ?", [B]).fetchone() == (0,)


def test_fail_on_icp002_exits_1(db: Database, db_path: Path) -> None:
    code, _, err = report(db_path, "--fail-on", "ICP002")
    assert code == 1 and "--fail-on ICP002: 1 row(s) match, exiting 1" in err
    assert report(db_path, "--fail-on", "icp002", "--license", "沪B2-20170001")[0] == 0
    assert report(db_path, "--fail-on", "BIZ001")[0] == 0
    assert report(db_path, "--fail-on", "PSB*,expired")[0] == 1


def test_fail_on_and_rules_refuse_unknown_codes(db: Database, db_path: Path) -> None:
    for args in (("--fail-on", "ICP999"), ("--rules", "XYZ*"), ("--rules", "missing")):
        code, _, err = report(db_path, *args)
        assert code == 2 and "expected one of" in err


def test_rules_filter_every_format(db: Database, db_path: Path) -> None:
    code, out, _ = report(db_path, "--rules", "ICP*", "--format", "json")
    data = json.loads(out)
    assert code == 0 and [r["host"] for r in data["rows"]] == [A]
    assert data["rows"][0]["rules"][2] == {
        "code": "ICP002",
        "status": "fail",
        "message": "ICP002 fail",
        "evidence": ["evidence"],
    }
    code, out, _ = report(db_path, "--rules", "PSB001", "--format", "csv")
    (row,) = csv.DictReader(io.StringIO(out))
    assert row["host"] == C and json.loads(row["rules"])[1]["code"] == "PSB001"


def test_table_shows_failing_codes_in_the_detail(db: Database, db_path: Path) -> None:
    code, out, _ = report(db_path)
    assert code == 0
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert "fails ICP002" in lines[A]
    assert "fails PSB001,PSB002" in lines[C]
    assert "fails" not in lines[B]


def test_html_shows_each_row_rules(db: Database, db_path: Path) -> None:
    code, out, _ = report(db_path, "--format", "html")
    assert code == 0
    assert '<span class="rule r-fail" title="ICP002 fail: ICP002 fail">ICP002</span>' in out
    assert '<span class="rule r-pass" title="LIC001 pass: LIC001 pass">LIC001</span>' in out
    assert "<th>Rules</th>" in out


def test_html_escapes_rule_text(db: Database, db_path: Path) -> None:
    hostile = [RuleResult("ICP002", FAIL, '<script>alert(1)</script>"', ("<b>",))]
    store_rules(db, A, hostile)
    out = report(db_path, "--format", "html")[1]
    assert "<script>alert(1)" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;&quot;" in out
