"""Extension: SIGTERM or SIGINT ends a crawl within seconds, whatever a host or a check is doing.

Scrapy's graceful stop waits for every download in flight, so one stalled host holds a stopping
crawl for its whole download timeout (and a retry), and cron or Scrapyd's cancel then kills it
harder. Here the first signal starts Scrapy's graceful stop and gives it ``ICPWATCH_STOP_GRACE``
seconds; when they run out, or at a second signal, receivers of :data:`crawl_abandoned` (the
SQLite pipeline: store what it holds, mark the run ``interrupted``) have their say, one line
goes to stderr and the process exits 1. The next crawl resumes the run. Check workers die with
the process (crawler.check.pool).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from types import FrameType

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.internet.base import DelayedCall

logger = logging.getLogger(__name__)

#: Sent just before a forced exit; receivers return a line for stderr (or None).
crawl_abandoned = object()
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
EXIT_INTERRUPTED = 1


class StopGuard:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.grace = crawler.settings.getfloat("ICPWATCH_STOP_GRACE", 5.0)
        self.stopping = False
        self.deadline: DelayedCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StopGuard:
        guard = cls(crawler)
        # Scrapy installs its own handlers when the reactor starts; the engine starts after.
        crawler.signals.connect(guard.install, signal=signals.engine_started)
        crawler.signals.connect(guard.disarm, signal=signals.engine_stopped)
        return guard

    def install(self) -> None:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, _: FrameType | None) -> None:
        from twisted.internet import reactor

        name = signal.Signals(signum).name
        if self.stopping:  # a second signal: no more waiting
            reactor.callFromThread(self.abandon, f"stopped by a second {name}")
            return
        self.stopping = True
        reactor.callFromThread(self._stop, name)

    def _stop(self, name: str) -> None:
        from twisted.internet import reactor

        logger.info("%s: stopping the crawl (at most %g s)", name, self.grace)
        self.crawler.stop()
        self.deadline = reactor.callLater(
            self.grace, self.abandon, f"stopped by {name}; forced after {self.grace:g} s"
        )

    def disarm(self) -> None:
        if self.deadline is not None and self.deadline.active():
            self.deadline.cancel()

    def abandon(self, why: str) -> None:
        """Exit now: what receivers can save is saved, the rest is for the next crawl."""
        lines = [
            line
            for _, line in self.crawler.signals.send_catch_log(crawl_abandoned, reason=why)
            if isinstance(line, str)
        ]
        sys.stderr.write("\n".join(lines or [f"icpwatch: crawl {why}"]) + "\n")
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)
