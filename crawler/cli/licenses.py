"""``icpwatch licenses load|list|show`` (alias ``licences``): documents in, JSON out."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import click

from crawler.cli.common import open_db, parse_number_arg
from crawler.licences.document_file import UnreadableDocument, read_document
from crawler.licences.parser import Licence, NotALicence, parse_licence
from crawler.licences.scan import (
    SCAN_SUFFIXES,
    ScanText,
    ScanToolMissing,
    UnreadableScan,
    licence_from_scan,
    read_scan,
)
from crawler.licences.store import Saved, licences_json, save_licence

DOCUMENT_SUFFIXES = (".txt", ".md", ".markdown")
_LOADABLE = DOCUMENT_SUFFIXES + SCAN_SUFFIXES
_FAILURES = (OSError, UnreadableDocument, NotALicence, UnreadableScan, ScanToolMissing)


@click.group("licenses")
def licenses() -> None:
    """Load licence documents and read them back."""


def _documents(paths: tuple[str, ...]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            # Not only regular files: a FIFO or folder named like a document gets its error line.
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() in _LOADABLE)
        else:
            found.append(path)  # named explicitly: try it whatever its suffix
    return found


def _no_empty_paths(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    """An empty argument would mean the current folder: a quoting slip, not a request."""
    if any(not v.strip() for v in values):
        raise click.BadParameter("an empty path", param_hint="PATHS")
    return values


def _kept_newer(path: Path, licence: Licence, saved: Saved) -> str:
    newer = saved.newer or {}
    return (
        f"{saved.outcome:<10} {path}: {licence.license_no} issued {licence.issued_on or '?'}, "
        f"expires {licence.expires_on or '?'} is older than {newer.get('source_file') or '?'} "
        f"(issued {newer.get('issued_on') or '?'}, expires {newer.get('expires_on') or '?'}); "
        "not loaded"
    )


def _read(path: Path) -> tuple[Licence, str, ScanText | None]:
    """(licence, SHA-256 of the file, how a scan was read) for a text document or a scan."""
    if path.suffix.lower() in SCAN_SUFFIXES:
        scan = read_scan(path)
        return licence_from_scan(scan), scan.sha256, scan
    data = read_document(path)
    return parse_licence(data), hashlib.sha256(data).hexdigest(), None


def _how_read(scan: ScanText | None) -> str:
    if scan is None:
        return ""
    pages = f"{scan.pages} page{'s' if scan.pages != 1 else ''}"
    confidence = f", confidence {scan.confidence:.0f}" if scan.confidence is not None else ""
    return f"; read by {scan.engine_version}, {pages}{confidence}"


@licenses.command("load")
@click.argument("paths", nargs=-1, required=True, callback=_no_empty_paths)
@click.pass_context
def load(ctx: click.Context, paths: tuple[str, ...]) -> None:
    """Load licence documents (files, or folders of *.txt / *.md and scans: *.pdf, *.png,
    *.jpg, *.tif, read with poppler and Tesseract).

    Each licence is stored in one transaction, so an interrupted load leaves whole licences."""
    db = open_db(ctx)
    failed = 0
    documents = _documents(paths)
    if not documents:
        raise click.UsageError(
            f"no *.txt, *.md or scanned (*.pdf, *.png, *.jpg, *.tif) documents under "
            f"{', '.join(paths)}"
        )
    for path in documents:
        try:
            licence, sha256, scan = _read(path)
        except _FAILURES as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            click.echo(f"FAILED     {path}: {reason}", err=True)
            failed += 1
            continue
        saved = save_licence(db, licence, str(path), sha256, scan)
        if saved.outcome == "kept newer":
            click.echo(_kept_newer(path, licence, saved))
            continue
        warnings = f"; warnings: {' | '.join(licence.warnings)}" if licence.warnings else ""
        click.echo(
            f"{saved.outcome:<10} {path}: {licence.license_no} {licence.company or '?'}, "
            f"{len(licence.websites)} domain(s){_how_read(scan)}{warnings}"
        )
    ctx.exit(1 if failed else 0)


@licenses.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of licence objects.")
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """All licences with their validity status."""
    items = licences_json(open_db(ctx, write=False), date.today())
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
    items = licences_json(open_db(ctx, write=False), date.today(), license_no)
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
    source = item["source"]
    how = ", ".join(
        part
        for part in (
            source["engine_version"],
            f"{source['pages']} page(s)" if source["pages"] else None,
            f"confidence {source['ocr_confidence']:.0f}" if source["ocr_confidence"] else None,
        )
        if part
    )
    click.echo(f"source       {source['file'] or '?'}" + (f" ({how})" if how else ""))
    for w in item["warnings"]:
        click.echo(f"warning      {w}")
