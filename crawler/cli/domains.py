"""``icpwatch domains add|remove``: websites a user knows but the document does not list."""

from __future__ import annotations

import click

from crawler.cli.common import open_db, parse_number_arg
from crawler.licences.domains import Host, InvalidDomain, normalise_host
from crawler.licences.store import (
    UnknownDomain,
    UnknownLicence,
    add_manual_domains,
    remove_domains,
)


@click.group("domains")
def domains() -> None:
    """Add or remove domains by hand (kept apart from the document's, as source 'manual')."""


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
