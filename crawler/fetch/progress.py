"""Progress of a crawl: a live line on a terminal, a log line every few seconds under cron.

Shaped like Scrapy's corestats: ``from_crawler`` plus small signal handlers.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from typing import TextIO

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

logger = logging.getLogger(__name__)


def progress_line(
    done: int, total: int, elapsed: float, counts: Counter[str], width: int = 24
) -> str:
    """``[=====>      ] 120/2000  35.2/s  compliant 50 · missing 30``"""
    share = done / total if total else 1.0
    filled = int(share * width)
    bar = "=" * filled + (">" if filled < width else "") + " " * (width - filled - 1)
    rate = done / elapsed if elapsed > 0 else 0.0
    verdicts = " · ".join(f"{v} {n}" for v, n in counts.most_common())
    return f"[{bar[:width]}] {done}/{total}  {rate:.1f}/s  {verdicts}".rstrip()


class Progress:
    def __init__(self, crawler: Crawler, interval: float, stream: TextIO) -> None:
        self.crawler = crawler
        self.stream = stream
        self.tty = stream.isatty()
        self.interval = 0.5 if self.tty else interval
        self.counts: Counter[str] = Counter()
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        interval = crawler.settings.getfloat("ICPWATCH_PROGRESS_INTERVAL", 10.0)
        if interval <= 0:
            raise NotConfigured
        ext = cls(crawler, interval, sys.stderr)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    @property
    def total(self) -> int:
        run = getattr(self.crawler.spider, "crawl_run", None)
        return len(run.targets) if run else 0

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval, now=False)

    def item_scraped(self, item: object) -> None:
        self.counts[getattr(item, "verdict", "?")] += 1

    def report(self) -> None:
        line = progress_line(
            sum(self.counts.values()), self.total, time.monotonic() - self.started, self.counts
        )
        if self.tty:
            self.stream.write(f"\r\x1b[K{line}")
            self.stream.flush()
        else:
            logger.info("progress %s", line)

    def spider_closed(self, spider: Spider) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        self.report()
        if self.tty:
            self.stream.write("\n")
