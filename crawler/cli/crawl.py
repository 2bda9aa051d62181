"""``icpwatch crawl``: run the ``homepages`` spider in-process and summarise the run.

Exit codes: 0 the run finished, 1 it failed or was interrupted, 2 usage error, 3 another crawl
holds the database.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import click
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.check.outcome import error_line
from crawler.cli.common import (
    allow_private_option,
    check_workers_option,
    open_db,
    parse_number_arg,
    timeout_option,
)
from crawler.cli.crawl_log import KEEP, LOG_NAME, WarningTally, log_file_beside, rotate
from crawler.cli.url_options import secret_url, url_options
from crawler.distributed import (
    DEFAULT_LEASE_SECONDS,
    DEFAULT_PREFIX,
    RedisUnavailable,
    coordinate,
)
from crawler.fetch.progress import ProgressDisplay
from crawler.licences.domains import InvalidDomain, normalise_host
from crawler.render.rendering import RENDER_MODES
from crawler.store.runs import (
    BadSelection,
    CrawlLocked,
    CrawlOptions,
    CrawlRun,
    check_selection,
    parse_duration,
    redact_url,
)
from spiders.homepages import HomepagesSpider

EXIT_FINISHED, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3


def checked_proxy(value: str | None) -> str | None:
    """A usable proxy URL or a usage error: a bad port or bracket would otherwise surface as
    every request failing, or a traceback."""
    if value is None:
        return None
    # It may carry a password (ICPWATCH_PROXY, --proxy-file): never echo that back.
    shown = "the proxy URL (credentials not shown)" if "@" in value else repr(value)
    try:
        parts = urlsplit(value)
        port = parts.port  # ValueError when out of range or not a number
    except ValueError as exc:
        raise click.BadParameter(f"{shown}: {exc}", param_hint="--proxy") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(
            f"{shown} is not an http:// or https:// proxy URL", param_hint="--proxy"
        )
    if port == 0:
        raise click.BadParameter(
            f"{shown}: port 0 is not a port to connect to", param_hint="--proxy"
        )
    return value


def _summary(db_path: str, run_id: int | None) -> tuple[str, str]:
    db = open_db(click.get_current_context())
    row = db.execute("SELECT status, targets, error FROM runs WHERE id = ?", [run_id]).fetchone()
    if row is None:
        return "failed", "no run was recorded"
    status, targets, error = row
    counts = db.execute(
        "SELECT verdict, count(*) FROM checks WHERE run_id = ? GROUP BY verdict "
        "ORDER BY count(*) DESC, verdict",
        [run_id],
    ).fetchall()
    lines = [f"run {run_id} {status}: {sum(n for _, n in counts)}/{targets} domain(s) checked"]
    if error and status != "finished":
        lines.append(f"  ({error})")
    lines += [f"  {verdict:<20} {n:>7}" for verdict, n in counts]
    lines.append(f"Query it: sqlite3 {db_path} 'select host, verdict, final_url from noncompliant'")
    return status, "\n".join(lines)


def crawl_settings(
    *, concurrency: int, obey_robots: bool, timeout: float, log_level: str | None, **extra: object
) -> Settings:
    """The project's Scrapy settings with the command line's choices on top."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(
        {
            # The spider class is handed over: loading every spider module would import the
            # Redis worker's libraries into every crawl.
            "SPIDER_MODULES": [],
            "CONCURRENT_REQUESTS": concurrency,
            "ROBOTSTXT_OBEY": obey_robots,
            "DOWNLOAD_TIMEOUT": timeout,
            "ICPWATCH_RENDER_TIMEOUT": timeout,
            "LOG_LEVEL": log_level or "INFO",
            **extra,
        },
        priority="cmdline",
    )
    return settings


def open_crawl_run(ctx: click.Context, db_path: str, options: CrawlOptions) -> CrawlRun:
    """Lock the database and open the run before anything starts: a refusal is one line."""
    try:
        return CrawlRun.open(db_path, options)
    except CrawlLocked as exc:
        click.echo(f"error: {exc}", err=True)
        ctx.exit(EXIT_LOCKED)


def _coordinate(
    ctx: click.Context, db_path: str, options: CrawlOptions, url: str, prefix: str, lease: float
) -> None:
    """``crawl --redis``: this process queues and stores; `icpwatch worker`s crawl."""
    run = open_crawl_run(ctx, db_path, options)
    display = ProgressDisplay(sys.stderr, 10.0, emit=lambda line: click.echo(line, err=True))
    counts: Counter[str] = Counter()

    def progress(now: dict[str, int]) -> None:
        counts.clear()
        counts.update(now)
        display.show(counts.total(), len(run.targets), counts)

    try:
        coordinate(run, url, prefix=prefix, lease_seconds=lease, on_progress=progress)
    except RedisUnavailable as exc:
        click.echo(
            f"error: {exc} (run {run.run_id} interrupted; the next crawl resumes it)", err=True
        )
        ctx.exit(EXIT_FAILED)
    finally:
        display.close(counts.total(), len(run.targets), counts)
    status, summary = _summary(db_path, run.run_id)
    click.echo(summary)
    ctx.exit(EXIT_FINISHED if status == "finished" else EXIT_FAILED)


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
@url_options(
    "proxy", "proxy", help="HTTP proxy for every request (http_proxy/https_proxy also work)."
)
@click.option("--user-agent", metavar="UA", help="User-Agent (default identifies icpwatch).")
@click.option(
    "--obey-robots/--ignore-robots",
    default=True,
    show_default=True,
    help="Honour robots.txt; a disallowed homepage is recorded as 'blocked'.",
)
@allow_private_option
@timeout_option
@click.option(
    "--render",
    type=click.Choice(RENDER_MODES),
    default="auto",
    show_default=True,
    help="Render in headless Chromium: only pages a browser could change the verdict of, e.g. "
    "app shells and footers scripts write into "
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
    default=4,
    show_default=True,
    help="Pages open in the browser at once.",
)
@check_workers_option
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
    help="Scrapy log level (default INFO).",
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False),
    help=f"Scrapy's log (default: on a terminal {LOG_NAME} next to the database, the last "
    f"{KEEP} kept; otherwise stderr).",
)
@url_options(
    "redis",
    "redis_url",
    help="Distribute: queue the targets in Redis for `icpwatch worker`s and store their items "
    "(docs/distributed.md).",
)
@click.option("--prefix", default=DEFAULT_PREFIX, show_default=True, help="Redis key prefix.")
@click.option(
    "--lease",
    type=click.FloatRange(1),
    default=DEFAULT_LEASE_SECONDS,
    show_default=True,
    help="With --redis: seconds before a target no worker answered is queued again.",
)
@click.pass_context
def crawl(
    ctx: click.Context,
    licences: tuple[str, ...],
    domains: tuple[str, ...],
    due: str | None,
    concurrency: int,
    proxy: str | None,
    proxy_file: str | None,
    user_agent: str | None,
    obey_robots: bool,
    allow_private: bool,
    timeout: float,
    render: str,
    screenshots: bool,
    evidence_dir: str | None,
    render_concurrency: int,
    chromium: str | None,
    check_workers: str,
    log_level: str | None,
    log_file: str | None,
    redis_url: str | None,
    redis_file: str | None,
    prefix: str,
    lease: float,
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
    proxy = checked_proxy(secret_url(proxy, proxy_file, "proxy"))
    redis_url = secret_url(redis_url, redis_file, "redis")
    if redis_url:
        options = CrawlOptions(
            numbers, hosts, due, {"redis": redact_url(redis_url), "prefix": prefix, "lease": lease}
        )
        _coordinate(ctx, db_path, options, redis_url, prefix, lease)
        return

    settings = crawl_settings(
        concurrency=concurrency,
        obey_robots=obey_robots,
        timeout=timeout,
        log_level=log_level,
        ICPWATCH_DB=db_path,
        **_log_to(log_file, db_path),
        ICPWATCH_ALLOW_PRIVATE=allow_private,
        ICPWATCH_RENDER_CONCURRENCY=render_concurrency,
        ICPWATCH_CHECK_WORKERS=check_workers,
        **({"ICPWATCH_CHROMIUM": chromium} if chromium else {}),
        **({"USER_AGENT": user_agent} if user_agent else {}),
    )
    run = open_crawl_run(ctx, db_path, CrawlOptions(numbers, hosts, due))
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
        crawl_run=run,
    )
    deferred.addErrback(lambda failure: errors.append(failure.value))
    tally = WarningTally()
    logging.getLogger().addHandler(tally)
    process.start()

    if run.status == "running":  # Scrapy failed before the pipeline could close the run
        run.finish("failed", error_line(errors[0]) if errors else "the crawl did not finish")
    if errors:
        click.echo(f"error: {error_line(errors[0])}", err=True)
    status, summary = _summary(db_path, run.run_id)
    click.echo(summary)
    if settings.get("LOG_FILE") and (warned := tally.summary(Path(settings["LOG_FILE"]))):
        click.echo(warned, err=True)
    ctx.exit(EXIT_FINISHED if status == "finished" else EXIT_FAILED)


def _log_to(log_file: str | None, db_path: str) -> dict[str, object]:
    """Scrapy's log settings: a named file, or one beside the database when a person watches
    the terminal (Scrapy's lines would bury the progress bar), else stderr as before."""
    if log_file is None and not sys.stderr.isatty():
        return {}
    path = Path(log_file) if log_file else log_file_beside(db_path)
    rotate(path)
    return {"LOG_FILE": str(path)}  # appended to: rotate() starts each crawl on a new file
