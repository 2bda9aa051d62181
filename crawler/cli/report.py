"""``icpwatch report``: the latest finished run (or ``--run``) as a table, CSV, JSON, HTML or
an Excel workbook; only what changed with ``--changes``; exit 1 on ``--fail-on`` for cron and
CI alerting; waived findings are shown with their waiver and do not fail.

Exit codes: 0 nothing matched ``--fail-on`` (or no ``--fail-on``), 1 a row matched or there is no
finished run yet, 2 usage error (bad option value, unknown licence or run). A failing
``--webhook`` only warns: it never changes the exit code.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from typing import Any

import click

from crawler.cli.common import open_db, parse_number_arg
from crawler.licences.validity import STATUSES
from crawler.report.html import render
from crawler.report.queries import (
    ROW_VERDICTS,
    NoRun,
    changes,
    condition_names,
    failing,
    filter_rows,
    get_run,
    history,
    is_rule_condition,
    previous_run,
    report_json,
    report_rows,
)
from crawler.report.text import report_csv, report_table
from crawler.report.webhook import WebhookError, check_url, post_json
from crawler.report.xlsx import report_xlsx
from crawler.store.database import now, today
from crawler.store.filings import known_rule_codes

FORMATS = ("table", "csv", "json", "html", "xlsx")
EXIT_OK, EXIT_MATCHED, EXIT_USAGE = 0, 1, 2
SQLITE_MAX_INTEGER = 2**63 - 1  # a larger --run cannot even be looked up
HISTORY_RUNS = 30  # runs in the HTML report's per-domain strip


def _names(
    allowed: Sequence[str] | Callable[[], Sequence[str]],
    rules: bool = False,
) -> Callable[[click.Context, click.Parameter, Any], tuple]:
    """A callback for repeatable options that also take comma lists (``--fail-on a,b``).
    ``rules``: a rule code or a pattern of codes (``ICP*``, any case) is a name too."""

    def parse(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple:
        names = tuple(n.strip() for v in values for n in v.split(",") if n.strip())
        known = allowed() if callable(allowed) else allowed
        result = []
        for name in names:
            if name in known:
                result.append(name)
            elif rules and is_rule_condition(name):
                result.append(name.upper())
            else:
                raise click.BadParameter(f"{name!r}: expected one of {', '.join(known)}")
        return tuple(result)

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
    help="table (coloured on a terminal), csv, json, html (one self-contained file) or xlsx "
    "(an Excel workbook: needs -o).",
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
    callback=_names(condition_names, rules=True),
    help="Exit 1 when a shown row matches: noncompliant, a verdict, a licence status, or a "
    "rule code its check failed (ICP002, or a pattern such as ICP*; repeatable or "
    "comma-separated).",
)
@click.option(
    "--rules",
    "rule_patterns",
    multiple=True,
    metavar="PATTERN",
    callback=_names(known_rule_codes, rules=True),
    help="Only rows whose check failed a rule matching PATTERN (a code, or ICP*; repeatable or "
    "comma-separated).",
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
    rule_patterns: tuple[str, ...],
    webhook: str | None,
) -> None:
    """What the last crawl found, per licence and domain (docs/queries.md)."""
    if fmt == "xlsx" and not output:  # a binary file is no terminal output
        click.echo("error: --format xlsx writes a workbook: give -o FILE.xlsx", err=True)
        ctx.exit(EXIT_USAGE)
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
    day = today()
    rows = report_rows(db, run, day, known=changes_only)
    previous = None
    if changes_only:  # each domain against what was known of it at the previous run
        previous = previous_run(db, run)
        rows = changes(rows, report_rows(db, previous, day, known=True) if previous else [])
    rows = filter_rows(rows, verdicts, numbers, statuses, rule_patterns)
    data = report_json(run, rows, now(), previous, changes_only)

    content: str | bytes
    if fmt == "xlsx":  # sheet "checks" is the whole run even with --changes
        run_rows = report_rows(db, run, day) if changes_only else rows
        checks = filter_rows(run_rows, verdicts, numbers, statuses, rule_patterns)
        content = report_xlsx(data, checks)
    elif fmt == "html":
        content = render(data, history(db, run, HISTORY_RUNS))
    elif fmt == "json":
        content = json.dumps(data, ensure_ascii=False, indent=2)
    elif fmt == "csv":
        content = report_csv(data)
    else:
        content = report_table(data, shutil.get_terminal_size((100, 24)).columns)
    if output:
        try:
            if isinstance(content, bytes):
                with open(output, "wb") as binary:
                    binary.write(content)
            else:
                with open(output, "w", encoding="utf-8") as stream:
                    click.echo(content, file=stream)
        except OSError as exc:  # a full disk, a folder that went away: one line, exit 1
            click.echo(f"error: cannot write {output}: {exc.strerror or exc}", err=True)
            ctx.exit(1)
        click.echo(f"wrote {output} ({len(rows)} row(s))", err=True)
    else:
        click.echo(content)

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
