"""``icpwatch domains add|remove|import|export``: websites a user knows but the document does
not list, one at a time or as a list file (one host per line, or CSV / XLSX with a ``domain``
column).

``import`` exit codes: 0 every line stored; 1 some lines were bad (each named on stderr; the good
ones are stored, except with ``--replace``, which changes nothing unless every line is good) or
the licence is unknown; 2 a file that is no list (unreadable, binary, no ``domain`` column).
"""

from __future__ import annotations

from pathlib import Path

import click

from crawler.cli.common import EXIT_FAILED, EXIT_USAGE, open_db, parse_number_arg
from crawler.licences.document_file import UnreadableDocument, read_document
from crawler.licences.domain_lists import (
    MAX_LIST_BYTES,
    DomainList,
    UnreadableList,
    parse_domain_list,
)
from crawler.licences.domains import Host, InvalidDomain, normalise_host
from crawler.licences.store import (
    UnknownDomain,
    UnknownLicence,
    active_domains,
    add_manual_domains,
    remove_domains,
    replace_manual_domains,
)
from crawler.report.text import csv_text

EXPORT_COLUMNS = ("domain", "license_no", "source", "site_name")


@click.group("domains")
def domains() -> None:
    """Add, remove, import or export the domains kept beside the document's (source 'manual')."""


def _hosts(tokens: tuple[str, ...]) -> list[Host]:
    try:
        return [normalise_host(t) for t in tokens]
    except InvalidDomain as exc:
        raise click.BadParameter(str(exc), param_hint="DOMAIN") from None


def _run(ctx: click.Context, number: str, tokens: tuple[str, ...], action, verb: str) -> None:
    license_no, hosts = parse_number_arg(number), _hosts(tokens)
    try:
        changed = action(open_db(ctx, create=False), license_no, hosts)
    except UnknownLicence as exc:
        click.echo(f"error: {exc}", err=True)
        ctx.exit(1)
    except UnknownDomain as exc:
        raise click.BadParameter(str(exc), param_hint="DOMAIN") from None
    for h in hosts:
        click.echo(f"{verb if h.host in changed else 'unchanged':<10} {license_no} {h.host}")


@domains.command("add")
@click.argument("number")
@click.argument("domain", nargs=-1, required=True)
@click.pass_context
def add(ctx: click.Context, number: str, domain: tuple[str, ...]) -> None:
    """Add DOMAIN… to licence NUMBER as manual entries."""
    _run(ctx, number, domain, add_manual_domains, "added")


@domains.command("remove")
@click.argument("number")
@click.argument("domain", nargs=-1, required=True)
@click.pass_context
def remove(ctx: click.Context, number: str, domain: tuple[str, ...]) -> None:
    """Mark DOMAIN… of licence NUMBER removed (rows and history are kept)."""
    _run(ctx, number, domain, remove_domains, "removed")


def _read_list(ctx: click.Context, file: str) -> DomainList:
    try:
        return parse_domain_list(read_document(Path(file), MAX_LIST_BYTES), file)
    except (OSError, UnreadableDocument, UnreadableList) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        click.echo(f"error: {file}: {reason}", err=True)
        ctx.exit(EXIT_USAGE)


def _report_lines(file: str, found: DomainList) -> None:
    """Every bad line as an error, every duplicate host once as a note (stderr)."""
    for bad in found.bad:
        click.echo(f"error: {file}: {found.unit} {bad.line}: {bad.reason}", err=True)
    for dup in found.duplicates:
        lines = ", ".join(map(str, dup.lines))
        click.echo(
            f"note: {file}: {dup.host} is listed {len(dup.lines)} times "
            f"({found.unit}s {lines}); stored once",
            err=True,
        )


@domains.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--license", "number", required=True, metavar="NUMBER", help="The licence.")
@click.option(
    "--replace",
    is_flag=True,
    help="Make the licence's manual domains exactly the file's (the others are marked "
    "removed; the document's own domains always stay). Nothing changes if any line is bad.",
)
@click.pass_context
def import_(ctx: click.Context, file: str, number: str, replace: bool) -> None:
    """Add the hosts in FILE to licence NUMBER as manual entries: a text file with one host
    per line (# comments), or CSV / XLSX with a 'domain' column."""
    license_no = parse_number_arg(number)
    found = _read_list(ctx, file)
    _report_lines(file, found)
    if replace and found.bad:
        click.echo(
            f"nothing changed: --replace stores {file} only when every {found.unit} is good "
            f"({len(found.bad)} bad)",
            err=True,
        )
        ctx.exit(EXIT_FAILED)
    db = open_db(ctx, create=False)
    try:
        if replace:
            done = replace_manual_domains(db, license_no, list(found.hosts))
            added, removed, kept = done.added, done.removed, done.kept
        else:
            added = tuple(add_manual_domains(db, license_no, list(found.hosts)))
            removed, kept = (), ()
    except UnknownLicence as exc:
        click.echo(f"error: {exc}", err=True)
        ctx.exit(EXIT_FAILED)
    for h in found.hosts:
        click.echo(f"{'added' if h.host in added else 'unchanged':<10} {license_no} {h.host}")
    for host in removed:
        click.echo(f"{'removed':<10} {license_no} {host}")
    if kept:
        click.echo(
            f"kept {len(kept)} domain(s) of the licence document that {file} leaves out "
            "(--replace changes manual domains only)"
        )
    click.echo(
        f"{file}: {len(found.hosts)} domain(s), {len(added)} added, {len(removed)} removed, "
        f"{len(found.bad)} bad {found.unit}(s)"
    )
    ctx.exit(EXIT_FAILED if found.bad else 0)


@domains.command("export")
@click.option("--license", "number", metavar="NUMBER", help="Only this licence's domains.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["txt", "csv"]),
    default="txt",
    show_default=True,
    help="txt: one host per line; csv: domain, license_no, source, site_name.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here, not stdout.")
@click.pass_context
def export(ctx: click.Context, number: str | None, fmt: str, output: str | None) -> None:
    """Write the active domains in the form `domains import` reads."""
    license_no = parse_number_arg(number) if number else None
    try:
        rows = active_domains(open_db(ctx, write=False), license_no)
    except UnknownLicence as exc:
        click.echo(f"error: {exc}", err=True)
        ctx.exit(EXIT_FAILED)
    if fmt == "csv":
        text = csv_text(({**r, "domain": r["host"]} for r in rows), EXPORT_COLUMNS) + "\n"
    else:
        lines, current = [], None
        for r in rows:
            if r["license_no"] != current:
                current = r["license_no"]
                lines.append(f"# {current}")
            lines.append(r["host"])
        text = "".join(f"{line}\n" for line in lines)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        click.echo(f"error: cannot write {output}: {exc.strerror or exc}", err=True)
        ctx.exit(EXIT_FAILED)
    click.echo(f"wrote {output} ({len(rows)} domain(s))", err=True)
