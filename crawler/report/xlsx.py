"""The Excel report (``report --format xlsx``): what compliance teams file and pass on. Sheet
``checks`` has every (licence, domain) row of the run, ``summary`` the rows per licence and
verdict, ``changes`` (with ``--changes``) what changed since the run before.

Cells carry text from crawled pages and licence scans, so none can be turned against the
reader: every text cell is written as a string, never a formula (openpyxl would store text
starting with ``=`` as one), text that a spreadsheet would read as a formula when edited gets
Excel's quote prefix, and characters XML cannot hold are dropped (openpyxl refuses them).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Sequence
from itertools import groupby
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from crawler.report.queries import (
    ROW_VERDICTS,
    failed_rules,
    flags,
    is_noncompliant,
    waiver_note,
)
from crawler.report.text import FORMULA_STARTS

SHEETS = ("checks", "summary", "changes")
#: Characters an XML 1.0 document cannot hold (C0 controls but tab, LF and CR; lone
#: surrogates; U+FFFE, U+FFFF): openpyxl raises IllegalCharacterError on them.
ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Excel's limit for one cell's text.
MAX_CELL_CHARS = 32_767
NONCOMPLIANT_FILL = PatternFill("solid", fgColor="FFCDD2")  # light red
WAIVED_FILL = PatternFill("solid", fgColor="FFF9C4")  # light yellow: a finding, waived
HEADER_FONT = Font(bold=True)

Row = dict[str, Any]
Columns = Sequence[tuple[str, int, Callable[[Row], Any]]]


def _rule_results(row: Row) -> str:
    """``LIC001 pass, ICP002 fail, …``: every rule's status, as the HTML chips show them."""
    return ", ".join(f"{r.get('code')} {r.get('status')}" for r in row.get("rules") or ())


#: (header, width in characters, value) for the ``checks`` sheet, in column order.
COLUMNS: Columns = (
    ("licence", 16, lambda r: r["license_no"]),
    ("company", 28, lambda r: r["company"]),
    ("licence status", 12, lambda r: r["license_status"]),
    ("expires on", 11, lambda r: r["expires_on"]),
    ("domain", 28, lambda r: r["host"]),
    ("verdict", 16, lambda r: r["verdict"] or "removed"),
    ("flags", 14, lambda r: " ".join(flags(r))),
    ("failed rules", 16, lambda r: ",".join(failed_rules(r))),
    ("rule results", 40, _rule_results),
    ("evidence snippet", 50, lambda r: r["evidence_snippet"]),
    ("error", 30, lambda r: r["error"]),
    ("final URL", 36, lambda r: r["final_url"]),
    ("HTTP status", 7, lambda r: r["http_status"]),
    ("checked at", 20, lambda r: r["checked_at"]),
    ("run", 6, lambda r: r["run_id"]),
    ("rendered", 8, lambda r: r["rendered"]),
    ("screenshot", 30, lambda r: r["screenshot_path"]),
    ("waiver", 40, lambda r: "; ".join(waiver_note(w) for w in r.get("waivers") or ())),
)
CHANGE_COLUMNS: Columns = (
    ("change", 18, lambda r: r["change"]),
    ("previous verdict", 16, lambda r: r["previous_verdict"]),
    ("previous checked at", 20, lambda r: r["previous_checked_at"]),
    *COLUMNS,
)


def cell_value(value: Any) -> Any:
    """A report value as openpyxl may store it: numbers and booleans as they are, lists and
    dicts as JSON text, text without the characters XML cannot hold, cut to Excel's limit."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False)
    value = ILLEGAL_XML.sub("", value)
    if len(value) > MAX_CELL_CHARS:
        value = value[: MAX_CELL_CHARS - 1] + "…"
    return value


def _write_row(sheet: Worksheet, row_no: int, values: Sequence[Any]) -> None:
    for col, raw in enumerate(values, start=1):
        value = cell_value(raw)
        cell = sheet.cell(row=row_no, column=col)
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # openpyxl made text starting with "=" a formula
            cell.quotePrefix = value.startswith(FORMULA_STARTS)  # stays text when edited


def _table(sheet: Worksheet, columns: Columns, rows: Sequence[Row]) -> None:
    """Bold header, one line per row, column widths, the header frozen."""
    _write_row(sheet, 1, [header for header, _, _ in columns])
    for cell in sheet[1]:
        cell.font = HEADER_FONT
    for row_no, row in enumerate(rows, start=2):
        _write_row(sheet, row_no, [value(row) for _, _, value in columns])
    for col, (_, width, _) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = "A2"


def _findings(sheet: Worksheet, columns: Columns, rows: Sequence[Row]) -> None:
    """A table of report rows with an auto-filter; rows with a finding filled red, or yellow
    when a waiver covers them."""
    _table(sheet, columns, rows)
    for row_no, row in enumerate(rows, start=2):
        if is_noncompliant(row["verdict"]) or failed_rules(row):
            fill = WAIVED_FILL if row.get("waivers") else NONCOMPLIANT_FILL
            for cell in sheet[row_no]:
                cell.fill = fill
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"


def _summary(sheet: Worksheet, rows: Sequence[Row]) -> None:
    """One line per licence: its rows, then rows per verdict (the verdicts that occur), and
    how many carry a waiver; a last line ``all`` adds them up."""
    order = [*ROW_VERDICTS, "removed"]
    verdicts = sorted({r["verdict"] or "removed" for r in rows}, key=order.index)
    counted = ("rows", *verdicts, "waived")
    columns: Columns = (
        ("licence", 16, lambda s: s["license_no"]),
        ("company", 28, lambda s: s["company"]),
        ("licence status", 12, lambda s: s["license_status"]),
        *((name, max(8, len(name) + 2), lambda s, k=name: s[k]) for name in counted),
    )
    lines = []
    for license_no, group in groupby(rows, key=lambda r: r["license_no"]):
        members = list(group)
        line = {
            "license_no": license_no,
            "company": members[0]["company"],
            "license_status": members[0]["license_status"],
            "rows": len(members),
            "waived": sum(bool(r.get("waivers")) for r in members),
        }
        line.update({v: sum((r["verdict"] or "removed") == v for r in members) for v in verdicts})
        lines.append(line)
    total = {"license_no": "all", "company": None, "license_status": None}
    total.update({k: sum(line[k] for line in lines) for k in counted})
    _table(sheet, columns, [*lines, total])
    for cell in sheet[len(lines) + 2]:
        cell.font = HEADER_FONT


def report_xlsx(data: dict[str, Any], checks: Sequence[Row]) -> bytes:
    """The workbook for a ``report_json`` object: ``checks`` are the run's rows (the same
    filters applied); with ``data["changes"]``, ``data["rows"]`` are the changes."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEETS[0]
    _findings(sheet, COLUMNS, checks)
    _summary(book.create_sheet(SHEETS[1]), checks)
    if data["changes"]:
        _findings(book.create_sheet(SHEETS[2]), CHANGE_COLUMNS, data["rows"])
    run = data["run"]
    book.properties.title = cell_value(f"icpwatch report: run {run['id']}")
    book.properties.creator = "icpwatch"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
