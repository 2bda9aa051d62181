"""The worker's item sink: finished checks go back to Redis for the coordinator to store.

A worker has no database; the coordinator drains ``PREFIX:run:TOKEN:items`` into SQLite.
"""

from __future__ import annotations

import json

from scrapy.crawler import Crawler

from crawler.distributed import items_key
from crawler.items import CheckItem


class RedisSinkPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisSinkPipeline:
        return cls(crawler)

    def process_item(self, item: CheckItem) -> CheckItem:
        spider = self.crawler.spider
        token = spider.release(item.domain_id)
        spider.server.rpush(
            items_key(spider.prefix, token), json.dumps(item.row(), ensure_ascii=False)
        )
        return item
