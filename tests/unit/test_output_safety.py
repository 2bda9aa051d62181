"""Report output that a hostile page cannot turn against its reader: CSV cells that a spreadsheet
would run as formulas, terminal escape sequences in the table, files other than screenshots
inlined into the HTML report, and links that are not http(s)."""

from __future__ import annotations

import base64
import csv
import io
import os
import re
import sqlite3
from pathlib import Path

import pytest

from crawler.report.html import PNG_SIGNATURE, render
from crawler.report.queries import get_run, history, report_json, report_rows
from crawler.report.text import FORMULA_STARTS, csv_cell
from tests.cli.test_report_cli import report
from tests.unit.test_report import TODAY, A, B, C, add_run, build

#: What a crawled page (or a doctored licence scan) can put in the report's text columns.
HOSTILE_COMPANY = '=HYPERLINK("http://evil/","x")'
HOSTILE = {
    "evidence_snippet": "@SUM(1+1)*cmd|' /C calc'!A0",
    "final_url": "=1+2",
    "error": "-2+3+cmd|' /C calc'!A0",
}
#: ESC ] 8 (an OSC 8 hyperlink), a title change, a cleared screen, the one-character C1 CSI, a
#: bidi override and a bell, in the evidence snippet and the company name.
ESCAPES = "\x1b]8;;http://evil/\x1b\\click\x1b]8;;\x1b\\ \x1b]0;pwned\x07 \x1b[2J \x9b31m \u202etxt"


def _set(db_path: Path, host: str, **columns: object) -> None:
    """Columns of the latest check of ``host``, as a malicious site could get them stored."""
    names = ", ".join(f"{k} = ?" for k in columns)
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            f"UPDATE checks SET {names} WHERE id = (SELECT max(id) FROM checks WHERE host = ?)",
            [*columns.values(), host],
        )


@pytest.fixture
def hostile_db(db_path: Path) -> Path:
    db = build(db_path)
    add_run(db, "finished", {A: "compliant", B: "missing", C: "compliant"})
    db.execute("UPDATE licenses SET company = ? WHERE license_no LIKE '京%'", [HOSTILE_COMPANY])
    db.conn.commit()
    _set(db_path, B, http_status=-1, **HOSTILE)
    _set(db_path, C, evidence_snippet="\t=1+1", error="\r=1+1", final_url="\uff1dA1")
    return db_path


def _csv_rows(db_path: Path, *args: str) -> dict[str, dict[str, str]]:
    result = report(db_path, "--format", "csv", *args)
    assert result.exit_code == 0, result.output
    return {r["host"]: r for r in csv.DictReader(io.StringIO(result.stdout))}


@pytest.mark.parametrize("changes", [False, True])
def test_csv_cells_never_start_a_formula(hostile_db: Path, changes: bool) -> None:
    rows = _csv_rows(hostile_db, *(["--changes"] if changes else []))
    assert rows[B]["company"] == "'" + HOSTILE_COMPANY
    for key, value in HOSTILE.items():
        assert rows[B][key] == "'" + value  # the text is all there, shown as text
    assert (rows[C]["evidence_snippet"], rows[C]["error"], rows[C]["final_url"]) == (
        "'\t=1+1",
        "'\r=1+1",
        "'\uff1dA1",
    )
    for row in rows.values():  # only a number (B's http_status -1) may start with "-"
        formulas = [v for v in row.values() if v.startswith(FORMULA_STARTS)]
        assert not [v for v in formulas if not re.fullmatch(r"-\d+", v)], row


def test_csv_numbers_stay_numbers(hostile_db: Path) -> None:
    rows = _csv_rows(hostile_db)
    assert rows[B]["http_status"] == "-1"  # a number, not text: no quote
    assert (rows[A]["domain_active"], rows[A]["near_miss"], rows[A]["run_id"]) == ("1", "0", "1")
    assert rows[A]["evidence_snippet"] == "snippet of a-shop.cn"  # harmless text is unchanged
    assert rows[A]["expires_on"] == "2026-08-30"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1", "'=1"),
        ("a=1", "a=1"),
        ("'=1", "'=1"),  # already text
        ("", ""),
        (-5, -5),
        (2.5, 2.5),
        (True, 1),
        (None, None),
    ],
)
def test_csv_cell(value: object, cell: object) -> None:
    assert csv_cell(value) == cell


def _without_styles(text: str) -> str:
    """``text`` without click's own colour codes (SGR: ESC [ … m)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.mark.parametrize("color", [False, True])
def test_table_prints_no_escape_sequence_from_a_page(db_path: Path, color: bool) -> None:
    db = build(db_path)
    add_run(db, "finished", {A: "compliant", B: "missing", C: "compliant"})
    db.execute("UPDATE licenses SET company = ?", [f"公司{ESCAPES}"])
    db.conn.commit()
    _set(db_path, B, evidence_snippet=ESCAPES, error=None)
    _set(db_path, C, error=f"proxy answered 502 {ESCAPES}")

    result = report(db_path, color=color)
    assert result.exit_code == 0, result.output
    text = _without_styles(result.stdout)
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)
    assert (result.stdout != text) is color  # click's colours are still there on a terminal
    (line,) = [line for line in text.splitlines() if B in line]
    assert "]8;;http://evil/" in line  # the text shows, inert


def test_json_keeps_the_stored_text(hostile_db: Path) -> None:
    """JSON is data for programs: the values stay exactly as stored (and JSON-escaped)."""
    result = report(hostile_db, "--format", "json")
    assert HOSTILE_COMPANY.replace('"', '\\"') in result.stdout
    assert "'=" not in result.stdout


# --- the HTML report ---------------------------------------------------------------------


def _html(db_path: Path) -> str:
    db = build(db_path)
    run = get_run(db)
    data = report_json(run, report_rows(db, run, TODAY), "2026-01-09T00:00:00+00:00")
    return render(data, history(db, run))


def test_html_inlines_only_png_screenshots(db_path: Path, tmp_path: Path) -> None:
    """The path is the database's (a worker's item, in a distributed crawl): a report must not
    carry another file to whoever it is mailed to, nor hang on a FIFO."""
    db = build(db_path)
    add_run(db, "finished", {A: "compliant", B: "missing", C: "hidden"})
    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk=\n")
    png = tmp_path / "evidence" / "run-1" / f"{A}.png"
    png.parent.mkdir(parents=True)
    png.write_bytes(PNG_SIGNATURE + b"shot")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    _set(db_path, A, screenshot_path=str(png), static_verdict="missing")
    _set(db_path, B, screenshot_path=str(secret), static_verdict="missing")
    _set(db_path, C, screenshot_path=str(fifo), static_verdict="missing")

    html = _html(db_path)
    shots = re.findall(r'src="data:image/png;base64,([^"]*)"', html)
    assert (
        len(shots) == 1 and shots[0] == base64.b64encode(png.read_bytes()).decode()
    )  # A's PNG only
    assert "b3BlbnNzaC1rZXk" not in html and "LS0tLS1CRUdJTi" not in html


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "\tjava\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/",
    ],
)
def test_html_links_only_http_urls(db_path: Path, url: str) -> None:
    db = build(db_path)
    add_run(db, "finished", {A: "compliant"})
    _set(db_path, A, final_url=url)
    html = _html(db_path)
    assert re.findall(r'href="([^"]*)"', html) == []
    assert "<script>alert" not in html


def test_html_escapes_quotes_in_an_http_url(db_path: Path) -> None:
    db = build(db_path)
    add_run(db, "finished", {A: "compliant"})
    _set(db_path, A, final_url='http://a-shop.cn/"><script>alert(1)</script>')
    html = _html(db_path)
    assert re.findall(r'href="([^"]*)"', html) == [
        "http://a-shop.cn/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    ]
