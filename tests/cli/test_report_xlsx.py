"""``icpwatch report --format xlsx``: the workbook opened back with openpyxl and read cell by
cell: sheets, header, frozen pane, filter, widths, fills, the summary's counts, the changes
sheet, the filters, and hostile licence and page text that must stay text, never a formula."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from crawler.cli import main
from crawler.report.xlsx import COLUMNS, NONCOMPLIANT_FILL, cell_value
from tests.unit.test_report import HU, JING, TODAY, A, B, C, add_run, build

HEADERS = [header for header, _, _ in COLUMNS]
#: Text a spreadsheet would run (OWASP's CSV-injection list, a DDE payload, full-width ＝),
#: every C0 control, bidi overrides and isolates, noncharacters.
HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3",
    "\uff1dSUM(A1)",
    "\t=1+1",
    "".join(chr(c) for c in range(0x20)) + "controls",
    "\u202eevil\u202c \u2066isolate\u2069 \u200fmark",
    "not a character: \ufffe\uffff",
]


def stripped(text: str) -> str:
    """What the workbook may keep of ``text``: all but what XML 1.0 cannot hold."""
    return "".join(
        c
        for c in text
        if c in "\t\n\r" or not (ord(c) < 0x20 or 0xD800 <= ord(c) <= 0xDFFF or c in "\ufffe\uffff")
    )


@pytest.fixture(autouse=True)
def on_new_year(monkeypatch: pytest.MonkeyPatch) -> None:
    """Licence statuses as on TODAY, whatever the real date."""
    monkeypatch.setattr(sys.modules["crawler.cli.report"], "today", lambda: TODAY)


@pytest.fixture
def two_runs(db_path: Path) -> Path:
    """Run 1: A compliant, B missing, C compliant. Run 2: A missing, B compliant, C unreachable."""
    db = build(db_path)
    add_run(db, "finished", {A: "compliant", B: "missing", C: "compliant"})
    add_run(db, "finished", {A: "missing", B: "compliant", C: "unreachable"})
    db.close()
    return db_path


def xlsx(db: Path, out: Path, *args: str) -> dict[str, Worksheet]:
    result = CliRunner().invoke(
        main, ["--db", str(db), "report", "--format", "xlsx", "-o", str(out), *args]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"wrote {out} (")
    book = load_workbook(out)
    return {name: book[name] for name in book.sheetnames}


def values(sheet: Worksheet) -> list[list]:
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_checks_sheet(two_runs: Path, tmp_path: Path) -> None:
    sheets = xlsx(two_runs, tmp_path / "r.xlsx")
    assert list(sheets) == ["checks", "summary"]
    sheet = sheets["checks"]
    rows = values(sheet)
    assert rows[0] == HEADERS
    assert [(r[0], r[4], r[5]) for r in rows[1:]] == [
        (JING, A, "missing"),
        (JING, B, "compliant"),
        (JING, C, "unreachable"),
        (HU, None, "no_domain"),
    ]
    a = dict(zip(HEADERS, rows[1], strict=True))
    assert a["company"] == "北京示例科技有限公司"
    assert a["evidence snippet"] == f"snippet of {A}"
    assert a["final URL"] == f"http://{A}/"
    assert a["checked at"].startswith("2026-01-") and a["run"] == 2
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:R{len(rows)}"
    assert sheet.column_dimensions["J"].width == 50  # evidence snippet
    assert all(c.font.bold for c in sheet[1])
    red = NONCOMPLIANT_FILL.fgColor.rgb
    fills = [sheet.cell(row=n, column=1).fill.fgColor.rgb for n in range(2, 6)]
    assert [f == red for f in fills] == [True, False, True, False]  # missing, unreachable


def test_summary_sheet(two_runs: Path, tmp_path: Path) -> None:
    summary = values(xlsx(two_runs, tmp_path / "r.xlsx")["summary"])
    assert summary == [
        [
            "licence",
            "company",
            "licence status",
            "rows",
            "compliant",
            "missing",
            "unreachable",
            "no_domain",
            "waived",
        ],
        [JING, "北京示例科技有限公司", "valid", 3, 1, 1, 1, 0, 0],
        [HU, "上海示例有限公司", "unknown", 1, 0, 0, 0, 1, 0],
        ["all", None, None, 4, 1, 1, 1, 1, 0],
    ]


def test_changes_sheet_and_filters(two_runs: Path, tmp_path: Path) -> None:
    sheets = xlsx(two_runs, tmp_path / "r.xlsx", "--changes")
    assert list(sheets) == ["checks", "summary", "changes"]
    changes = values(sheets["changes"])
    assert changes[0][:4] == ["change", "previous verdict", "previous checked at", "licence"]
    assert [(r[0], r[1], r[7], r[8]) for r in changes[1:]] == [
        ("newly_noncompliant", "compliant", A, "missing"),
        ("newly_noncompliant", "compliant", C, "unreachable"),
        ("newly_compliant", "missing", B, "compliant"),
    ]
    assert len(values(sheets["checks"])) == 5  # the whole run, not only the changes

    filtered = xlsx(two_runs, tmp_path / "f.xlsx", "--verdict", "missing", "--changes")
    assert [r[4] for r in values(filtered["checks"])[1:]] == [A]
    assert [r[7] for r in values(filtered["changes"])[1:]] == [A]


def test_xlsx_needs_an_output_file(two_runs: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(two_runs), "report", "--format", "xlsx"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "error: --format xlsx writes a workbook: give -o FILE.xlsx\n"


def test_hostile_text_stays_text(two_runs: Path, tmp_path: Path) -> None:
    db = build(two_runs)
    for n, text in enumerate(HOSTILE):
        host = (A, B, C)[n % 3]
        db.execute(
            "UPDATE checks SET evidence_snippet = ?, error = ?, final_url = ? WHERE host = ?",
            [text, text, text, host],
        )
        db.execute("UPDATE licenses SET company = ? WHERE license_no = ?", [text, JING])
        db.conn.commit()
        sheet = xlsx(two_runs, tmp_path / f"h{n}.xlsx")["checks"]
        header = [c.value for c in sheet[1]]
        row = next(r for r in sheet.iter_rows(min_row=2) if r[header.index("domain")].value == host)
        for name in ("company", "evidence snippet", "error", "final URL"):
            cell = row[header.index(name)]
            assert cell.data_type == "s", (text, name)
            assert cell.value == stripped(text), (text, name)
            assert not cell.value.startswith("=") or cell.quotePrefix, (text, name)
        assert sheet.parent["summary"]["B2"].value == stripped(text)
        assert sheet.parent["summary"]["B2"].data_type == "s"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (True, True),
        (200, 200),
        ([{"code": "ICP002"}], '[{"code": "ICP002"}]'),
        ("a\x00b\x1fc\x0bd", "abcd"),
        ("lone \ud800 surrogate", "lone  surrogate"),  # SQLite cannot hold one; a page might
        ("x" * 40_000, "x" * 32_766 + "…"),
    ],
)
def test_cell_value(value: object, expected: object) -> None:
    assert cell_value(value) == expected
