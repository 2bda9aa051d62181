"""The ``homepages`` spider as a scrapy-redis worker: targets come from Redis, items go back.

Same requests, same footer check, same items as ``homepages``; only the request source
(``PREFIX:queue``) and the item sink (pipelines/redis_sink.py) differ. It idles while the queue
is empty and never needs the database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import redis
import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.asyncio import sleep
from scrapy_redis.spiders import RedisMixin

from crawler.distributed import (
    DEFAULT_PREFIX,
    active_key,
    claims_key,
    decode_target,
    queue_key,
)
from spiders.homepages import HomepagesSpider


class HomepagesWorker(RedisMixin, HomepagesSpider):
    name = "homepages-worker"

    def __init__(
        self,
        redis_url: str = "redis://127.0.0.1:6379/0",
        prefix: str = DEFAULT_PREFIX,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.redis_url = redis_url  # a spider argument, never a setting: settings get logged
        self.prefix = prefix
        self.redis_key = queue_key(prefix)
        self.max_idle_time = 0  # a worker waits for work; SIGTERM stops it
        self.tokens: dict[int, str] = {}  # domain id → the run its item goes back to
        self.room = asyncio.Event()  # set when a target in flight is done

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> HomepagesWorker:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup_redis(crawler)
        spider.server = redis.Redis.from_url(spider.redis_url, socket_timeout=30)
        spider.count_size = spider.server.llen
        crawler.signals.connect(spider.forget_failed, signal=signals.spider_error)
        return spider

    def forget_failed(self, failure: object, response: scrapy.http.Response) -> None:
        """A callback that crashed yields no item: free its slot (the lease requeues it)."""
        target = response.request.cb_kwargs.get("target") if response.request else None
        if target is not None:
            self.release(target.domain_id)

    def release(self, domain_id: int) -> str | None:
        """A target is done (its item sent, or its callback crashed): its run token, and room
        for the next target."""
        self.room.set()
        return self.tokens.pop(domain_id, None)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """Keep ``CONCURRENT_REQUESTS`` targets in flight: take the next one the moment one is
        done, and see new work within 0.1 s (scrapy-redis alone looks only when the spider goes
        idle, at the engine's 5 s heartbeat). Taking no more than that lets other workers share
        the queue and keeps leases honest."""
        while True:
            if len(self.tokens) >= self.redis_batch_size:
                self.room.clear()
                with contextlib.suppress(TimeoutError):  # a missed release costs 1 s, not all
                    await asyncio.wait_for(self.room.wait(), 1.0)
                continue
            data = self.fetch_data(self.redis_key, 1)
            if not data:
                await sleep(0.1)  # the queue is empty: look again soon
                continue
            for request in self.make_request_from_data(data[0]):
                yield request

    def make_request_from_data(self, data: bytes) -> list[scrapy.Request]:
        try:
            token, target = decode_target(data)
        except ValueError as exc:
            self.logger.warning("skipped a queue message: %s", exc)
            return []
        if not self.server.exists(active_key(self.prefix, token)):
            return []  # its run is over (finished or interrupted): nobody would store it
        self.tokens[target.domain_id] = token
        self.server.rpush(claims_key(self.prefix, token), target.domain_id)  # the lease starts
        return [self._first_request(target)]
