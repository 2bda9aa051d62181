"""The ``homepages`` spider for the one page ``icpwatch check URL`` names.

Same requests, fallbacks, download guard, footer check, render policy and item as a crawl; only
the target comes from the command (not the database) and the outcome is kept beside the item,
so the command can print the full Finding and the fetch facts. Run by ``icpwatch check`` only:
it needs a ``Target`` object, which no ``-a`` argument or Scrapyd job can pass.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.check.outcome import Outcome
from crawler.items import CheckItem
from crawler.store.runs import Target
from spiders.homepages import HomepagesSpider, _redirects


class HomepagesCheck(HomepagesSpider):
    name = "homepages-check"

    def __init__(
        self, target: Target | None = None, screenshot_file: str | None = None, **kwargs: Any
    ) -> None:
        if target is None:
            raise ValueError("homepages-check is run by `icpwatch check URL` only")
        super().__init__(**kwargs)
        self.target = target
        self.screenshot_file = screenshot_file
        self.outcome: Outcome | None = None
        self.item: CheckItem | None = None
        self.redirects: list[dict] = []  # the hops to the page judged

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self._first_request(self.target)

    async def _judge(self, response: Response, *args: Any) -> list[CheckItem | scrapy.Request]:
        self.redirects = _redirects(response)
        return await super()._judge(response, *args)

    def _item(self, target: Target, outcome: Outcome, attempts: list, started: float) -> CheckItem:
        self.outcome = outcome
        self.item = super()._item(target, outcome, attempts, started)
        return self.item

    def _shot_path(self, target: Target) -> Path:
        """``--screenshot FILE``, else where a crawl keeps it (``--save``)."""
        return Path(self.screenshot_file) if self.screenshot_file else super()._shot_path(target)
