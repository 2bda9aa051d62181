"""The report as text: the terminal table and CSV. Both carry text from crawled pages and licence
scans, so neither can be turned against its reader: CSV cells never start a formula, and the
table never passes on a control character."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from itertools import groupby
from typing import Any

import click

from crawler.check.outcome import CRAWL_VERDICTS
from crawler.report.queries import (
    CHANGE_KEYS,
    ROW_KEYS,
    failed_rules,
    flags,
    is_noncompliant,
    waiver_note,
)

SECTION_TITLES = {
    "newly_noncompliant": "Newly non-compliant",
    "newly_compliant": "Newly compliant",
    "changed": "Other changes",
}
_STATUS_COLOURS = {"valid": "green", "renewal_due": "yellow", "expired": "red"}
_SPACE = re.compile(r"\s+")

#: What makes a spreadsheet read a CSV cell as a formula (OWASP's CSV-injection list: ``=``,
#: ``+``, ``-``, ``@``, tab, CR), and the full-width ``＝＋－＠`` that a CJK input method may turn
#: into them: report text comes from the crawled pages and licence scans.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
#: C0, DEL and C1 controls (ESC starts colour, title and OSC 8 link sequences; U+009B is a
#: one-character CSI) become spaces; bidi embeddings, overrides, isolates and marks go.
_TERMINAL_UNSAFE = {
    **{c: " " for c in (*range(0x20), *range(0x7F, 0xA0))},
    **dict.fromkeys((0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))),
}


def csv_cell(value: Any) -> Any:
    """A report value as a CSV cell that a spreadsheet shows as text, never runs as a formula:
    text starting with a FORMULA_STARTS character gets a leading ``'``; numbers stay numbers,
    booleans become 0/1 and lists (the rule records) JSON text."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Iterable[dict[str, Any]], keys: Sequence[str]) -> str:
    """The ``--format csv`` text: a header of ``keys``, one line per row, each cell through
    :func:`csv_cell`. Python 3.11's writer quotes a cell only for the line terminator's own
    characters, so a lone CR in page text would split a record: each record is written with
    ``\\r\\n`` (quoting CR and LF alike) and ends with ``\\n``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    lines = []
    for values in (keys, *([csv_cell(row.get(k)) for k in keys] for row in rows)):
        out.seek(0)
        out.truncate()
        writer.writerow(values)
        lines.append(out.getvalue().removesuffix("\r\n"))
    return "\n".join(lines)


def terminal_text(text: str) -> str:
    """Page-derived ``text`` safe to print on a terminal: a crawled page must not be able to
    send escape sequences (colours, window titles, hyperlinks, a cleared screen) or reorder
    what is shown with bidi controls."""
    return text.translate(_TERMINAL_UNSAFE)


def _cells(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns (with …) and padded to exactly ``width``."""
    if _cells(text) > width:
        while text and _cells(text) > width - 1:
            text = text[:-1]
        text += "…"
    return text + " " * (width - _cells(text))


def _verdict_colour(verdict: str | None) -> str:
    if verdict == "compliant":
        return "green"
    if verdict in CRAWL_VERDICTS:
        return "yellow"  # no page to judge
    return "red" if is_noncompliant(verdict) else "bright_black"  # not checked, no domain…


def _detail(row: dict[str, Any]) -> str:
    names = flags(row)
    parts = [f"[{' '.join(names)}]"] if names else []
    parts += [f"[{waiver_note(w)}]" for w in row.get("waivers") or ()]
    if row["error"]:  # what went wrong with the fetch first: the rules come after it
        parts.append(row["error"])
    elif row["offsite_redirect"]:
        parts.append(f"→ {row['final_url']}")
    failed = failed_rules(row)
    if failed:
        parts.append(f"fails {','.join(failed)}")
    if row["evidence_snippet"]:
        parts.append(row["evidence_snippet"])
    return _SPACE.sub(" ", terminal_text("  ".join(parts)))


def report_table(data: dict[str, Any], width: int) -> str:
    run, rows, with_changes = data["run"], data["rows"], data["changes"]
    started = run["started_at"][:16].replace("T", " ")
    heading = f"Run {run['id']} ({run['status']}), started {started} UTC"
    if run["chain"][1:]:
        heading += f", continuing run(s) {', '.join(map(str, run['chain'][1:]))}"
    if with_changes:
        previous = data["previous_run"]
        heading += f": changes since run {previous['id']}" if previous else ": no earlier run"
    lines = [click.style(heading, bold=True)]
    if not rows:
        lines.append("No changes." if with_changes else "No rows.")
        return "\n".join(lines)

    def verdict_text(row: dict[str, Any]) -> str:
        now = row["verdict"] or "removed"
        return f"{row['previous_verdict'] or '—'} → {now}" if with_changes else now

    host_w = min(34, max(_cells(r["host"] or "—") for r in rows))
    verdict_w = max(_cells(verdict_text(r)) for r in rows)
    detail_w = max(10, width - (2 + host_w + 1 + verdict_w + 1 + 11 + 1))

    def section(part: list[dict[str, Any]]) -> None:
        for license_no, group in groupby(part, key=lambda r: r["license_no"]):
            members = list(group)
            first = members[0]
            status = first["license_status"]
            lines.append(
                f"{click.style(license_no, bold=True)}  {terminal_text(first['company'] or '?')}  "
                + click.style(status, fg=_STATUS_COLOURS.get(status, "bright_black"))
                + f" · expires {first['expires_on'] or '?'}"
            )
            for row in members:
                checked = (row["checked_at"] or "")[5:16].replace("T", " ")
                lines.append(
                    f"  {_fit(row['host'] or '—', host_w)} "
                    + click.style(
                        _fit(verdict_text(row), verdict_w), fg=_verdict_colour(row["verdict"])
                    )
                    + f" {_fit(checked, 11)} {_fit(_detail(row), detail_w).rstrip()}"
                )

    if with_changes:
        for kind, part in groupby(rows, key=lambda r: r["change"]):
            part = list(part)
            lines.append(click.style(f"{SECTION_TITLES[kind]} ({len(part)})", underline=True))
            section(part)
    else:
        section(rows)
    lines.append(
        " · ".join(
            click.style(f"{v} {n}", fg=_verdict_colour(None if v == "removed" else v))
            for v, n in data["summary"].items()
        )
    )
    return "\n".join(lines)


def report_csv(data: dict[str, Any]) -> str:
    """The ``--format csv`` text of a report."""
    return csv_text(data["rows"], ROW_KEYS + (CHANGE_KEYS if data["changes"] else ()))
