"""``icpwatch report``: the latest finished run (or ``--run``) as a table, CSV, JSON or HTML; only
what changed with ``--changes``; exit 1 on ``--fail-on`` for cron and CI alerting.

Exit codes: 0 nothing matched ``--fail-on`` (or no ``--fail-on``), 1 a row matched or there is no
finished run yet, 2 usage error (bad option value, unknown licence or run). A failing
``--webhook`` only warns: it never changes the exit code.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date
from itertools import groupby
from typing import Any

import click

from crawler.cli.common import open_db, parse_number_arg
from crawler.licence_store import now
from crawler.page_outcome import CRAWL_VERDICTS
from crawler.report import (
    CHANGE_KEYS,
    FAIL_CONDITIONS,
    ROW_KEYS,
    ROW_VERDICTS,
    NoRun,
    changes,
    failing,
    filter_rows,
    flags,
    get_run,
    history,
    is_noncompliant,
    previous_run,
    report_csv,
    report_json,
    report_rows,
    terminal_text,
)
from crawler.report_html import render
from crawler.validity import STATUSES
from crawler.webhook import WebhookError, check_url, post_json

FORMATS = ("table", "csv", "json", "html")
EXIT_OK, EXIT_MATCHED, EXIT_USAGE = 0, 1, 2
SQLITE_MAX_INTEGER = 2**63 - 1  # a larger --run cannot even be looked up
HISTORY_RUNS = 30  # runs in the HTML report's per-domain strip
SECTION_TITLES = {
    "newly_noncompliant": "Newly non-compliant",
    "newly_compliant": "Newly compliant",
    "changed": "Other changes",
}
_STATUS_COLOURS = {"valid": "green", "renewal_due": "yellow", "expired": "red"}
_SPACE = re.compile(r"\s+")


def _names(allowed: Sequence[str]) -> Callable[[click.Context, click.Parameter, Any], tuple]:
    """A callback for repeatable options that also take comma lists (``--fail-on a,b``)."""

    def parse(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple:
        names = tuple(n.strip() for v in values for n in v.split(",") if n.strip())
        for name in names:
            if name not in allowed:
                raise click.BadParameter(f"{name!r}: expected one of {', '.join(allowed)}")
        return names

    return parse


def _output_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse an empty output path, or one whose folder is missing, before building the report."""
    if value is None:
        return None
    if not value.strip():
        raise click.BadParameter("an empty path")
    if not os.path.isdir(os.path.dirname(value) or "."):
        raise click.BadParameter(f"{value!r}: folder does not exist")
    return value


# --- the terminal table -----------------------------------------------------------------


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
    if row["error"]:
        parts.append(row["error"])
    elif row["offsite_redirect"]:
        parts.append(f"→ {row['final_url']}")
    if row["evidence_snippet"]:
        parts.append(row["evidence_snippet"])
    return _SPACE.sub(" ", terminal_text("  ".join(parts)))


def _table(data: dict[str, Any], width: int) -> str:
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


def _csv(data: dict[str, Any]) -> str:
    return report_csv(data["rows"], ROW_KEYS + (CHANGE_KEYS if data["changes"] else ()))


# --- the command ------------------------------------------------------------------------


@click.command("report")
@click.option(
    "--run",
    "run_id",
    type=click.IntRange(min=1, max=SQLITE_MAX_INTEGER),
    metavar="ID",
    help="Report on this run (default: the latest finished run).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table (coloured on a terminal), csv, json or html (one self-contained file).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    callback=_output_file,
    help="Write the report to this file instead of stdout.",
)
@click.option(
    "--verdict",
    "verdicts",
    multiple=True,
    metavar="VERDICT",
    callback=_names(ROW_VERDICTS),
    help="Only rows with these verdicts (repeatable or comma-separated).",
)
@click.option(
    "--license",
    "licences",
    multiple=True,
    metavar="NUMBER",
    help="Only these licences (repeatable).",
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    metavar="STATUS",
    callback=_names(STATUSES),
    help=f"Only licences with this status: {', '.join(STATUSES)}.",
)
@click.option(
    "--changes",
    "changes_only",
    is_flag=True,
    help="Only what changed since the finished run before: newly non-compliant first.",
)
@click.option(
    "--fail-on",
    "fail_on",
    multiple=True,
    metavar="CONDITION",
    callback=_names(FAIL_CONDITIONS),
    help="Exit 1 when a shown row matches: noncompliant, a verdict, or a licence status "
    "(repeatable or comma-separated).",
)
@click.option(
    "--webhook",
    metavar="URL",
    help="POST the report as JSON to this URL when it has rows; a failure only warns.",
)
@click.pass_context
def report(
    ctx: click.Context,
    run_id: int | None,
    fmt: str,
    output: str | None,
    verdicts: tuple[str, ...],
    licences: tuple[str, ...],
    statuses: tuple[str, ...],
    changes_only: bool,
    fail_on: tuple[str, ...],
    webhook: str | None,
) -> None:
    """What the last crawl found, per licence and domain (docs/queries.md)."""
    if webhook:
        try:
            check_url(webhook)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--webhook") from None
    db = open_db(ctx, write=False)
    numbers = tuple(parse_number_arg(n) for n in licences)
    for number in numbers:
        if not db["licenses"].count_where("license_no = ?", [number]):
            raise click.UsageError(f"licence {number} is not in the database")
    try:
        run = get_run(db, run_id)
    except NoRun as exc:
        if run_id is not None:
            raise click.UsageError(str(exc)) from None
        click.echo(f"error: {exc}", err=True)
        ctx.exit(EXIT_MATCHED)
    today = date.today()
    rows = report_rows(db, run, today, known=changes_only)
    previous = None
    if changes_only:  # each domain against what was known of it at the previous run
        previous = previous_run(db, run)
        rows = changes(rows, report_rows(db, previous, today, known=True) if previous else [])
    rows = filter_rows(rows, verdicts, numbers, statuses)
    data = report_json(run, rows, now(), previous, changes_only)

    if fmt == "html":
        text = render(data, history(db, run, HISTORY_RUNS))
    elif fmt == "json":
        text = json.dumps(data, ensure_ascii=False, indent=2)
    elif fmt == "csv":
        text = _csv(data)
    else:
        text = _table(data, shutil.get_terminal_size((100, 24)).columns)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as stream:
                click.echo(text, file=stream)
        except OSError as exc:  # a full disk, a folder that went away: one line, exit 1
            click.echo(f"error: cannot write {output}: {exc.strerror or exc}", err=True)
            ctx.exit(1)
        click.echo(f"wrote {output} ({len(rows)} row(s))", err=True)
    else:
        click.echo(text)

    if webhook and rows:
        try:
            status = post_json(webhook, data)
            click.echo(f"webhook: posted {len(rows)} row(s), HTTP {status}", err=True)
        except WebhookError as exc:
            click.echo(f"warning: webhook failed: {exc}", err=True)
    matched = failing(rows, fail_on)
    if matched:
        click.echo(
            f"--fail-on {','.join(fail_on)}: {len(matched)} row(s) match, exiting 1", err=True
        )
    ctx.exit(EXIT_MATCHED if matched else EXIT_OK)
