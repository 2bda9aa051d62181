"""``icpwatch serve``: Datasette on the database, with icpwatch's titles, column descriptions and
canned queries (crawler/datasette/metadata.yaml). Datasette is the optional extra
``pip install 'icpwatch[ui]'``; arguments after ``--`` go to ``datasette serve`` unchanged.
"""

from __future__ import annotations

import json
import tempfile
from importlib.resources import files
from pathlib import Path
from typing import Any

import click

from crawler.cli.common import open_db

#: The database name the packaged metadata is written for (Datasette names a database after
#: its file's stem).
METADATA_DATABASE = "icpwatch"


def metadata(database: str = METADATA_DATABASE) -> dict[str, Any]:
    """The packaged metadata, for a database Datasette calls ``database``. Needs PyYAML, which
    Datasette depends on."""
    import yaml

    text = (files("crawler") / "datasette" / "metadata.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["databases"] = {database: data["databases"][METADATA_DATABASE]}
    return data


@click.command("serve", context_settings={"ignore_unknown_options": True})
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8001,
    show_default=True,
    help="Port (0 picks a free one).",
)
@click.argument("datasette_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, datasette_args: tuple[str, ...]) -> None:
    """Browse the database in Datasette, with the canned queries of docs/queries.md.

    Extra arguments go to `datasette serve`, e.g. `icpwatch serve -- --setting sql_time_limit_ms
    5000`, or `-- --get /icpwatch/noncompliant_now.json` to print one answer and exit.
    """
    # Pending migrations are applied (every view the queries use exists); a typo'd --db is an
    # error, never a new empty database to browse.
    open_db(ctx, create=False)
    try:
        from datasette.cli import cli as datasette
    except ImportError:
        raise click.ClickException(
            "Datasette is not installed: pip install 'icpwatch[ui]'"
        ) from None
    db_path = Path(ctx.find_root().obj["db"])
    with tempfile.TemporaryDirectory(prefix="icpwatch-") as folder:
        path = Path(folder) / "metadata.json"
        path.write_text(json.dumps(metadata(db_path.stem), ensure_ascii=False), encoding="utf-8")
        args = ["serve", str(db_path), "--metadata", str(path), "--host", host, "--port", str(port)]
        datasette.main([*args, *datasette_args], prog_name="datasette", standalone_mode=False)
