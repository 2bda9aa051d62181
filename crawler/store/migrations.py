"""The database schema, as re-runnable sqlite-utils migrations (a public interface: see
docs/schema.md). Never edit an applied migration; add a new one."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from crawler.licences.validity import STATUS_SQL

migrations = Migrations("icpwatch")


@migrations()
def m001_licences_and_domains(db: Database) -> None:
    db["licenses"].create(
        {
            "license_no": str,
            "company": str,
            "legal_rep": str,
            "issued_on": str,
            "expires_on": str,
            "issued_raw": str,
            "expires_raw": str,
            "services": str,
            "warnings": str,
            "source_file": str,
            "content_sha256": str,
            "loaded_at": str,
            "updated_at": str,
        },
        pk="license_no",
        not_null={"license_no", "services", "warnings", "loaded_at", "updated_at"},
    )
    db["domains"].create(
        {
            "id": int,
            "license_no": str,
            "host": str,
            "registrable_domain": str,
            "site_name": str,
            "server_location": str,
            "access_provider": str,
            "services": str,
            "source": str,
            "active": int,
            "added_at": str,
            "removed_at": str,
        },
        pk="id",
        not_null={"license_no", "host", "source", "active", "added_at", "services"},
        foreign_keys=[("license_no", "licenses", "license_no")],
    )
    db["domains"].create_index(["license_no", "host"], unique=True)
    db["domains"].create_index(["host"])
    db["license_documents"].create(
        {
            "id": int,
            "license_no": str,
            "content_sha256": str,
            "source_file": str,
            "loaded_at": str,
        },
        pk="id",
        not_null={"license_no", "content_sha256", "loaded_at"},
        foreign_keys=[("license_no", "licenses", "license_no")],
    )
    status = STATUS_SQL.format(expires="l.expires_on", today="date('now', 'localtime')")
    db.create_view(
        "license_status",
        f"""
        SELECT l.license_no, l.company, l.expires_on, {status} AS status,
               (SELECT count(*) FROM domains d
                 WHERE d.license_no = l.license_no AND d.active) AS active_domains
          FROM licenses l
        """,
    )


@migrations()
def m002_runs_and_checks(db: Database) -> None:
    db["runs"].create(
        {
            "id": int,
            "started_at": str,
            "ended_at": str,
            "status": str,
            "options": str,
            "version": str,
            "targets": int,
            "counts": str,
            "resumed_from": int,
            "pid": int,
            "error": str,
        },
        pk="id",
        not_null={"started_at", "status", "options", "version", "counts"},
        foreign_keys=[("resumed_from", "runs", "id")],
    )
    db["checks"].create(
        {
            "id": int,
            "run_id": int,
            "domain_id": int,
            "license_no": str,
            "host": str,
            "verdict": str,
            "near_miss": int,
            "offsite_redirect": int,
            "start_url": str,
            "final_url": str,
            "http_status": int,
            "error": str,
            "attempts": str,
            "displayed": str,
            "evidence_snippet": str,
            "evidence_path": str,
            "evidence": str,
            "filings": str,
            "police_filings": str,
            "miit_link": int,
            "company_shown": int,
            "notes": str,
            "content_sha256": str,
            "size": int,
            "encoding": str,
            "elapsed_ms": int,
            "checked_at": str,
        },
        pk="id",
        not_null={"run_id", "domain_id", "license_no", "host", "verdict", "checked_at"},
        foreign_keys=[("run_id", "runs", "id"), ("domain_id", "domains", "id")],
    )
    db["checks"].create_index(["run_id", "domain_id"], unique=True)
    db["checks"].create_index(["domain_id", "id"])
    db["checks"].create_index(["verdict"])
    db.create_view(
        "latest_checks",
        """
        SELECT c.*, d.active AS domain_active
          FROM checks c JOIN domains d ON d.id = c.domain_id
         WHERE c.id IN (SELECT max(id) FROM checks GROUP BY domain_id)
        """,
    )
    db.create_view(
        "noncompliant",
        "SELECT * FROM latest_checks WHERE verdict != 'compliant' AND domain_active",
    )


@migrations()
def m003_rendering(db: Database) -> None:
    checks = db["checks"]
    checks.add_column("rendered", int, not_null_default=0)
    checks.add_column("static_verdict", str)
    checks.add_column("render_error", str)
    checks.add_column("screenshot_path", str)
    checks.add_column("screenshot_size", int)
    checks.add_column("screenshot_sha256", str)


@migrations()
def m004_filings_and_rules(db: Database) -> None:
    """Expected filings (``icpwatch filings import``), per-licence rule switches (``icpwatch
    rules off``) and each check's rule results. Guarded, so a half-applied run re-runs."""
    db["filings"].create(
        {
            "host": str,
            "filing": str,
            "police": str,
            "unit_name": str,
            "source_file": str,
            "imported_at": str,
        },
        pk="host",
        not_null={"host", "filing", "imported_at"},
        if_not_exists=True,
    )
    db["rule_switches"].create(
        {"license_no": str, "code": str, "state": str, "since": str, "by": str, "why": str},
        pk=("license_no", "code"),
        not_null={"license_no", "code", "state", "since"},
        foreign_keys=[("license_no", "licenses", "license_no")],
        if_not_exists=True,
    )
    if "rules" not in db["checks"].columns_dict:
        db["checks"].add_column("rules", str)
    db.create_view(
        "rule_results",
        """
        SELECT c.id AS check_id, c.run_id, c.license_no, c.host, c.domain_active,
               json_extract(r.value, '$.code') AS code,
               json_extract(r.value, '$.status') AS status,
               json_extract(r.value, '$.message') AS message,
               json_extract(r.value, '$.evidence') AS evidence,
               c.verdict, c.checked_at
          FROM latest_checks c, json_each(c.rules) r
        """,
        replace=True,
    )
    db.create_view(
        "rule_failures",
        "SELECT * FROM rule_results WHERE status = 'fail' AND domain_active",
        replace=True,
    )


@migrations()
def m005_render_reason(db: Database) -> None:
    """Why each page was or was not rendered, so users can audit the render policy."""
    if "render_reason" not in db["checks"].columns_dict:
        db["checks"].add_column("render_reason", str)


@migrations()
def m006_waivers(db: Database) -> None:
    """Waivers (``icpwatch waive``): a known finding stops alarming until a date. Both tables are
    append-only by trigger, so the audit trail (who waived or revoked what, when and why) cannot
    be edited; revoking is a ``waiver_events`` row, never a change to the waiver."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS waivers (
            id INTEGER PRIMARY KEY,
            host TEXT NOT NULL,
            license_no TEXT REFERENCES licenses(license_no),
            verdict TEXT,
            rule TEXT,
            until TEXT NOT NULL,
            reason TEXT NOT NULL,
            by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            CHECK (verdict IS NULL OR rule IS NULL)
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_waivers_host ON waivers (host)")
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS waiver_events (
            id INTEGER PRIMARY KEY,
            waiver_id INTEGER NOT NULL REFERENCES waivers(id),
            action TEXT NOT NULL CHECK (action IN ('add', 'revoke')),
            at TEXT NOT NULL,
            by TEXT NOT NULL,
            reason TEXT NOT NULL
        )
        """
    )
    db.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS idx_waiver_events_once "
        "ON waiver_events (waiver_id, action)"
    )
    for table, hint in (
        ("waivers", "revoke with icpwatch waive revoke"),
        ("waiver_events", "the audit trail"),
    ):
        for action in ("UPDATE", "DELETE"):
            db.execute(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{action.lower()} "
                f"BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only ({hint})'); END"
            )
    db.create_view(
        "waiver_status",
        """
        SELECT w.*, r.at AS revoked_at, r.by AS revoked_by, r.reason AS revoke_reason,
               CASE WHEN r.id IS NOT NULL THEN 'revoked'
                    WHEN w.until < date('now', 'localtime') THEN 'expired'
                    ELSE 'active' END AS status
          FROM waivers w
          LEFT JOIN waiver_events r ON r.waiver_id = w.id AND r.action = 'revoke'
        """,
        replace=True,
    )
    db.create_view(
        "active_waivers", "SELECT * FROM waiver_status WHERE status = 'active'", replace=True
    )


@migrations()
def m007_licence_sources(db: Database) -> None:
    """How each licence document was read: a scan's text comes from a PDF text layer or from
    OCR, and an OCR reading is only as good as its confidence (NULLs: a text document)."""
    columns = db["license_documents"].columns_dict
    for name, kind in (
        ("engine", str),
        ("engine_version", str),
        ("ocr_confidence", float),
        ("pages", int),
    ):
        if name not in columns:
            db["license_documents"].add_column(name, kind)


def migrate(db: Database) -> None:
    migrations.apply(db)


def known_migrations() -> set[str]:
    """The names this version knows: any other applied name means a newer icpwatch wrote the
    file. (Every migration is pending on an empty database: sqlite-utils has no public list.)"""
    return {m.name for m in migrations.pending(Database(memory=True))}
