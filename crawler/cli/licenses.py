"""``icpwatch licenses load|list|show`` (alias ``licences``): documents in, JSON out."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import date
from pathlib import Path

import click

from crawler.cli.common import open_db, parse_number_arg
from crawler.licences.parser import Licence, NotALicence, parse_licence
from crawler.licences.store import Saved, licences_json, save_licence

DOCUMENT_SUFFIXES = (".txt", ".md", ".markdown")
#: A licence document is a few KB of OCR text; anything this big is not one.
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
_NOT_REGULAR = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class UnreadableDocument(ValueError):
    """Not something to read as a document: not a regular file, or too big."""


def _regular(st: os.stat_result, limit: int) -> None:
    for test, kind in _NOT_REGULAR:
        if test(st.st_mode):
            raise UnreadableDocument(f"{kind}, not a regular file")
    if not stat.S_ISREG(st.st_mode):
        raise UnreadableDocument("not a regular file")
    if st.st_size > limit:
        raise UnreadableDocument(
            f"{st.st_size:,} bytes, over the {limit // 2**20} MiB limit for a licence document"
        )


def read_document(path: Path, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes. Checked before opening (a FIFO
    would block, /dev/zero never ends) and again on the open file, in case it was swapped."""
    _regular(os.stat(path), limit)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as stream:
        _regular(os.fstat(stream.fileno()), limit)
        data = stream.read(limit + 1)
    if len(data) > limit:  # it grew while we read
        raise UnreadableDocument(f"over the {limit // 2**20} MiB limit for a licence document")
    return data


@click.group("licenses")
def licenses() -> None:
    """Load licence documents and read them back."""


def _documents(paths: tuple[str, ...]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            # Not only regular files: a FIFO or folder named like a document gets its error line.
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() in DOCUMENT_SUFFIXES)
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


@licenses.command("load")
@click.argument("paths", nargs=-1, required=True, callback=_no_empty_paths)
@click.pass_context
def load(ctx: click.Context, paths: tuple[str, ...]) -> None:
    """Load licence documents (files, or folders of *.txt / *.md).

    Each licence is stored in one transaction, so an interrupted load leaves whole licences."""
    db = open_db(ctx)
    failed = 0
    documents = _documents(paths)
    if not documents:
        raise click.UsageError(f"no *.txt or *.md documents under {', '.join(paths)}")
    for path in documents:
        try:
            data = read_document(path)
            licence = parse_licence(data)
        except (OSError, UnreadableDocument, NotALicence) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            click.echo(f"FAILED     {path}: {reason}", err=True)
            failed += 1
            continue
        saved = save_licence(db, licence, str(path), hashlib.sha256(data).hexdigest())
        if saved.outcome == "kept newer":
            click.echo(_kept_newer(path, licence, saved))
            continue
        warnings = f"; warnings: {' | '.join(licence.warnings)}" if licence.warnings else ""
        click.echo(
            f"{saved.outcome:<10} {path}: {licence.license_no} {licence.company or '?'}, "
            f"{len(licence.websites)} domain(s){warnings}"
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
    for w in item["warnings"]:
        click.echo(f"warning      {w}")
