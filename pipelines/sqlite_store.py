"""The SQLite pipeline: settings → open the run → batch the items → finish the run.

It owns the run's lifecycle (lock, ``runs`` row, targets handed to the spider) because a crawl
started the Scrapy way (``scrapy crawl homepages``, Scrapyd) must behave exactly like
``icpwatch crawl``.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from crawler.fetch.stop_guard import crawl_abandoned
from crawler.items import CheckItem
from crawler.store.runs import CrawlRun, redact_url


class NoDatabase(RuntimeError):
    """The crawl was started without a usable database (none, or relative under Scrapyd)."""


#: Close reasons that mean "stopped from outside" (Ctrl-C, SIGTERM, Scrapyd's cancel).
INTERRUPTED_REASONS = ("shutdown", "cancelled")


class SQLitePipeline:
    def __init__(
        self, crawler: Crawler, db_path: str | None, batch_size: int, batch_seconds: float
    ) -> None:
        self.crawler = crawler
        self.db_path = db_path
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.run: CrawlRun | None = None
        self.pending: list[dict] = []
        self.flushed_at = time.monotonic()
        self.summary: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SQLitePipeline:
        settings = crawler.settings
        pipeline = cls(
            crawler,
            settings.get("ICPWATCH_DB"),
            settings.getint("ICPWATCH_BATCH_SIZE", 200),
            settings.getfloat("ICPWATCH_BATCH_SECONDS", 2.0),
        )
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.abandoned, signal=crawl_abandoned)
        return pipeline

    def open_spider(self) -> None:
        spider = self.crawler.spider
        db_path = getattr(spider, "db", None) or self.db_path
        # Never fall back to a file in the working directory (Scrapyd's is its own folder).
        message = None
        if not db_path:
            message = "no database given: set ICPWATCH_DB or pass the spider argument db=PATH"
        elif getattr(spider, "_job", None) and not os.path.isabs(db_path):  # a Scrapyd job
            message = f"db={db_path} is a relative path: a Scrapyd job needs an absolute one"
        if message:
            spider.logger.error("icpwatch: %s", message)
            raise NoDatabase(message)
        options = replace(spider.crawl_options, extra=self._recorded())
        if spider.crawl_run is None:
            spider.crawl_run = CrawlRun.open(db_path, options)
        else:  # opened by `icpwatch crawl`, so that a refusal is one line before Scrapy starts
            spider.crawl_run.record(options)
        self.run = spider.crawl_run
        spider.logger.info(
            "run %s: %s domain(s) to check in %s", self.run.run_id, len(self.run.targets), db_path
        )

    def _recorded(self) -> dict:
        """The settings that shape a run's results, kept with the run (credentials removed)."""
        settings = self.crawler.settings
        return {
            "concurrency": settings.getint("CONCURRENT_REQUESTS"),
            "obey_robots": settings.getbool("ROBOTSTXT_OBEY"),
            "timeout": settings.getfloat("DOWNLOAD_TIMEOUT"),
            "user_agent": settings.get("USER_AGENT"),
            "allow_private": settings.getbool("ICPWATCH_ALLOW_PRIVATE"),
            "proxy": redact_url(getattr(self.crawler.spider, "proxy", None)),
            "render": getattr(self.crawler.spider, "render", None),
            "screenshots": getattr(self.crawler.spider, "screenshots", None),
        }

    def process_item(self, item: CheckItem) -> CheckItem:
        self.pending.append(item.row())
        if len(self.pending) >= self.batch_size or (
            time.monotonic() - self.flushed_at >= self.batch_seconds
        ):
            self.flush()
        return item

    def flush(self) -> None:
        self.run.save(self.pending)
        self.pending = []
        self.flushed_at = time.monotonic()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.run is None:
            return
        self.flush()
        status, error = (
            ("finished", None)
            if reason == "finished"
            else ("interrupted", reason)
            if reason in INTERRUPTED_REASONS
            else ("failed", reason)
        )
        self.summary = self.run.finish(status, error)
        spider.crawler.stats.set_value("icpwatch/run_id", self.run.run_id)
        spider.crawler.stats.set_value("icpwatch/run_status", self.run.status)

    def abandoned(self, reason: str) -> str | None:
        """The crawl exits now (crawler/fetch/stop_guard.py): keep what it has, mark the run."""
        if self.run is None or self.run.status != "running":
            return None
        self.flush()
        counts = self.run.finish("interrupted", reason)
        return (
            f"run {self.run.run_id} interrupted ({reason}): {sum(counts.values())}/"
            f"{len(self.run.targets)} domain(s) checked; the next crawl resumes it"
        )
