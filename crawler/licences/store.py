"""Licences and their domains in SQLite: save a parsed document, add or remove manual domains,
and read licences back as the JSON objects scripts rely on (see docs/schema.md).

History is never deleted: a domain a new licence version no longer lists is marked inactive.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from crawler.licences.domains import Host
from crawler.licences.parser import Licence
from crawler.licences.validity import licence_status
from crawler.store.database import now, transaction

if TYPE_CHECKING:
    from crawler.licences.scan import ScanText


def _licence_row(licence: Licence) -> dict[str, Any]:
    return {
        "license_no": licence.license_no,
        "company": licence.company,
        "legal_rep": licence.legal_rep,
        "issued_on": licence.issued_on.isoformat() if licence.issued_on else None,
        "expires_on": licence.expires_on.isoformat() if licence.expires_on else None,
        "issued_raw": licence.issued_raw,
        "expires_raw": licence.expires_raw,
        "services": json.dumps([asdict(s) for s in licence.services], ensure_ascii=False),
        "warnings": json.dumps(list(licence.warnings), ensure_ascii=False),
    }


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def compare_versions(a: tuple[date | None, date | None], b: tuple[date | None, date | None]) -> int:
    """Which of two documents of one licence is newer, by (issue date, expiry date): the first
    pair both readable and different decides. -1: ``a`` is older, 1: newer, 0: cannot tell (then
    the document loaded last wins, as a corrected copy should)."""
    for x, y in zip(a, b, strict=True):
        if x and y and x != y:
            return -1 if x < y else 1
    return 0


@dataclass(frozen=True)
class Saved:
    """What :func:`save_licence` did: ``new``, ``updated``, ``unchanged`` or ``kept newer`` (the
    document is older than the stored one, whose row is ``newer``; nothing was written)."""

    outcome: str
    newer: dict[str, Any] | None = None


def save_licence(
    db: Database, licence: Licence, source_file: str, sha256: str, scan: ScanText | None = None
) -> Saved:
    """Store one parsed document with its domains and ``license_documents`` row, all or nothing
    (an interrupted load leaves whole licences). An older document never replaces a newer one.
    A scan's row says how it was read (engine, version, OCR confidence, pages)."""
    row = _licence_row(licence)
    stamp = now()
    with transaction(db):
        existing = next(db["licenses"].rows_where("license_no = ?", [licence.license_no]), None)
        if (
            existing
            and compare_versions(
                (licence.issued_on, licence.expires_on),
                (_day(existing["issued_on"]), _day(existing["expires_on"])),
            )
            < 0
        ):
            return Saved("kept newer", existing)
        listed_now = {
            (
                d["host"],
                d["registrable_domain"],
                d["site_name"],
                d["server_location"],
                d["access_provider"],
                d["services"],
            )
            for d in db["domains"].rows_where(
                "license_no = ? AND source = 'document' AND active", [licence.license_no]
            )
        }
        wanted = {
            (
                w.host,
                w.registrable_domain,
                w.site_name,
                w.server_location,
                w.access_provider,
                json.dumps(list(w.services)),
            )
            for w in licence.websites
        }
        if existing and all(existing[k] == v for k, v in row.items()) and listed_now == wanted:
            return Saved("unchanged")
        db["licenses"].upsert(
            {
                **row,
                "source_file": source_file,
                "content_sha256": sha256,
                "loaded_at": existing["loaded_at"] if existing else stamp,
                "updated_at": stamp,
            },
            pk="license_no",
        )
        db["license_documents"].insert(
            {
                "license_no": licence.license_no,
                "content_sha256": sha256,
                "source_file": source_file,
                "loaded_at": stamp,
                "engine": scan.engine if scan else None,
                "engine_version": scan.engine_version if scan else None,
                "ocr_confidence": scan.confidence if scan else None,
                "pages": scan.pages if scan else None,
            }
        )
        listed = {w.host for w in licence.websites}
        for website in licence.websites:
            _upsert_domain(
                db,
                licence.license_no,
                Host(website.host, website.registrable_domain),
                "document",
                stamp,
                site_name=website.site_name,
                server_location=website.server_location,
                access_provider=website.access_provider,
                services=json.dumps(list(website.services)),
            )
        for d in db["domains"].rows_where(
            "license_no = ? AND source = 'document' AND active", [licence.license_no]
        ):
            if d["host"] not in listed:
                db["domains"].update(d["id"], {"active": 0, "removed_at": stamp})
    return Saved("updated" if existing else "new")


def _upsert_domain(
    db: Database, license_no: str, host: Host, source: str, stamp: str, **fields: Any
) -> bool:
    """Insert or re-activate a domain; returns whether anything changed."""
    existing = next(
        db["domains"].rows_where("license_no = ? AND host = ?", [license_no, host.host]), None
    )
    values = {
        "registrable_domain": host.registrable_domain,
        "active": 1,
        "removed_at": None,
        **fields,
    }
    if existing is None:
        db["domains"].insert(
            {
                "license_no": license_no,
                "host": host.host,
                "source": source,
                "added_at": stamp,
                "services": "[]",
                **values,
            }
        )
        return True
    if source == "document":
        values["source"] = "document"  # the document now lists what a user added by hand
    changed = {k: v for k, v in values.items() if existing[k] != v}
    if changed:
        db["domains"].update(existing["id"], changed)
    return bool(changed)


class UnknownLicence(LookupError):
    pass


def _require_licence(db: Database, license_no: str) -> None:
    if not db["licenses"].count_where("license_no = ?", [license_no]):
        raise UnknownLicence(f"licence {license_no} is not in the database (load it first)")


def add_manual_domains(db: Database, license_no: str, hosts: list[Host]) -> list[str]:
    """Websites a user knows but the document does not list; returns the hosts that changed."""
    _require_licence(db, license_no)
    stamp = now()
    with transaction(db):
        return [h.host for h in hosts if _upsert_domain(db, license_no, h, "manual", stamp)]


class UnknownDomain(LookupError):
    """A domain named for removal that the licence never had: a typo, not a no-op."""


def remove_domains(db: Database, license_no: str, hosts: list[Host]) -> list[str]:
    """Mark domains inactive (kept for their history); returns the hosts that changed. A host
    the licence does not have changes nothing at all: :class:`UnknownDomain`."""
    _require_licence(db, license_no)
    stamp = now()
    changed = []
    with transaction(db):
        for h in hosts:
            if not db["domains"].count_where("license_no = ? AND host = ?", [license_no, h.host]):
                raise UnknownDomain(f"{h.host} is not a domain of licence {license_no}")
        for h in hosts:
            for d in db["domains"].rows_where(
                "license_no = ? AND host = ? AND active", [license_no, h.host]
            ):
                db["domains"].update(d["id"], {"active": 0, "removed_at": stamp})
                changed.append(h.host)
    return changed


@dataclass(frozen=True)
class Replaced:
    """What :func:`replace_manual_domains` did; ``kept`` are the document's domains the list
    leaves out, which stay (only the licence document adds or removes those)."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    kept: tuple[str, ...]


def replace_manual_domains(db: Database, license_no: str, hosts: list[Host]) -> Replaced:
    """Make the licence's active manual domains exactly ``hosts``, all or nothing: the missing
    ones are added, the others marked removed (kept for their history)."""
    wanted = {h.host for h in hosts}
    with transaction(db):
        added = add_manual_domains(db, license_no, hosts)
        active = list(db["domains"].rows_where("license_no = ? AND active", [license_no]))
        stale = [
            Host(d["host"], d["registrable_domain"])
            for d in active
            if d["source"] == "manual" and d["host"] not in wanted
        ]
        removed = remove_domains(db, license_no, stale) if stale else []
    kept = [d["host"] for d in active if d["source"] == "document" and d["host"] not in wanted]
    return Replaced(tuple(added), tuple(removed), tuple(kept))


def active_domains(db: Database, license_no: str | None = None) -> list[dict[str, Any]]:
    """The domains a crawl checks, by licence and host (``domains export``)."""
    if license_no:
        _require_licence(db, license_no)
    where = "active" + (" AND license_no = ?" if license_no else "")
    return list(
        db["domains"].rows_where(
            where,
            [license_no] if license_no else [],
            select="host, license_no, source, site_name",
            order_by="license_no, host",
        )
    )


def licence_json(db: Database, row: dict[str, Any], today: date) -> dict[str, Any]:
    """The stable JSON object of one licence (``licenses show/list --json``)."""
    expires = date.fromisoformat(row["expires_on"]) if row["expires_on"] else None
    domains = [
        {
            "host": d["host"],
            "registrable_domain": d["registrable_domain"],
            "site_name": d["site_name"],
            "server_location": d["server_location"],
            "access_provider": d["access_provider"],
            "services": json.loads(d["services"]),
            "source": d["source"],
            "active": bool(d["active"]),
        }
        for d in db["domains"].rows_where("license_no = ?", [row["license_no"]], order_by="id")
    ]
    return {
        "license_no": row["license_no"],
        "company": row["company"],
        "legal_rep": row["legal_rep"],
        "issued_on": row["issued_on"],
        "expires_on": row["expires_on"],
        "issued_raw": row["issued_raw"],
        "expires_raw": row["expires_raw"],
        "status": licence_status(expires, today),
        "services": json.loads(row["services"]),
        "domains": domains,
        "warnings": json.loads(row["warnings"]),
        "source_file": row["source_file"],
        "source": _source(db, row),
    }


def _source(db: Database, row: dict[str, Any]) -> dict[str, Any]:
    """The current version's document and how it was read (engine NULL: a text document)."""
    doc = next(
        db["license_documents"].rows_where(
            "license_no = ? AND content_sha256 = ?",
            [row["license_no"], row["content_sha256"]],
            order_by="id DESC",
            limit=1,
        ),
        {},
    )
    return {
        "file": row["source_file"],
        "sha256": row["content_sha256"],
        **{k: doc.get(k) for k in ("engine", "engine_version", "ocr_confidence", "pages")},
    }


def licences_json(db: Database, today: date, license_no: str | None = None) -> list[dict]:
    where, args = ("license_no = ?", [license_no]) if license_no else (None, [])
    return [
        licence_json(db, row, today)
        for row in db["licenses"].rows_where(where, args, order_by="license_no")
    ]
