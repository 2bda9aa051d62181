"""Opening the database the same way everywhere: WAL so readers (sqlite3, Datasette) never block
a crawl, a busy timeout so short write bursts wait instead of failing, foreign keys on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from crawler.migrations import migrate

BUSY_TIMEOUT_MS = 30_000


class DatabaseError(RuntimeError):
    """The database file cannot be opened or migrated; the message names it."""


def open_database(path: str | Path) -> Database:
    path = Path(path)
    if path.is_dir():
        raise DatabaseError(f"database {str(path)!r} is a directory")
    if not path.parent.exists():
        raise DatabaseError(f"database {str(path)!r}: folder {str(path.parent)!r} does not exist")
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
        db = Database(conn)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA foreign_keys = ON")
        migrate(db)
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"database {str(path)!r}: {exc}") from None
    return db
