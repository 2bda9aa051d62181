"""Opening the database the same way everywhere: WAL so readers (sqlite3, Datasette) never block
a crawl, a bounded busy timeout so short write bursts wait but a stuck writer is reported,
foreign keys on.

A file that is not icpwatch's, or that a newer icpwatch wrote, is refused before anything is
written to it; readers never create a file and work on read-only files and folders.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

from sqlite_utils import Database

from crawler.store.migrations import known_migrations, migrate, migrations


def now() -> str:
    """The project's clock: every stored timestamp is UTC, ISO 8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def today() -> date:
    """The calendar day for licence validity and waivers: the local date, as the views'
    ``date('now', 'localtime')`` (a waiver or licence is still good on its last day)."""
    return date.today()


#: How long a command waits for another writer before giving up (``ICPWATCH_BUSY_TIMEOUT``,
#: seconds): icpwatch's own write transactions last milliseconds.
BUSY_TIMEOUT_SECONDS = 5.0
BUSY_TIMEOUT_ENV = "ICPWATCH_BUSY_TIMEOUT"
MIGRATIONS_TABLE = "_sqlite_migrations"


class DatabaseError(RuntimeError):
    """The database file cannot be opened or migrated; the message names it."""


class NoSuchDatabase(DatabaseError):
    """A reader was pointed at a file that does not exist (a typo'd ``--db``)."""


class ForeignDatabase(DatabaseError):
    """The file holds tables but no icpwatch migrations: another program's database."""


class NewerDatabase(DatabaseError):
    """A newer icpwatch applied migrations this one does not know: writing could corrupt it."""


class DatabaseLocked(DatabaseError):
    """Another connection held the write lock longer than the busy timeout."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(f"database is locked: {path} (another icpwatch is writing; try again)")


def is_locked(exc: BaseException) -> bool:
    """SQLITE_BUSY / SQLITE_LOCKED (any extended code): the lock, not a broken file."""
    code = getattr(exc, "sqlite_errorcode", None)
    return (
        isinstance(exc, sqlite3.OperationalError)
        and code is not None
        and code & 0xFF
        in (
            sqlite3.SQLITE_BUSY,
            sqlite3.SQLITE_LOCKED,
        )
    )


def busy_timeout() -> float:
    """Seconds to wait for another writer: ``$ICPWATCH_BUSY_TIMEOUT`` or the default."""
    raw = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    if not raw:
        return BUSY_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise DatabaseError(f"{BUSY_TIMEOUT_ENV}={raw!r}: expected seconds between 0 and 3600")
    return seconds


def _writable(path: Path) -> bool:
    """Writable for us *and* meant to be: root ignores permissions, a 0444 file is still a
    request to leave it alone."""
    try:
        return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o222)
    except OSError:
        return False


def _uri(path: Path, *, write: bool) -> str:
    """The SQLite URI for ``path``. Readers of a read-only file use ``immutable`` (no -shm or -wal
    to create) unless a WAL file still holds data; read-write opens never create a file unless
    writing; a read-write close also removes the -wal/-shm files a read-only one leaves."""
    name = quote(str(path.absolute()))
    if write:
        return f"file:{name}?mode=rwc"
    if _writable(path) and _writable(path.parent):
        return f"file:{name}?mode=rw"
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size:
        return f"file:{name}?mode=ro"
    return f"file:{name}?mode=ro&immutable=1"


def applied_migrations(db: Database, path: Path) -> set[str]:
    """icpwatch's applied migrations, read without writing; raises :class:`ForeignDatabase` for a
    file with other tables (or another program's migrations) and none of icpwatch's."""
    tables = {
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    }
    sets: dict[str, set[str]] = {}
    if MIGRATIONS_TABLE in tables:
        for migration_set, name in db.execute(
            f"SELECT migration_set, name FROM {MIGRATIONS_TABLE}"
        ):
            sets.setdefault(migration_set, set()).add(name)
    ours = sets.pop(migrations.name, set())
    if not ours and (tables - {MIGRATIONS_TABLE} or sets):
        shown = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
        raise ForeignDatabase(
            f"{path} is not an icpwatch database (tables: {shown}; no icpwatch migrations in "
            f"{MIGRATIONS_TABLE}); refusing to use it"
        )
    return ours


def open_database(path: str | Path, *, write: bool = True, create: bool = True) -> Database:
    """Open (and with ``write``, migrate) the database at ``path``.

    ``write=False``: the file must exist, is opened without creating or writing anything, and
    only migrated when it is writable and older than this icpwatch. ``create=False``: a writer
    that needs existing data (``domains add``) does not make an empty file for a typo."""
    path = Path(path)
    if path.is_dir():
        raise DatabaseError(f"database {str(path)!r} is a directory")
    if path.exists() and not path.is_file():  # a FIFO would block, /dev/zero is no database
        raise DatabaseError(f"database {str(path)!r} is not a regular file")
    if not path.parent.exists():
        raise DatabaseError(f"database {str(path)!r}: folder {str(path.parent)!r} does not exist")
    if not path.exists() and not (write and create):
        raise NoSuchDatabase(f"no such database: {path}")
    if write and path.exists() and not (_writable(path) and _writable(path.parent)):
        raise DatabaseError(
            f"database {str(path)!r} is read-only (it and its folder must be "
            "writable for this command)"
        )
    timeout = busy_timeout()
    uri = _uri(path, write=write)
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=timeout)
        db = Database(conn)
        try:
            db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            unknown = sorted(applied_migrations(db, path) - known_migrations())
            if write and unknown:
                raise NewerDatabase(
                    f"database {path} was written by a newer icpwatch (migration "
                    f"{', '.join(unknown)} unknown here); upgrade icpwatch to write to it"
                )
            if write or (migrations.pending(db) and "mode=rw" in uri):
                db.execute("PRAGMA journal_mode = WAL")
                _wait_for_writers(db)
                migrate(db)
            elif migrations.pending(db):
                raise DatabaseError(
                    f"database {path} needs upgrading by this icpwatch but is read-only"
                )
            db.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            conn.close()
            raise
    except sqlite3.DatabaseError as exc:
        if is_locked(exc):
            raise DatabaseLocked(path) from None
        raise DatabaseError(f"database {str(path)!r}: {exc}") from None
    return db


def _wait_for_writers(db: Database) -> None:
    """Take and drop the write lock: another writer holding it shows up here, after the busy
    timeout, rather than halfway through a command's work."""
    db.execute("BEGIN IMMEDIATE")
    db.execute("ROLLBACK")


@contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """One all-or-nothing change. ``BEGIN IMMEDIATE`` takes the write lock before the first read,
    so a read-then-write waits for other writers instead of failing on a stale snapshot; any
    exception, KeyboardInterrupt included, rolls everything back. sqlite-utils' own writes nest
    inside as savepoints."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    try:
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise
