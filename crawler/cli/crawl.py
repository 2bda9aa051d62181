"""``icpwatch crawl``: run the ``homepages`` spider in-process and summarise the run.

Exit codes: 0 the run finished, 1 it failed or was interrupted, 2 usage error, 3 another crawl
holds the database.
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

import click
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.cli.common import open_db, parse_number_arg
from crawler.crawl_run import (
    BadSelection,
    CrawlLocked,
    CrawlOptions,
    check_selection,
    parse_duration,
)
from crawler.domains import InvalidDomain, normalise_host
from crawler.rendering import RENDER_MODES
from spiders.homepages import HomepagesSpider

EXIT_FINISHED, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3


def _proxy(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{value!r} is not an http:// or https:// proxy URL")
    return value


def _summary(db_path: str, run_id: int | None) -> tuple[str, str]:
    db = open_db(click.get_current_context())
    row = db.execute("SELECT status, targets FROM runs WHERE id = ?", [run_id]).fetchone()
    if row is None:
        return "failed", "no run was recorded"
    status, targets = row
    counts = db.execute(
        "SELECT verdict, count(*) FROM checks WHERE run_id = ? GROUP BY verdict "
        "ORDER BY count(*) DESC, verdict",
        [run_id],
    ).fetchall()
    lines = [f"run {run_id} {status}: {sum(n for _, n in counts)}/{targets} domain(s) checked"]
    lines += [f"  {verdict:<20} {n:>7}" for verdict, n in counts]
    lines.append(f"Query it: sqlite3 {db_path} 'select host, verdict, final_url from noncompliant'")
    return status, "\n".join(lines)


@click.command("crawl")
@click.option(
    "--license",
    "licences",
    multiple=True,
    metavar="NUMBER",
    help="Only these licences (repeatable).",
)
@click.option(
    "--domain", "domains", multiple=True, metavar="HOST", help="Only these domains (repeatable)."
)
@click.option(
    "--due",
    metavar="DURATION",
    help="Only domains whose latest check is older than this (e.g. 24h, 7d).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1024),
    default=64,
    show_default=True,
    help="Requests in flight (per host it stays at most 2).",
)
@click.option(
    "--proxy",
    metavar="URL",
    help="HTTP proxy for every request (http_proxy/https_proxy also work).",
)
@click.option("--user-agent", metavar="UA", help="User-Agent (default identifies icpwatch).")
@click.option(
    "--obey-robots/--ignore-robots",
    default=True,
    show_default=True,
    help="Honour robots.txt; a disallowed homepage is recorded as 'blocked'.",
)
@click.option(
    "--allow-private",
    is_flag=True,
    help="Also fetch hosts that resolve to loopback/private/link-local addresses.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(1, 600),
    default=20,
    show_default=True,
    help="Download timeout per attempt, seconds.",
)
@click.option(
    "--render",
    type=click.Choice(RENDER_MODES),
    default="auto",
    show_default=True,
    help="Render in headless Chromium: app shells and scripted missing/label-only pages "
    "(auto), every page (always), or none (never).",
)
@click.option(
    "--screenshots/--no-screenshots",
    default=True,
    show_default=True,
    help="Save a PNG of the number (or the page bottom) for every rendered page.",
)
@click.option(
    "--evidence-dir",
    type=click.Path(file_okay=False),
    help="Where screenshots go (default: 'evidence' next to the database).",
)
@click.option(
    "--chromium",
    metavar="PATH",
    help="Chromium executable (default /usr/bin/chromium, else Playwright's own browser).",
)
@click.option(
    "--render-concurrency",
    type=click.IntRange(1, 32),
    default=2,
    show_default=True,
    help="Pages open in the browser at once.",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
    help="Scrapy log level (default: WARNING on a terminal, INFO otherwise).",
)
@click.pass_context
def crawl(
    ctx: click.Context,
    licences: tuple[str, ...],
    domains: tuple[str, ...],
    due: str | None,
    concurrency: int,
    proxy: str | None,
    user_agent: str | None,
    obey_robots: bool,
    allow_private: bool,
    timeout: float,
    render: str,
    screenshots: bool,
    evidence_dir: str | None,
    render_concurrency: int,
    chromium: str | None,
    log_level: str | None,
) -> None:
    """Check every active licensed homepage and record the findings."""
    db_path = ctx.find_root().obj["db"]
    numbers = tuple(parse_number_arg(n) for n in licences)
    try:
        hosts = tuple(normalise_host(h).host for h in domains)
        if due:
            parse_duration(due)
        check_selection(open_db(ctx), CrawlOptions(numbers, hosts))
    except (InvalidDomain, ValueError, BadSelection) as exc:
        raise click.UsageError(str(exc)) from None
    proxy = _proxy(proxy)

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(
        {
            "ICPWATCH_DB": db_path,
            "CONCURRENT_REQUESTS": concurrency,
            "ROBOTSTXT_OBEY": obey_robots,
            "ICPWATCH_ALLOW_PRIVATE": allow_private,
            "DOWNLOAD_TIMEOUT": timeout,
            "ICPWATCH_RENDER_CONCURRENCY": render_concurrency,
            "ICPWATCH_RENDER_TIMEOUT": timeout,
            **({"ICPWATCH_CHROMIUM": chromium} if chromium else {}),
            "LOG_LEVEL": log_level or ("WARNING" if sys.stderr.isatty() else "INFO"),
            **({"USER_AGENT": user_agent} if user_agent else {}),
        },
        priority="cmdline",
    )
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(HomepagesSpider)
    errors: list[BaseException] = []
    deferred = process.crawl(
        crawler,
        license=",".join(numbers),
        domain=",".join(hosts),
        due=due,
        proxy=proxy,
        render=render,
        screenshots=screenshots,
        evidence_dir=evidence_dir,
    )
    deferred.addErrback(lambda failure: errors.append(failure.value))
    process.start()

    if errors:
        error = errors[0]
        click.echo(f"error: {error}", err=True)
        ctx.exit(EXIT_LOCKED if isinstance(error, CrawlLocked) else EXIT_FAILED)
    status, summary = _summary(db_path, crawler.stats.get_value("icpwatch/run_id"))
    click.echo(summary)
    ctx.exit(EXIT_FINISHED if status == "finished" else EXIT_FAILED)
