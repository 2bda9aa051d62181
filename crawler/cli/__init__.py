"""The ``icpwatch`` command: a thin click group; each sub-command lives in its own module."""

from __future__ import annotations

import click

from crawler import __version__
from crawler.cli.common import IcpwatchGroup

DEFAULT_DB = "icpwatch.db"


@click.group(cls=IcpwatchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    envvar="ICPWATCH_DB",
    default=DEFAULT_DB,
    show_default=True,
    type=click.Path(dir_okay=False),
    help="SQLite database (or set ICPWATCH_DB).",
)
@click.version_option(__version__, prog_name="icpwatch")
@click.pass_context
def main(ctx: click.Context, db: str) -> None:
    """Check that licensed homepages display their 经营许可证编号."""
    ctx.obj = {"db": db}


# Sub-commands register after ``main`` exists: they import nothing from this module but it.
from crawler.cli.check_html import check_html  # noqa: E402
from crawler.cli.check_url import check  # noqa: E402
from crawler.cli.crawl import crawl  # noqa: E402
from crawler.cli.domains import domains  # noqa: E402
from crawler.cli.evidence import evidence  # noqa: E402
from crawler.cli.filings import filings  # noqa: E402
from crawler.cli.licenses import licenses  # noqa: E402
from crawler.cli.report import report  # noqa: E402
from crawler.cli.rules import rules  # noqa: E402
from crawler.cli.serve import serve  # noqa: E402
from crawler.cli.waive import waive  # noqa: E402
from crawler.cli.worker import worker  # noqa: E402

main.add_command(licenses)
main.add_command(licenses, "licences")
main.add_command(domains)
main.add_command(check_html)
main.add_command(check)
main.add_command(crawl)
main.add_command(evidence)
main.add_command(filings)
main.add_command(rules)
main.add_command(report)
main.add_command(serve)
main.add_command(waive)
main.add_command(worker)
