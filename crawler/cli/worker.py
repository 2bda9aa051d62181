"""``icpwatch worker``: a scrapy-redis crawl worker; needs Redis, not the database."""

from __future__ import annotations

import click
from scrapy.crawler import CrawlerProcess

from crawler.cli.common import check_workers_option
from crawler.cli.crawl import crawl_settings
from crawler.cli.url_options import secret_url, url_options
from crawler.distributed import DEFAULT_PREFIX, RedisUnavailable, connect
from crawler.render.rendering import RENDER_MODES


@click.command("worker")
@url_options(
    "redis",
    "redis_url",
    help="redis://[:password@]host:6379/db, or rediss:// for TLS (required, or --redis-file).",
)
@click.option(
    "--prefix",
    default=DEFAULT_PREFIX,
    show_default=True,
    help="Key prefix: the same as the coordinator's.",
)
@click.option("--concurrency", type=click.IntRange(1, 1024), default=64, show_default=True)
@url_options("proxy", "proxy", help="HTTP proxy for every request.")
@click.option("--render", type=click.Choice(RENDER_MODES), default="auto", show_default=True)
@click.option(
    "--screenshots/--no-screenshots",
    default=False,
    show_default=True,
    help="Screenshots stay on the worker's disk (--evidence-dir).",
)
@click.option(
    "--evidence-dir", type=click.Path(file_okay=False), default="evidence", show_default=True
)
@click.option("--obey-robots/--ignore-robots", default=True, show_default=True)
@click.option("--timeout", type=click.FloatRange(1, 600), default=20, show_default=True)
@check_workers_option
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
    default="INFO",
    show_default=True,
)
def worker(
    redis_url: str | None,
    redis_file: str | None,
    prefix: str,
    concurrency: int,
    proxy: str | None,
    proxy_file: str | None,
    render: str,
    screenshots: bool,
    evidence_dir: str,
    obey_robots: bool,
    timeout: float,
    check_workers: str,
    log_level: str,
) -> None:
    """Check homepages queued in Redis by `icpwatch crawl --redis` (idles when there is none)."""
    from spiders.homepages_worker import HomepagesWorker  # scrapy-redis: only workers load it

    redis_url = secret_url(redis_url, redis_file, "redis")
    if not redis_url:
        raise click.UsageError(
            "give --redis URL or --redis-file PATH (or ICPWATCH_REDIS / ICPWATCH_REDIS_FILE)"
        )
    proxy = secret_url(proxy, proxy_file, "proxy")
    try:
        connect(redis_url).close()
    except RedisUnavailable as exc:
        raise click.UsageError(str(exc)) from None
    settings = crawl_settings(
        concurrency=concurrency, obey_robots=obey_robots, timeout=timeout, log_level=log_level
    )
    settings.setdict(
        {
            "ITEM_PIPELINES": {"pipelines.redis_sink.RedisSinkPipeline": 300},
            "ICPWATCH_PROGRESS_INTERVAL": 0,
            "ICPWATCH_CHECK_WORKERS": check_workers,
        },
        priority="cmdline",
    )
    process = CrawlerProcess(settings)
    process.crawl(
        HomepagesWorker,
        redis_url=redis_url,
        prefix=prefix,
        proxy=proxy,
        render=render,
        screenshots=screenshots,
        evidence_dir=evidence_dir,
    )
    process.start()
