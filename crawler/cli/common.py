"""What every sub-command needs: the database from the global ``--db`` and argument checks."""

from __future__ import annotations

import click
from sqlite_utils import Database

from crawler.check_pool import worker_count
from crawler.database import DatabaseError, open_database
from crawler.licence_numbers import InvalidLicenceNumber, canonical


def open_db(ctx: click.Context) -> Database:
    try:
        return open_database(ctx.find_root().obj["db"])
    except DatabaseError as exc:
        raise click.UsageError(str(exc)) from None


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
