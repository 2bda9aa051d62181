"""``icpwatch report`` on a database built by two real crawls of the example web (subprocesses
through its proxy on 127.0.0.1), with a domain removed and one added between the runs.

:func:`crawled_db` builds that database once per test session; test_datasette.py and
test_report_html.py read it too (never write it: copy it first).
"""

from __future__ import annotations

import json
import unicodedata
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.testing.example_web import HU, JING, SITES, ExampleWeb
from tests.e2e.test_crawl_e2e import REPO, TIMEOUT, icpwatch, query
from tests.unit.test_licence_parser import doc

#: Licences loaded beside the examples: no website, one expired and one due for renewal.
EXPIRED, RENEWAL_DUE = "粤B2-20090191", "浙B2-20200001"
REMOVED = "missing.icpwatch-demo.cn"  # removed from JING between the runs
ADDED = "compliant.icpwatch-demo.cn"  # added to HU between the runs: it shows JING's number
LISTED = {(s.licence, h) for h, s in SITES.items() if s.licence}
_built: dict[str, Path] = {}


def _licence_doc(number: str, expires: date) -> str:
    return doc(
        number=number,
        company=f"{number[0]}示例有限公司",
        sites="",
        dates=f"发证日期：2019年01月01日\n\n有效期至：{expires:%Y年%m月%d日}",
    )


def crawled_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run 1: the example licences plus two without websites. Then REMOVED is removed from
    JING and ADDED added to HU, and run 2 ignores robots.txt (robots.icpwatch-demo.cn turns
    compliant)."""
    if "db" in _built:
        return _built["db"]
    folder = tmp_path_factory.mktemp("report-crawl")
    db = folder / "icpwatch.db"
    today = date.today()
    (folder / "expired.txt").write_text(_licence_doc(EXPIRED, today - timedelta(days=30)))
    (folder / "due.txt").write_text(_licence_doc(RENEWAL_DUE, today + timedelta(days=30)))
    load = icpwatch(db, "licenses", "load", str(REPO / "examples" / "licenses"), str(folder))
    assert load.returncode == 0, load.stderr
    with ExampleWeb(drip_seconds=4 * TIMEOUT) as web:
        crawl = ("crawl", "--proxy", web.proxy_url, "--timeout", str(TIMEOUT))
        first = icpwatch(db, *crawl)
        assert first.returncode == 0, first.stderr[-3000:]
        assert icpwatch(db, "domains", "remove", JING, REMOVED).returncode == 0
        assert icpwatch(db, "domains", "add", HU, ADDED).returncode == 0
        second = icpwatch(db, *crawl, "--ignore-robots")
        assert second.returncode == 0, second.stderr[-3000:]
    _built["db"] = db
    return db


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return crawled_db(tmp_path_factory)


def cells(line: str) -> int:
    """Terminal columns of a line: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def report(db: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(db), "report", *args])


def report_json(db: Path, *args: str) -> dict:
    result = report(db, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_report_shows_every_verdict_of_the_example_web(crawled: Path) -> None:
    data = report_json(crawled)
    assert data["run"]["id"] == 2 and data["run"]["chain"] == [2]
    checked = {(r["license_no"], r["host"]): r["verdict"] for r in data["rows"] if r["host"]}
    sql = "select license_no, host, verdict from checks where run_id = 2"
    stored = {(n, h): v for n, h, v in query(crawled, sql)}
    assert checked == stored
    assert set(checked) == (LISTED - {(JING, REMOVED)}) | {(HU, ADDED)}
    # every verdict the example web produces shows up (the renderer may turn needs_render)
    expected = {s.verdict for s in SITES.values() if s.licence and s.scenario != "needs_render"}
    assert expected <= set(checked.values())
    no_domain = {r["license_no"]: r["license_status"] for r in data["rows"] if not r["host"]}
    assert no_domain == {EXPIRED: "expired", RENEWAL_DUE: "renewal_due"}
    assert {r["verdict"] for r in data["rows"] if not r["host"]} == {"no_domain"}


def test_table_lists_every_host_with_its_verdict(
    crawled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    result = report(crawled)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    for host, verdict in query(crawled, "select host, verdict from checks where run_id = 2"):
        assert any(host in line and verdict in line for line in lines), host
    (offsite,) = [line for line in lines if "  offsite.icpwatch-demo.cn " in line]
    assert "[offsite] → http://icpwatch-group" in offsite
    (near_miss,) = [line for line in lines if "  near-miss.icpwatch-demo.cn " in line]
    assert "wrong_number" in near_miss and "[near-miss]" in near_miss
    assert all(cells(line) <= 100 for line in lines if line.startswith("  "))


def test_changes_between_the_two_runs(crawled: Path) -> None:
    data = report_json(crawled, "--changes")
    assert data["previous_run"]["id"] == 1
    got = [
        (r["change"], r["license_no"], r["host"], r["previous_verdict"], r["verdict"])
        for r in data["rows"]
    ]
    assert got == [
        ("newly_noncompliant", HU, ADDED, "not_checked", "wrong_number"),
        ("newly_compliant", JING, "robots.icpwatch-demo.cn", "blocked", "compliant"),
        ("changed", JING, REMOVED, "missing", None),
    ]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--fail-on", "noncompliant"], 1),
        (["--changes", "--fail-on", "noncompliant"], 1),  # the new wrong_number
        (["--changes", "--fail-on", "unreachable,expired"], 0),  # nothing of that changed
        (["--fail-on", "unreachable"], 1),
        (["--fail-on", "expired"], 1),  # the expired licence's no_domain row
        (["--license", HU, "--fail-on", "unreachable"], 0),
        (["--license", JING, "--fail-on", "renewal_due"], 0),
        (["--verdict", "compliant", "--fail-on", "noncompliant"], 0),
    ],
)
def test_fail_on_exit_codes(crawled: Path, args: list[str], code: int) -> None:
    result = report(crawled, *args)
    assert result.exit_code == code, result.output
    assert ("row(s) match" in result.stderr) == bool(code)
