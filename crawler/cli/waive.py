"""``icpwatch waive add|list|revoke``: a known finding stops alarming until an agreed date (a
rectification notice's deadline). The finding stays in ``checks``; reports show the waiver next
to it and ``--fail-on`` skips it until the date, then it alarms again. Adding and revoking are
append-only events with who, when and why (docs/queries.md).

Exit codes: 0 done; 2 usage errors (a bad host, date or licence number, a past date, a licence
not in the database, an unknown verdict or rule code, an unknown or already revoked waiver).
"""

from __future__ import annotations

import getpass
import json
from typing import NoReturn

import click

from crawler.check.finding import Verdict
from crawler.cli.common import EXIT_USAGE, open_db
from crawler.licences.numbers import InvalidLicenceNumber, canonical
from crawler.report.queries import VERDICTS
from crawler.report.text import terminal_text
from crawler.store.database import today
from crawler.store.filings import UnknownRule, check_codes
from crawler.store.waivers import (
    ACTIVE,
    Waiver,
    WaiverError,
    add_waiver,
    list_waivers,
    normalised_host,
    parse_until,
    revoke_waiver,
)

#: A waiver names a finding: any verdict but compliant.
WAIVABLE_VERDICTS = tuple(v for v in VERDICTS if v != Verdict.COMPLIANT)


@click.group("waive")
def waive() -> None:
    """Waive a known finding until a date, list waivers, revoke one (all kept for audit)."""


def _fail(ctx: click.Context, message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    ctx.exit(EXIT_USAGE)
    raise AssertionError  # ctx.exit raised


def _user(ctx: click.Context, by: str | None) -> str:
    """``--by``, or the operating-system user running the command."""
    if by is not None:
        return by
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no $USER / LOGNAME and no passwd entry (some containers)
        _fail(ctx, "cannot tell who you are: give --by NAME")


def _describe(w: Waiver) -> str:
    named = f"verdict {w.verdict}" if w.verdict else f"rule {w.rule}" if w.rule else "any finding"
    return f"{w.host} ({w.license_no or 'any licence'}, {named}) until {w.until}"


@waive.command("add")
@click.argument("host")
@click.option("--license", "licence", metavar="NUMBER", help="Only this licence's row of HOST.")
@click.option("--verdict", metavar="VERDICT", help="Only this verdict (e.g. missing).")
@click.option("--rule", metavar="CODE", help="Only this failed rule (e.g. PSB002).")
@click.option(
    "--until",
    required=True,
    metavar="YYYY-MM-DD",
    help="Last day the waiver holds (inclusive, local date).",
)
@click.option("--reason", required=True, metavar="TEXT", help="Why (kept for the audit trail).")
@click.option("--by", metavar="NAME", help="Who decided (default: the operating-system user).")
@click.pass_context
def add(
    ctx: click.Context,
    host: str,
    licence: str | None,
    verdict: str | None,
    rule: str | None,
    until: str,
    reason: str,
    by: str | None,
) -> None:
    """Waive HOST's finding (a verdict, a failed rule, or any) until a date."""
    try:
        license_no = canonical(licence) if licence is not None else None
        if verdict is not None and verdict not in WAIVABLE_VERDICTS:
            raise WaiverError(
                f"--verdict {verdict!r}: expected one of {', '.join(WAIVABLE_VERDICTS)}"
            )
        code = check_codes([rule])[0] if rule is not None else None
        normalised_host(host)  # a bad host is named before the database is opened
        day = parse_until(until)
    except (InvalidLicenceNumber, UnknownRule, WaiverError) as exc:
        _fail(ctx, str(exc))
    who = _user(ctx, by)
    db = open_db(ctx, create=False)
    try:
        waiver = add_waiver(
            db,
            host,
            license_no=license_no,
            verdict=verdict,
            rule=code,
            until=day,
            reason=reason,
            by=who,
            today=today(),
        )
    except WaiverError as exc:
        _fail(ctx, str(exc))
    if not db["domains"].count_where("host = ?", [waiver.host]):
        click.echo(f"note: no domain {waiver.host} in the database (yet)", err=True)
    click.echo(f"added waiver {waiver.id}: {terminal_text(_describe(waiver))}")


@waive.command("list")
@click.option("--all", "show_all", is_flag=True, help="Expired and revoked waivers too.")
@click.option("--json", "as_json", is_flag=True, help="JSON records with their status.")
@click.pass_context
def list_(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """The active waivers (with --all: every waiver and its status)."""
    day = today()
    waivers = [
        w for w in list_waivers(open_db(ctx, write=False)) if show_all or w.state(day) == ACTIVE
    ]
    if as_json:
        records = [{**w.as_json(), "status": w.state(day)} for w in waivers]
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    if not waivers:
        click.echo("No waivers." if show_all else "No active waivers.")
    for w in waivers:
        line = f"{w.id:>4}  {w.state(day):<7}  {_describe(w)}  by {w.by}: {w.reason}"
        if w.revoked_at:
            line += f"  [revoked {w.revoked_at[:10]} by {w.revoked_by}: {w.revoke_reason}]"
        click.echo(terminal_text(line))


@waive.command("revoke")
@click.argument("waiver_id", metavar="ID", type=click.IntRange(min=1, max=2**63 - 1))
@click.option("--reason", required=True, metavar="TEXT", help="Why (kept for the audit trail).")
@click.option("--by", metavar="NAME", help="Who decided (default: the operating-system user).")
@click.pass_context
def revoke(ctx: click.Context, waiver_id: int, reason: str, by: str | None) -> None:
    """End waiver ID now (the waiver stays on record, with the revocation)."""
    who = _user(ctx, by)
    try:
        waiver = revoke_waiver(open_db(ctx, create=False), waiver_id, reason=reason, by=who)
    except WaiverError as exc:
        _fail(ctx, str(exc))
    click.echo(f"revoked waiver {waiver.id}: {terminal_text(_describe(waiver))}")
