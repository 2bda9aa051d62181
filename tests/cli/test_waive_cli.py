"""``icpwatch waive add|list|revoke`` through click, and waived rows in every report format and
in ``--fail-on``, before, on and after the waiver's day ("today" injected, never slept for)."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from crawler.cli import main
from tests.unit.test_report import JING, TODAY, A, B, C, add_run, build

UNTIL = date(2026, 3, 31)
DAY = timedelta(days=1)


@pytest.fixture
def on_day(monkeypatch: pytest.MonkeyPatch):
    """Set the CLI's "today" (waive and report judge by it)."""

    def set_day(day: date) -> None:
        for name in ("crawler.cli.waive", "crawler.cli.report"):  # (modules: the package's
            monkeypatch.setattr(sys.modules[name], "today", lambda: day)  # names are commands)

    set_day(TODAY)
    return set_day


@pytest.fixture
def crawled(db_path: Path) -> Path:
    """A missing, B compliant, C unreachable."""
    db = build(db_path)
    add_run(db, "finished", {A: "missing", B: "compliant", C: "unreachable"})
    db.close()
    return db_path


def run(db: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(db), *args])


def waive_a(db: Path, *extra: str):
    return run(
        db,
        "waive",
        "add",
        f"https://www.{A}/",
        "--license",
        JING,
        "--verdict",
        "missing",
        "--until",
        UNTIL.isoformat(),
        "--reason",
        "=rectification notice 12",
        "--by",
        "alice",
        *extra,
    )


def test_add_and_list(crawled: Path, on_day) -> None:
    result = waive_a(crawled)
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"added waiver 1: {A} ({JING}, verdict missing) until 2026-03-31\n")
    listed = run(crawled, "waive", "list")
    assert listed.stdout.split()[:3] == ["1", "active", A]
    assert "by alice: =rectification notice 12" in listed.stdout
    (record,) = json.loads(run(crawled, "waive", "list", "--json").stdout)
    assert record["status"] == "active" and record["reason"] == "=rectification notice 12"


def test_by_defaults_to_the_os_user(crawled: Path, on_day, monkeypatch) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "ops-user")
    result = run(crawled, "waive", "add", B, "--until", "2026-02-01", "--reason", "r")
    assert result.exit_code == 0, result.output
    assert json.loads(run(crawled, "waive", "list", "--json").stdout)[0]["by"] == "ops-user"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--until", "2026-02-30"], "'2026-02-30' is not a date: expected YYYY-MM-DD"),
        (["--until", "2025-12-31"], "2025-12-31 is in the past (today is 2026-01-01)"),
        (["--license", "京B2-20990099"], "licence 京B2-20990099 is not in the database"),
        (["--license", "nonsense"], "'nonsense' is not a licence number"),
        (["--verdict", "compliant"], "--verdict 'compliant': expected one of displayed_elsewhere"),
        (["--rule", "XYZ001"], "'XYZ001' is not a rule code: expected one of LIC001"),
        (["--verdict", "missing", "--rule", "ICP002"], "give a verdict or a rule code, not both"),
        (["--host", "10.0.0.1"], "'10.0.0.1' is an IP address, not a host name"),
    ],
)
def test_add_errors_are_one_line_exit_2(
    crawled: Path, on_day, args: list[str], message: str
) -> None:
    host = args[1] if args[0] == "--host" else A
    options = {"--until": "2026-02-01", **dict(zip(args[::2], args[1::2], strict=True))}
    options.pop("--host", None)
    flat = [x for pair in options.items() for x in pair]
    result = run(crawled, "waive", "add", host, *flat, "--reason", "r", "--by", "me")
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {message}")
    assert json.loads(run(crawled, "waive", "list", "--all", "--json").stdout) == []


def test_revoke(crawled: Path, on_day) -> None:
    waive_a(crawled)
    result = run(crawled, "waive", "revoke", "1", "--reason", "fixed", "--by", "bob")
    assert result.exit_code == 0, result.output
    assert run(crawled, "waive", "list").stdout == "No active waivers.\n"
    listed = run(crawled, "waive", "list", "--all").stdout
    assert "revoked" in listed and "by bob: fixed" in listed
    again = run(crawled, "waive", "revoke", "1", "--reason", "x", "--by", "bob")
    assert again.exit_code == 2
    assert again.stderr.startswith("error: waiver 1 was already revoked on ")
    missing = run(crawled, "waive", "revoke", "7", "--reason", "x", "--by", "bob")
    assert (missing.exit_code, missing.stderr) == (2, "error: there is no waiver 7\n")


@pytest.mark.parametrize(
    ("day", "waived"),
    [(UNTIL - DAY, True), (UNTIL, True), (UNTIL + DAY, False)],
)
def test_fail_on_before_on_and_after_the_waiver_day(
    crawled: Path, on_day, day: date, waived: bool
) -> None:
    waive_a(crawled)
    waive = ["waive", "add", C, "--verdict", "unreachable", "--until", UNTIL.isoformat()]
    run(crawled, *waive, "--reason", "host down", "--by", "bob")
    on_day(day)
    result = run(crawled, "report", "--fail-on", "noncompliant")
    assert result.exit_code == (0 if waived else 1), result.output
    assert ("waived #1 (missing) until 2026-03-31" in result.stdout) is waived


def test_fail_on_without_a_waiver_fails(crawled: Path, on_day) -> None:
    result = run(crawled, "report", "--fail-on", "noncompliant")
    assert result.exit_code == 1
    assert "2 row(s) match" in result.stderr


def test_every_format_shows_the_waiver(
    crawled: Path, on_day, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    waive_a(crawled)
    monkeypatch.setenv("COLUMNS", "200")
    table = run(crawled, "report").stdout
    (line,) = [x for x in table.splitlines() if A in x]
    assert "[waived #1 (missing) until 2026-03-31: =rectification notice 12]" in line

    data = json.loads(run(crawled, "report", "--format", "json").stdout)
    row = next(r for r in data["rows"] if r["host"] == A)
    assert row["waivers"] == [
        {
            "id": 1,
            "verdict": "missing",
            "rule": None,
            "until": "2026-03-31",
            "reason": "=rectification notice 12",
            "by": "alice",
        }
    ]
    assert next(r for r in data["rows"] if r["host"] == C)["waivers"] == []

    rows = list(csv.DictReader(io.StringIO(run(crawled, "report", "--format", "csv").stdout)))
    cell = next(r for r in rows if r["host"] == A)["waivers"]
    assert json.loads(cell)[0]["reason"] == "=rectification notice 12"  # JSON text: starts "["

    html = run(crawled, "report", "--format", "html").stdout
    assert (
        '<span class="flag waived" title="by alice">waived #1 (missing) until 2026-03-31: '
        "=rectification notice 12</span>" in html
    )

    out = tmp_path / "r.xlsx"
    assert run(crawled, "report", "--format", "xlsx", "-o", str(out)).exit_code == 0
    sheet = load_workbook(out)["checks"]
    header = [c.value for c in sheet[1]]
    values = {r[header.index("domain")]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert values[A][header.index("waiver")] == (
        "waived #1 (missing) until 2026-03-31: =rectification notice 12"
    )
    assert values[C][header.index("waiver")] is None
