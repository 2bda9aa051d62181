"""The packaged Datasette metadata: every canned query answers, through Datasette's own
in-process client, on the database of two real crawls of the example web
(tests/test_report_crawl.py), and ``icpwatch serve`` hands it to ``datasette serve``."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from datasette.app import Datasette

from crawler.cli import main
from crawler.cli.serve import metadata
from crawler.report.queries import changes, get_run, previous_run, report_rows
from crawler.store.database import open_database
from crawler.testing.example_web import SITES
from tests.e2e.test_crawl_e2e import query
from tests.e2e.test_report_crawl import ADDED, EXPIRED, HU, JING, REMOVED, RENEWAL_DUE, crawled_db

QUERIES = {
    "noncompliant_now",
    "changes_since_previous_run",
    "licences_expiring",
    "never_reachable",
    "compliance_over_time",
    "rule_failures_now",
    "waivers_active",
    "waivers_expired",
}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return crawled_db(tmp_path_factory)


@pytest.fixture(scope="module")
def answers(crawled: Path) -> dict[str, list[dict]]:
    """Each canned query's rows, asked the way a browser would (``?_shape=array``)."""

    async def ask() -> dict[str, list[dict]]:
        ds = Datasette([str(crawled)], metadata=metadata(crawled.stem))
        await ds.invoke_startup()
        found = {}
        for name in QUERIES:
            response = await ds.client.get(f"/{crawled.stem}/{name}.json?_shape=array")
            assert response.status_code == 200, (name, response.text[:500])
            found[name] = response.json()
        return found

    return asyncio.run(ask())


def test_the_metadata_names_every_canned_query() -> None:
    assert set(metadata()["databases"]["icpwatch"]["queries"]) == QUERIES


def test_metadata_describes_tables_and_columns_that_exist(crawled: Path) -> None:
    tables = metadata()["databases"]["icpwatch"]["tables"]
    with sqlite3.connect(crawled) as conn:
        for name, table in tables.items():
            columns = {row[1] for row in conn.execute(f"PRAGMA table_info({name!r})")}
            assert columns, f"{name} is not a table or view"
            assert set(table.get("columns", {})) <= columns, name


def test_metadata_follows_the_database_name() -> None:
    assert set(metadata("demo")["databases"]) == {"demo"}


def test_noncompliant_now(crawled: Path, answers: dict[str, list[dict]]) -> None:
    got = {(r["license_no"], r["host"]): r["verdict"] for r in answers["noncompliant_now"]}
    stored = query(crawled, "select license_no, host, verdict from checks where run_id = 2")
    assert got == {(n, h): v for n, h, v in stored if v != "compliant"}
    assert got[HU, ADDED] == "wrong_number"
    assert (JING, REMOVED) not in got  # removed: no longer anyone's concern
    # the example web's faults are there with their verdicts
    for host, site in SITES.items():
        if site.licence and site.verdict in ("unreachable", "http_error", "not_html"):
            assert got[site.licence, host] == site.verdict, host
    assert {r["license_status"] for r in answers["noncompliant_now"]} == {"valid"}


def test_changes_since_previous_run_match_report_changes(
    crawled: Path, answers: dict[str, list[dict]]
) -> None:
    got = [
        (r["change"], r["license_no"], r["host"], r["previous_verdict"], r["verdict"])
        for r in answers["changes_since_previous_run"]
    ]
    assert got == [
        ("newly_noncompliant", HU, ADDED, "not_checked", "wrong_number"),
        ("newly_compliant", JING, "robots.icpwatch-demo.cn", "blocked", "compliant"),
        ("changed", JING, REMOVED, "missing", None),
    ]
    db = open_database(crawled)
    run = get_run(db)
    today = date.today()
    expected = changes(report_rows(db, run, today), report_rows(db, previous_run(db, run), today))
    assert got == [
        (r["change"], r["license_no"], r["host"], r["previous_verdict"], r["verdict"])
        for r in expected
    ]
    assert {(r["run_id"], r["previous_run_id"]) for r in answers["changes_since_previous_run"]} == {
        (2, 1)
    }


def test_licences_expiring(answers: dict[str, list[dict]]) -> None:
    assert [(r["license_no"], r["status"]) for r in answers["licences_expiring"]] == [
        (EXPIRED, "expired"),
        (RENEWAL_DUE, "renewal_due"),
    ]
    assert [r["days_left"] for r in answers["licences_expiring"]] == [-30, 30]


def test_never_reachable(answers: dict[str, list[dict]]) -> None:
    got = {(r["license_no"], r["host"]) for r in answers["never_reachable"]}
    unreachable = {
        (s.licence, h) for h, s in SITES.items() if s.licence and s.verdict == "unreachable"
    }
    assert got == unreachable
    assert all(r["checks"] == 2 and r["last_error"] for r in answers["never_reachable"])


def test_compliance_over_time(crawled: Path, answers: dict[str, list[dict]]) -> None:
    expected = [
        {"run_id": run, "checked": total, "compliant": ok}
        for run, total, ok in query(
            crawled,
            "select run_id, count(*), sum(verdict = 'compliant') from checks group by run_id",
        )
    ]
    got = answers["compliance_over_time"]
    assert [{k: r[k] for k in ("run_id", "checked", "compliant")} for r in got] == expected
    assert got[1]["compliant"] == got[0]["compliant"] + 1  # robots.txt ignored in run 2
    assert all(r["compliant"] + r["noncompliant"] == r["checked"] for r in got)
    assert got[0]["compliant_pct"] == round(100 * got[0]["compliant"] / got[0]["checked"], 1)


def test_serve_passes_the_metadata_to_datasette(crawled: Path) -> None:
    path = f"/{crawled.stem}/licences_expiring.json?_shape=array"
    result = CliRunner().invoke(main, ["--db", str(crawled), "serve", "--", "--get", path])
    assert result.exit_code == 0, result.output
    assert [r["license_no"] for r in json.loads(result.stdout)] == [EXPIRED, RENEWAL_DUE]


def test_serve_without_datasette_says_how_to_install_it(
    crawled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "datasette.cli", None)  # as if not installed
    result = CliRunner().invoke(main, ["--db", str(crawled), "serve"])
    assert result.exit_code == 1
    assert "pip install 'icpwatch[ui]'" in result.output
