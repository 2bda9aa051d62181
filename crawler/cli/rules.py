"""``icpwatch rules off|on|list``: per-licence switches for rules that do not apply to its sites.
BIZ001 binds e-commerce operators only, so it is off unless switched on. A rule switched off
reports ``not_applicable``.

Exit codes: 0 done; 1 the licence is not in the database; 2 usage errors (a malformed licence
number, an unknown rule code).
"""

from __future__ import annotations

import json

import click
from sqlite_utils import Database

from crawler.check.rules import DEFAULT_OFF
from crawler.cli.common import EXIT_FAILED, open_db, parse_number_arg
from crawler.store.filings import (
    UnknownRule,
    check_codes,
    known_rule_codes,
    list_switches,
    switch,
)


@click.group("rules")
def rules() -> None:
    """Switch footer rules off (or on again) for a licence; list the switches."""


def _codes(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple:
    try:
        return check_codes(n for v in values for n in v.split(",") if n.strip())
    except UnknownRule as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def _licence(ctx: click.Context, number: str) -> tuple[Database, str]:
    license_no = parse_number_arg(number)
    db = open_db(ctx, create=False)
    if not db["licenses"].count_where("license_no = ?", [license_no]):
        click.echo(f"error: licence {license_no} is not in the database", err=True)
        ctx.exit(EXIT_FAILED)
    return db, license_no


@rules.command("off")
@click.argument("number")
@click.argument("code", nargs=-1, required=True, callback=_codes)
@click.option("--by", metavar="NAME", help="Who decided (kept with the switch).")
@click.option("--why", metavar="TEXT", help="Why the rule does not apply (kept with the switch).")
@click.pass_context
def off(
    ctx: click.Context, number: str, code: tuple[str, ...], by: str | None, why: str | None
) -> None:
    """Switch rule CODE… off for licence NUMBER (e.g. rules off 京B2-20252223 BIZ001)."""
    db, license_no = _licence(ctx, number)
    changed = switch(db, license_no, code, "off", by=by, why=why)
    for c in code:
        click.echo(f"{'off' if c in changed else 'unchanged':<10} {license_no} {c}")


@rules.command("on")
@click.argument("number")
@click.argument("code", nargs=-1, required=True, callback=_codes)
@click.option("--by", metavar="NAME", help="Who decided (kept with the switch).")
@click.option("--why", metavar="TEXT", help="Why the rule applies (kept with the switch).")
@click.pass_context
def on(
    ctx: click.Context, number: str, code: tuple[str, ...], by: str | None, why: str | None
) -> None:
    """Switch rule CODE… on for licence NUMBER (e.g. rules on 京B2-20252223 BIZ001 for an
    e-commerce operator: BIZ001 is off unless switched on)."""
    db, license_no = _licence(ctx, number)
    changed = switch(db, license_no, code, "on", by=by, why=why)
    for c in code:
        click.echo(f"{'on' if c in changed else 'unchanged':<10} {license_no} {c}")


@rules.command("list")
@click.argument("number", required=False)
@click.option("--json", "as_json", is_flag=True, help="One JSON list of the switches.")
@click.pass_context
def list_(ctx: click.Context, number: str | None, as_json: bool) -> None:
    """The switches (for licence NUMBER, or every licence), the known codes and the defaults."""
    license_no = parse_number_arg(number) if number else None
    db = open_db(ctx, write=False)
    rows = list_switches(db, license_no) if db["rule_switches"].exists() else []
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    defaults = " ".join(sorted(DEFAULT_OFF))
    click.echo(f"rules: {' '.join(known_rule_codes())}; off unless switched on: {defaults}")
    if not rows:
        click.echo("no licence has a switch")
    for row in rows:
        detail = " · ".join(x for x in (row["by"], row["why"]) if x)
        line = f"{row['license_no']}  {row['code']}  {row['state']} since {row['since'][:10]}"
        click.echo(f"{line}  {detail}".rstrip())
