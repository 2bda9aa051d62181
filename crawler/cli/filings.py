"""``icpwatch filings import|add|list``: what each site's footer should show, from registry
exports (CSV, JSON, ICP_Query look-ups), so ICP003 can compare it with the page.

Exit codes: 0 every record stored; 1 some lines were bad (the good ones are stored, each bad one
is named on stderr); 2 usage errors: an unreadable file or an unknown file type (nothing
stored), a bad host or filing number given to ``add``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from crawler.cli.common import EXIT_FAILED, EXIT_USAGE, open_db
from crawler.licences.document_file import UnreadableDocument, read_document
from crawler.licences.domains import InvalidDomain, normalise_host
from crawler.store.filings import (
    MAX_EXPORT_BYTES,
    BadFiling,
    FilingRecord,
    UnreadableExport,
    canonical_filing,
    canonical_police,
    list_filings,
    read_filings,
    save_filings,
)


@click.group("filings")
def filings() -> None:
    """Expected ICP and police filing numbers per host (ICP003 compares the page with them)."""


@filings.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def import_(ctx: click.Context, file: str) -> None:
    """Read FILE (CSV: domain,filing[,police], with or without a header; JSON: a list of
    records, or ICP_Query's look-up answer) and store one row per host; a later import wins."""
    try:
        data = read_document(Path(file), MAX_EXPORT_BYTES)
        records, problems = read_filings(data, file)
    except (OSError, UnreadableDocument, UnreadableExport) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        click.echo(f"error: {file}: {reason}", err=True)
        ctx.exit(EXIT_USAGE)
    stored = save_filings(open_db(ctx), records, file) if records else 0
    for problem in problems:
        click.echo(f"error: {file}: {problem.where}: {problem.reason}", err=True)
    click.echo(f"imported {stored} filing(s) from {file}, {len(problems)} bad")
    ctx.exit(EXIT_FAILED if problems else 0)


@filings.command("add")
@click.argument("host")
@click.argument("filing")
@click.option("--police", metavar="NUMBER", help="Public-security filing, e.g. 京公网安备…号.")
@click.option("--unit", metavar="NAME", help="主办单位 (the filing's unit name).")
@click.pass_context
def add(ctx: click.Context, host: str, filing: str, police: str | None, unit: str | None) -> None:
    """Set HOST's expected FILING (e.g. 京ICP备12345678号-1) by hand."""
    try:
        name = normalise_host(host).host
    except InvalidDomain as exc:
        raise click.BadParameter(str(exc), param_hint="HOST") from None
    try:
        record = FilingRecord(
            name, canonical_filing(filing), canonical_police(police) if police else None, unit
        )
    except BadFiling as exc:
        raise click.BadParameter(str(exc)) from None
    save_filings(open_db(ctx), [record], "manual")
    police_text = f" {record.police}" if record.police else ""
    click.echo(f"stored     {record.host} {record.filing}{police_text}")


@filings.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON list of the rows.")
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """Every host's expected filings."""
    db = open_db(ctx, write=False)
    rows = list_filings(db) if db["filings"].exists() else []
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        police = row["police"] or "-"
        click.echo(f"{row['host']}  {row['filing']}  {police}  {row['unit_name'] or ''}".rstrip())
