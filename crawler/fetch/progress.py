"""Progress of a crawl: a live bar on a terminal, a log line every few seconds under cron.

On a terminal the bar is rich's, redrawn in place and cut to the terminal's width (a line wider
than the terminal scrolls a new line at every refresh); off a terminal a plain ``progress`` log
line every ``ICPWATCH_PROGRESS_INTERVAL`` seconds. The extension is shaped like Scrapy's
corestats: ``from_crawler`` plus small signal handlers.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

if TYPE_CHECKING:
    from rich.progress import Progress as Bar

logger = logging.getLogger(__name__)


def progress_line(
    done: int, total: int, elapsed: float, counts: Counter[str], width: int = 24
) -> str:
    """``[=====>      ] 120/2000  35.2/s  compliant 50 · missing 30``: the log line."""
    share = done / total if total else 1.0
    filled = int(share * width)
    bar = "=" * filled + (">" if filled < width else "") + " " * (width - filled - 1)
    verdicts = " · ".join(f"{v} {n}" for v, n in counts.most_common())
    return f"[{bar[:width]}] {done}/{total}  {_rate(done, elapsed)}  {verdicts}".rstrip()


def _rate(done: int, elapsed: float) -> str:
    return f"{done / elapsed if elapsed > 0 else 0.0:.1f}/s"


#: Seconds between redraws of the bar, and its width in columns.
REDRAW = 0.25
BAR_WIDTH = 24


class ProgressDisplay:
    """``show(done, total, counts)`` as often as you like (it throttles itself); ``close()``
    shows the last state. Off a terminal each line goes to ``emit`` (the log by default)."""

    def __init__(
        self, stream: TextIO, interval: float, emit: Callable[[str], None] | None = None
    ) -> None:
        self.tty = stream.isatty()
        self.interval = REDRAW if self.tty else interval
        self.emit = emit or (lambda line: logger.info("progress %s", line))
        self.started = time.monotonic()
        self.shown = 0.0
        self.bar: Bar | None = None
        if self.tty:  # rich costs ~50 ms of start-up: only where there is a terminal
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
            from rich.progress import Progress as Bar

            self.bar = Bar(
                BarColumn(bar_width=BAR_WIDTH),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TextColumn("{task.fields[verdicts]}", markup=False),
                console=Console(file=stream),
                auto_refresh=False,
            )
            self.task = self.bar.add_task("crawl", total=None, rate="", verdicts="")
            self.bar.start()

    def show(self, done: int, total: int, counts: Counter[str], force: bool = False) -> None:
        if not force and time.monotonic() - self.shown < self.interval:
            return
        self.shown = time.monotonic()
        elapsed = self.shown - self.started
        if self.bar is not None:
            rate = _rate(done, elapsed)
            # What is left of the width after the bar, "done/total" and the rate: a line wider
            # than the terminal would wrap and scroll at every redraw.
            room = self.bar.console.width - BAR_WIDTH - 2 * len(str(total)) - len(rate) - 5
            verdicts = " · ".join(f"{v} {n}" for v, n in counts.most_common())
            if len(verdicts) > room:
                verdicts = verdicts[: max(room - 1, 0)] + "…"
            self.bar.update(
                self.task, completed=done, total=total or None, rate=rate,
                verdicts=verdicts,
            )  # fmt: skip
            self.bar.refresh()
        else:
            self.emit(progress_line(done, total, elapsed, counts))

    def close(self, done: int, total: int, counts: Counter[str]) -> None:
        self.show(done, total, counts, force=True)
        if self.bar is not None:
            self.bar.stop()


class Progress:
    """The extension: counts items per verdict and shows them."""

    def __init__(self, crawler: Crawler, interval: float, stream: TextIO) -> None:
        self.crawler = crawler
        self.stream = stream
        self.interval = interval
        self.counts: Counter[str] = Counter()
        self.display: ProgressDisplay | None = None
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
        self.display = ProgressDisplay(self.stream, self.interval)
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.display.interval, now=False)

    def item_scraped(self, item: object) -> None:
        self.counts[getattr(item, "verdict", "?")] += 1

    def report(self) -> None:
        if self.display is not None:
            self.display.show(sum(self.counts.values()), self.total, self.counts)

    def spider_closed(self, spider: Spider) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        if self.display is not None:
            self.display.close(sum(self.counts.values()), self.total, self.counts)
