"""The database schema, as re-runnable sqlite-utils migrations (a public interface: see
docs/schema.md). Never edit an applied migration; add a new one."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from crawler.validity import STATUS_SQL

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


def migrate(db: Database) -> None:
    migrations.apply(db)
