"""Hostile or mistyped input is a usage error (exit 2) with one ``Error:`` line, never a
traceback and never a partial change."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from tests.conftest import REPO
from tests.unit.test_report import add_run, build

EXAMPLES = REPO / "examples" / "licenses"
JING = "京B2-20990001"


def run(db: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(db), *args])


def error_lines(result) -> list[str]:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return [line for line in result.output.splitlines() if line.startswith("Error:")]


@pytest.fixture
def finished(db_path: Path) -> Path:
    db = build(db_path)
    add_run(db, "finished", {})
    db.close()
    return db_path


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http://127.0.0.1:99999", "Port out of range 0-65535"),
        ("http://127.0.0.1:0", "port 0 is not a port to connect to"),
        ("http://127.0.0.1:port", "Port could not be cast to integer value"),
        ("http://[::1", "Invalid IPv6 URL"),
        ("", "is not an http:// or https:// proxy URL"),
        ("socks5://127.0.0.1:1080", "is not an http:// or https:// proxy URL"),
    ],
)
def test_crawl_proxy_errors(db_path: Path, value: str, message: str) -> None:
    result = run(db_path, "crawl", "--proxy", value)
    assert result.exit_code == 2, result.output
    (line,) = error_lines(result)
    assert "--proxy" in line and message in line


def test_crawl_proxy_error_does_not_echo_a_password(db_path: Path) -> None:
    result = run(db_path, "crawl", "--proxy", "http://user:s3cret@127.0.0.1:99999")
    assert result.exit_code == 2
    (line,) = error_lines(result)
    assert "Port out of range" in line and "s3cret" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--run", "99999999999999999999"], "--run"),
        (["--run", str(2**63)], "--run"),
        (["--run", "-1"], "--run"),
        (["--run", ""], "--run"),
        (["--license", ""], "not a licence number"),
        (["-o", ""], "an empty path"),
        (["-o", "no/such/folder/report.html"], "folder does not exist"),
    ],
)
def test_report_option_errors(finished: Path, args: list[str], message: str) -> None:
    result = run(finished, "report", *args)
    assert result.exit_code == 2, result.output
    (line,) = error_lines(result)
    assert message in line


def test_report_largest_run_id_is_looked_up(finished: Path) -> None:
    result = run(finished, "report", "--run", str(2**63 - 1))
    assert result.exit_code == 2
    assert "there is no run 9223372036854775807" in error_lines(result)[0]


def test_removing_a_domain_the_licence_does_not_have(db_path: Path) -> None:
    assert run(db_path, "licenses", "load", str(EXAMPLES)).exit_code == 0
    conn = sqlite3.connect(db_path)
    assert conn.execute(
        "select count(*) from domains where license_no = ? and active", [JING]
    ).fetchone() == (39,)
    conn.close()
    result = run(db_path, "domains", "remove", JING, "typo-shop.cn")
    assert result.exit_code == 2, result.output
    (line,) = error_lines(result)
    assert f"typo-shop.cn is not a domain of licence {JING}" in line
    # with a real domain beside the typo, nothing is removed at all
    real = _first_host(db_path)
    result = run(db_path, "domains", "remove", JING, real, "typo-shop.cn")
    assert result.exit_code == 2
    conn = sqlite3.connect(db_path)
    assert conn.execute(
        "select count(*) from domains where license_no = ? and active", [JING]
    ).fetchone() == (39,)
    conn.close()
    # removing it twice: the licence has it (inactive), so it is 'unchanged', not an error
    assert run(db_path, "domains", "remove", JING, real).exit_code == 0
    again = run(db_path, "domains", "remove", JING, real)
    assert again.exit_code == 0 and again.output.startswith("unchanged")


def _first_host(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "select host from domains where license_no = ? order by id limit 1", [JING]
        ).fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("command", ["add", "remove"])
def test_empty_domain_and_number_arguments(db_path: Path, command: str) -> None:
    assert run(db_path, "licenses", "load", str(EXAMPLES)).exit_code == 0
    for args in ([JING, ""], ["", "a.cn"], [JING, " "]):
        result = run(db_path, "domains", command, *args)
        assert result.exit_code == 2, result.output
        assert len(error_lines(result)) == 1


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_report_to_a_full_disk_is_one_line(finished: Path) -> None:
    result = run(finished, "report", "--format", "csv", "-o", "/dev/full")
    assert result.exit_code == 1, result.output
    assert result.output.splitlines() == ["error: cannot write /dev/full: No space left on device"]
