"""``icpwatch licenses load|list|show`` (alias ``licences``): documents in, JSON out."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import click

from crawler.cli.common import open_db, parse_number_arg
from crawler.licence_parser import NotALicence, parse_licence
from crawler.licence_store import licences_json, save_licence

DOCUMENT_SUFFIXES = (".txt", ".md", ".markdown")


@click.group("licenses")
def licenses() -> None:
    """Load licence documents and read them back."""


def _documents(paths: tuple[str, ...]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES
            )
        else:
            found.append(path)  # named explicitly: try it whatever its suffix
    return found


@licenses.command("load")
@click.argument("paths", nargs=-1, required=True)
@click.pass_context
def load(ctx: click.Context, paths: tuple[str, ...]) -> None:
    """Load licence documents (files, or folders of *.txt / *.md)."""
    db = open_db(ctx)
    failed = 0
    documents = _documents(paths)
    if not documents:
        raise click.UsageError(f"no *.txt or *.md documents under {', '.join(paths)}")
    for path in documents:
        try:
            data = path.read_bytes()
            licence = parse_licence(data)
        except (OSError, NotALicence) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            click.echo(f"FAILED     {path}: {reason}", err=True)
            failed += 1
            continue
        outcome = save_licence(db, licence, str(path), hashlib.sha256(data).hexdigest())
        warnings = f"; warnings: {' | '.join(licence.warnings)}" if licence.warnings else ""
        click.echo(
            f"{outcome:<10} {path}: {licence.license_no} {licence.company or '?'}, "
            f"{len(licence.websites)} domain(s){warnings}"
        )
    ctx.exit(1 if failed else 0)


@licenses.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of licence objects.")
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """All licences with their validity status."""
    items = licences_json(open_db(ctx), date.today())
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for item in items:
        active = sum(d["active"] for d in item["domains"])
        click.echo(
            f"{item['license_no']:<20} {item['status']:<12} {item['expires_on'] or '?':<10} "
            f"{active:>3} domain(s)  {item['company'] or '?'}"
        )


@licenses.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="Print the licence as a JSON object.")
@click.pass_context
def show(ctx: click.Context, number: str, as_json: bool) -> None:
    """One licence, with its domains, services and warnings."""
    license_no = parse_number_arg(number)
    items = licences_json(open_db(ctx), date.today(), license_no)
    if not items:
        click.echo(f"error: licence {license_no} is not in the database", err=True)
        ctx.exit(1)
    item = items[0]
    if as_json:
        click.echo(json.dumps(item, ensure_ascii=False, indent=2))
        return
    for key in ("license_no", "company", "legal_rep", "issued_on", "expires_on", "status"):
        raw = item.get(key.replace("_on", "_raw")) if key.endswith("_on") else None
        shown = item[key] or "?"
        click.echo(f"{key:<12} {shown}" + (f"  (printed: {raw})" if raw else ""))
    for s in item["services"]:
        scope = f" ({s['scope']})" if s["scope"] else ""
        click.echo(f"service      {s['code'] or '?'} {s['name']}{scope}")
    for d in item["domains"]:
        state = "" if d["active"] else " [removed]"
        click.echo(
            f"domain       {d['host']} ({d['source']}, {','.join(d['services']) or '-'}){state}"
        )
    for w in item["warnings"]:
        click.echo(f"warning      {w}")
