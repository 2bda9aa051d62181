"""``icpwatch report`` through click on hand-built databases: formats, filters, ``--changes``,
``--fail-on`` and the exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.report.queries import CHANGE_KEYS, ROW_KEYS
from tests.e2e.test_report_crawl import cells
from tests.unit.test_report import HU, JING, A, B, C, add_run, build


def report(db: Path, *args: str, color: bool = False):
    return CliRunner().invoke(main, ["--db", str(db), "report", *args], color=color)


@pytest.fixture
def two_runs(db_path: Path) -> Path:
    """Run 1: A compliant, B missing, C compliant. Run 2: A missing, B compliant, C compliant."""
    db = build(db_path)
    add_run(db, "finished", {A: "compliant", B: "missing", C: "compliant"})
    add_run(db, "finished", {A: "missing", B: "compliant", C: "compliant"})
    return db_path


def test_table_is_grouped_by_licence_and_plain_when_not_a_terminal(two_runs: Path) -> None:
    result = report(two_runs)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Run 2 (finished), started 2026-01-")
    assert lines[1].startswith(f"{JING}  北京示例科技有限公司  ")
    assert [line.split()[:2] for line in lines[2:5]] == [
        [A, "missing"],
        [B, "compliant"],
        [C, "compliant"],
    ]
    assert "snippet of a-shop.cn" in lines[2]
    assert lines[5].startswith(f"{HU}  上海示例有限公司  unknown")
    assert lines[6].split() == ["—", "no_domain"]
    assert lines[-1] == "compliant 2 · missing 1 · no_domain 1"
    assert "\x1b[" not in result.stdout


def test_table_colours_on_a_terminal(two_runs: Path) -> None:
    result = report(two_runs, color=True)
    assert "\x1b[32m" in result.stdout  # compliant in green
    assert "\x1b[31m" in result.stdout  # missing in red


def test_table_truncates_long_snippets_to_the_width(two_runs: Path, monkeypatch) -> None:
    db = build(two_runs)
    db.execute("UPDATE checks SET evidence_snippet = ? WHERE host = ?", ["经营许可证" * 40, A])
    db.conn.commit()
    monkeypatch.setenv("COLUMNS", "100")
    (line,) = [line for line in report(two_runs).stdout.splitlines() if A in line]
    assert line.endswith("…")
    assert 99 <= cells(line) <= 100  # a wide character may leave one column free


def test_json_shape(two_runs: Path) -> None:
    result = report(two_runs, "--format", "json")
    data = json.loads(result.stdout)
    assert set(data) == {"generated_at", "run", "changes", "previous_run", "summary", "rows"}
    assert data["run"] == {
        "id": 2,
        "status": "finished",
        "started_at": data["run"]["started_at"],
        "ended_at": data["run"]["ended_at"],
        "chain": [2],
    }
    assert data["changes"] is False and data["previous_run"] is None
    assert data["summary"] == {"compliant": 2, "missing": 1, "no_domain": 1}
    assert [list(r) for r in data["rows"]] == [list(ROW_KEYS)] * 4
    assert data["rows"][0]["domain_active"] is True and data["rows"][0]["near_miss"] is False


def test_changes_in_every_format(two_runs: Path) -> None:
    data = json.loads(report(two_runs, "--changes", "--format", "json").stdout)
    assert data["changes"] is True and data["previous_run"]["id"] == 1
    assert [
        (r["change"], r["host"], r["previous_verdict"], r["verdict"]) for r in data["rows"]
    ] == [
        ("newly_noncompliant", A, "compliant", "missing"),
        ("newly_compliant", B, "missing", "compliant"),
    ]
    assert list(data["rows"][0]) == [*ROW_KEYS, *CHANGE_KEYS]

    table = report(two_runs, "--changes").stdout.splitlines()
    assert table[0].endswith(": changes since run 1")
    assert table[1] == "Newly non-compliant (1)"
    assert table[3].split()[:4] == [A, "compliant", "→", "missing"]
    assert table[4] == "Newly compliant (1)"
    assert table[6].split()[:4] == [B, "missing", "→", "compliant"]

    rows = list(
        csv.DictReader(io.StringIO(report(two_runs, "--changes", "--format", "csv").stdout))
    )
    assert [(r["change"], r["host"]) for r in rows] == [
        ("newly_noncompliant", A),
        ("newly_compliant", B),
    ]
    html = report(two_runs, "--changes", "--format", "html").stdout
    assert html.count("<tr data-verdict=") == 2 and "newly non-compliant" in html


def test_changes_against_nothing_and_no_changes(db_path: Path) -> None:
    db = build(db_path)
    add_run(db, "finished", {A: "compliant", B: "missing", C: "compliant"})
    data = json.loads(report(db_path, "--changes", "--format", "json").stdout)
    assert data["previous_run"] is None  # the first run: everything is new
    assert [r["change"] for r in data["rows"]] == ["newly_noncompliant"] + [
        "newly_compliant"
    ] * 2 + ["changed"]
    add_run(db, "finished", {A: "compliant", B: "missing", C: "compliant"})
    result = report(db_path, "--changes", "--fail-on", "noncompliant")
    assert result.exit_code == 0  # B is still missing, but that is not news
    assert result.stdout.splitlines()[1] == "No changes."


def test_csv(two_runs: Path) -> None:
    text = report(two_runs, "--format", "csv", "--license", "京b2－20252223").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0] == ",".join(ROW_KEYS)
    assert [(r["host"], r["verdict"], r["domain_active"]) for r in rows] == [
        (A, "missing", "1"),
        (B, "compliant", "1"),
        (C, "compliant", "1"),
    ]


@pytest.mark.parametrize(
    ("args", "hosts"),
    [
        ([], [A, B, C, ""]),
        (["--verdict", "missing"], [A]),
        (["--verdict", "missing,no_domain"], [A, ""]),
        (["--verdict", "missing", "--verdict", "compliant"], [A, B, C]),
        (["--license", HU], [""]),
        (["--status", "unknown"], [""]),
        (["--status", "valid,expired"], [A, B, C]),  # JING expires 2026-08-30
        (["--run", "1"], [A, B, C, ""]),
        (["--run", "1", "--verdict", "missing"], [B]),
    ],
)
def test_filters(two_runs: Path, args: list[str], hosts: list[str]) -> None:
    result = report(two_runs, "--format", "csv", *args)
    assert result.exit_code == 0, result.output
    assert [r["host"] for r in csv.DictReader(io.StringIO(result.stdout))] == hosts


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ([], 0),
        (["--fail-on", "noncompliant"], 1),
        (["--fail-on", "missing"], 1),
        (["--fail-on", "unreachable"], 0),
        (["--fail-on", "unreachable,no_domain"], 1),
        (["--fail-on", "unknown"], 1),  # HU's expiry date is unreadable
        (["--license", JING, "--fail-on", "unknown"], 0),
        (["--verdict", "compliant", "--fail-on", "noncompliant"], 0),
        (["--run", "1", "--verdict", "compliant", "--fail-on", "compliant"], 1),
        (["--changes", "--fail-on", "noncompliant"], 1),
        (["--changes", "--verdict", "compliant", "--fail-on", "noncompliant"], 0),
    ],
)
def test_fail_on(two_runs: Path, args: list[str], code: int) -> None:
    result = report(two_runs, *args)
    assert result.exit_code == code, result.output
    assert result.stdout  # the report is printed either way
    if code:
        assert "row(s) match, exiting 1" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--verdict", "missin"], "'missin': expected one of compliant"),
        (["--fail-on", "noncompliant,expird"], "'expird'"),
        (["--status", "due"], "'due'"),
        (["--format", "pdf"], "'pdf'"),
        (["--license", "not a number"], "NUMBER"),
        (["--license", "粤B2-20090191"], "licence 粤B2-20090191 is not in the database"),
        (["--run", "9"], "there is no run 9"),
        (["--run", "0"], "--run"),
        (["--webhook", "ftp://example.org/x"], "not an http:// or https:// URL"),
    ],
)
def test_usage_errors_exit_2(two_runs: Path, args: list[str], message: str) -> None:
    result = report(two_runs, *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_no_finished_run_exits_1(db_path: Path) -> None:
    db = build(db_path)
    add_run(db, "interrupted", {A: "compliant"})
    result = report(db_path)
    assert result.exit_code == 1
    assert "no finished run yet" in result.stderr
    assert report(db_path, "--run", "1").exit_code == 0  # named explicitly, it is reported


def test_output_file(two_runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = report(two_runs, "--format", "html", "-o", str(out), "--fail-on", "missing")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"wrote {out} (4 row(s))" in result.stderr
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.count("<tr data-verdict=") == 4
