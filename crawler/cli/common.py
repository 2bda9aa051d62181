"""What every sub-command needs: the database from the global ``--db`` and argument checks."""

from __future__ import annotations

import click
from sqlite_utils import Database

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
