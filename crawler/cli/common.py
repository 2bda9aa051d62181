"""What every sub-command needs: the database from the global ``--db`` and argument checks."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource
from sqlite_utils import Database

from crawler.check.pool import worker_count
from crawler.licences.numbers import InvalidLicenceNumber, canonical
from crawler.store.database import DatabaseError, DatabaseLocked, is_locked, open_database

EXIT_FAILED, EXIT_USAGE = 1, 2

# Options the fetching commands (crawl, worker, check) share, so they read the same everywhere.
allow_private_option = click.option(
    "--allow-private",
    is_flag=True,
    help="Also fetch hosts that resolve to loopback/private/link-local addresses.",
)
timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(1, 600),
    default=20,
    show_default=True,
    help="Download timeout per attempt, seconds.",
)


class IcpwatchGroup(click.Group):
    """The top-level group: a database another writer holds is one line and exit 1 for every
    command, wherever the lock is met (opening it or halfway through a command's writes)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (DatabaseLocked, sqlite3.OperationalError) as exc:
            if not isinstance(exc, DatabaseLocked) and not is_locked(exc):
                raise
            path = (ctx.obj or {}).get("db", "?")
            click.echo(f"error: {DatabaseLocked(path)}", err=True)
            ctx.exit(EXIT_FAILED)


def open_db(ctx: click.Context, *, write: bool = True, create: bool = True) -> Database:
    """The global ``--db``. Readers pass ``write=False``: a typo'd path is an error, never a new
    empty file. A database that cannot be used is one ``error:`` line and exit 2 (usage). It is
    closed when the command ends."""
    try:
        db = open_database(ctx.find_root().obj["db"], write=write, create=create)
    except DatabaseLocked:
        raise  # IcpwatchGroup reports it
    except DatabaseError as exc:
        click.echo(f"error: {exc}", err=True)
        ctx.exit(EXIT_USAGE)
    ctx.call_on_close(db.close)  # the last close removes the -wal and -shm files
    return db


def stored_db(ctx: click.Context) -> Database | None:
    """The global ``--db`` for a command that only looks things up in it (imported filings, rule
    switches): None when the default database does not exist, so no empty file is made; a
    ``--db`` named on the command line must exist."""
    root = ctx.find_root()
    if (
        root.get_parameter_source("db") is ParameterSource.DEFAULT
        and not Path(root.obj["db"]).exists()
    ):
        return None
    return open_db(ctx, write=False)


def parse_number_arg(text: str) -> str:
    try:
        return canonical(text)
    except InvalidLicenceNumber as exc:
        raise click.BadParameter(str(exc), param_hint="NUMBER") from None


def _check_workers(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        worker_count(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected 'auto' or a number >= 0") from None
    return value


#: ``crawl`` and ``worker`` both run the footer check in worker processes.
check_workers_option = click.option(
    "--check-workers",
    default="auto",
    show_default=True,
    callback=_check_workers,
    metavar="N|auto",
    help="Processes that run the footer check (auto: one per spare core, at most 2; "
    "0: in the crawl process).",
)
