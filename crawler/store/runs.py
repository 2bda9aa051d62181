"""A crawl run in SQLite: the lock, the ``runs`` row, what to check, and the batched writes.

No Scrapy here: the SQLite pipeline drives it during a crawl, and a distributed coordinator can
drive it the same way. Guarantees: one crawl per database at a time (an OS file lock, released
even by SIGKILL); a run left ``running`` by a dead process is marked ``interrupted`` and the next
run skips what it already checked; ``UNIQUE(run_id, domain_id)`` makes a duplicate row impossible.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlite_utils import Database

from crawler import __version__
from crawler.check.rules import Expected
from crawler.store.database import now, open_database
from crawler.store.filings import expected_by_host, rules_off

RUN_STATUSES = ("running", "finished", "incomplete", "interrupted", "failed")
#: A run the next crawl continues: it skips what these already checked.
RESUMABLE = ("interrupted", "incomplete")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class CrawlLocked(RuntimeError):
    """Another crawl holds the database."""


class BadSelection(ValueError):
    """A ``--license`` or ``--domain`` that names nothing crawlable; the message names it."""


def redact_url(url: str | None) -> str | None:
    """A URL without its password, for anything stored or logged (proxies, Redis)."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    # The host and port as written: a malformed port must not turn redaction into a crash.
    host_port = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host_port}"))


def parse_duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``24h``, ``7d``, ``2w`` → timedelta (for ``--due``)."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a duration (e.g. 30m, 24h, 7d)")
    return timedelta(**{_UNITS[m[2].lower()]: float(m[1])})


@dataclass(frozen=True)
class CrawlOptions:
    """What to crawl; stored as the run's ``options`` JSON (minus secrets)."""

    licences: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    due: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # proxy, concurrency, … for the record


@dataclass(frozen=True, slots=True)
class Target:
    """One (licence, domain) to check, with what the rules compare the page with."""

    domain_id: int
    license_no: str
    host: str
    company: str | None
    licensed_hosts: frozenset[str]
    expected: Expected | None = None  # the host's imported filings (``filings`` table)
    rules_off: frozenset[str] = frozenset()  # codes switched off for the licence
    urls: tuple[str, ...] = ()  # what to fetch instead of the homepage URLs (``icpwatch check``)


class CrawlLock:
    """An exclusive ``flock`` on ``<db>.lock``: the kernel drops it when the process dies."""

    def __init__(self, db_path: Path) -> None:
        self.path = Path(f"{db_path}.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise CrawlLocked(
                f"another crawl (pid {holder}) is running on this database; exiting"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _chain(db: Database, run_id: int | None) -> list[int]:
    """An interrupted or incomplete run and the ones it resumed, newest first."""
    chain = []
    while run_id is not None:
        row = db.execute("SELECT status, resumed_from FROM runs WHERE id = ?", [run_id]).fetchone()
        if row is None or row[0] not in RESUMABLE:
            break
        chain.append(run_id)
        run_id = row[1]
    return chain


def select_targets(
    db: Database, options: CrawlOptions, skip_runs: Iterable[int] = (), at: datetime | None = None
) -> list[Target]:
    """Active (licence, domain) pairs matching the options, minus what need not be redone."""
    where, args = ["d.active"], []
    for column, values in (("d.license_no", options.licences), ("d.host", options.domains)):
        if values:
            where.append(f"{column} IN ({','.join('?' * len(values))})")
            args += list(values)
    if options.due:
        cutoff = ((at or datetime.now(UTC)) - parse_duration(options.due)).isoformat()
        where.append(
            "NOT EXISTS (SELECT 1 FROM checks c WHERE c.domain_id = d.id AND c.checked_at > ?)"
        )
        args.append(cutoff)
    else:
        skip = list(skip_runs)
        if skip:
            where.append(
                "d.id NOT IN (SELECT domain_id FROM checks WHERE run_id IN "
                f"({','.join('?' * len(skip))}))"
            )
            args += skip
    rows = db.execute(
        f"""SELECT d.id, d.license_no, d.host, l.company FROM domains d
              JOIN licenses l USING (license_no)
             WHERE {" AND ".join(where)} ORDER BY d.license_no, d.id""",
        args,
    ).fetchall()
    hosts: dict[str, frozenset[str]] = {}
    for license_no in {r[1] for r in rows}:
        hosts[license_no] = frozenset(
            h for (h,) in db.execute("SELECT host FROM domains WHERE license_no = ?", [license_no])
        )
    expected = expected_by_host(db, (r[2] for r in rows))
    off = rules_off(db, hosts)
    return [
        Target(r[0], r[1], r[2], r[3], hosts[r[1]], expected.get(r[2]), off[r[1]]) for r in rows
    ]


def check_selection(db: Database, options: CrawlOptions) -> None:
    """Every named licence and domain must exist and be active: a typo is an error, not 0 rows."""
    for license_no in options.licences:
        if not db["licenses"].count_where("license_no = ?", [license_no]):
            raise BadSelection(f"licence {license_no} is not in the database")
    for host in options.domains:
        if not db["domains"].count_where("host = ? AND active", [host]):
            raise BadSelection(f"domain {host} is not an active domain of any licence")


class CrawlRun:
    """One open run: created by :meth:`open`, fed by :meth:`save`, closed by :meth:`finish`."""

    def __init__(
        self, db: Database, path: Path, lock: CrawlLock, run_id: int, targets: list[Target]
    ):
        self.db = db
        self.path = path
        self.lock = lock
        self.run_id = run_id
        self.targets = targets
        self.status = "running"

    @classmethod
    def open(cls, db_path: str | Path, options: CrawlOptions) -> CrawlRun:
        lock = CrawlLock(Path(db_path))
        lock.acquire()
        try:
            db = open_database(db_path)
            check_selection(db, options)
            stamp = now()
            with db.conn:
                db.execute(
                    "UPDATE runs SET status = 'interrupted', ended_at = coalesce(ended_at, ?) "
                    "WHERE status = 'running'",
                    [stamp],
                )
            last = db.execute("SELECT max(id) FROM runs").fetchone()[0]
            chain = _chain(db, last)
            targets = select_targets(db, options, skip_runs=chain)
            with db.conn:
                run_id = (
                    db["runs"]
                    .insert(
                        {
                            "started_at": stamp,
                            "status": "running",
                            "options": json.dumps(asdict(options), ensure_ascii=False),
                            "version": __version__,
                            "targets": len(targets),
                            "counts": "{}",
                            "resumed_from": chain[0] if chain else None,
                            "pid": os.getpid(),
                        }
                    )
                    .last_pk
                )
        except BaseException:
            lock.release()
            raise
        return cls(db, Path(db_path), lock, run_id, targets)

    def record(self, options: CrawlOptions) -> None:
        """The run's options as the crawl runs them (settings known once Scrapy is up)."""
        with self.db.conn:
            self.db["runs"].update(
                self.run_id, {"options": json.dumps(asdict(options), ensure_ascii=False)}
            )

    def save(self, rows: list[dict[str, Any]]) -> None:
        """One transaction per batch; a row already stored for (run, domain) is ignored.

        Plain ``executemany``: the rows are flat and alike, and sqlite-utils' ``insert_all``
        inspects every value of every row (a few percent of a crawl's CPU)."""
        if not rows:
            return
        columns = list(rows[0])
        names = ", ".join(f'"{c}"' for c in ("run_id", *columns))
        marks = ", ".join("?" * (len(columns) + 1))
        with self.db.conn:
            self.db.conn.executemany(
                f"INSERT OR IGNORE INTO checks ({names}) VALUES ({marks})",
                ([self.run_id, *(row[c] for c in columns)] for row in rows),
            )

    def counts(self) -> dict[str, int]:
        return dict(
            self.db.execute(
                "SELECT verdict, count(*) FROM checks WHERE run_id = ? GROUP BY verdict "
                "ORDER BY count(*) DESC",
                [self.run_id],
            ).fetchall()
        )

    def finish(self, status: str, error: str | None = None) -> dict[str, int]:
        """Close the run. A run is ``finished`` only when every target has its row: one that
        ended with targets unchecked is ``incomplete``, and the next crawl checks them."""
        counts = self.counts()
        missing = len(self.targets) - sum(counts.values())
        if status == "finished" and missing > 0:
            status = "incomplete"
            error = (
                f"{missing} of {len(self.targets)} target(s) got no row; the next crawl checks them"
            )
        self.status = status
        with self.db.conn:
            self.db["runs"].update(
                self.run_id,
                {"status": status, "ended_at": now(), "counts": json.dumps(counts), "error": error},
            )
        self.lock.release()
        return counts
