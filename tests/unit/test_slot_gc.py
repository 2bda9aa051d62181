"""Idle downloader slots are freed after ICPWATCH_SLOT_IDLE_SECONDS, busy and recent ones kept.

SlotGC calls Scrapy's private ``Downloader._slot_gc``: this runs it on a real Downloader, so a
Scrapy that renames or changes it fails here, not silently in production."""

from __future__ import annotations

from time import monotonic
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.core.downloader import Downloader, Slot
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.fetch.slot_gc import SlotGC


def slot(idle_for: float, active: bool = False) -> Slot:
    s = Slot(concurrency=2, delay=0.0)
    s.lastseen = monotonic() - idle_for
    if active:
        s.active.add(Request("http://busy.example.cn/"))
    return s


def test_idle_slots_go_busy_and_recent_ones_stay() -> None:
    crawler = get_crawler(settings_dict={"ICPWATCH_SLOT_IDLE_SECONDS": 10})
    crawler.stats.open_spider()
    downloader = Downloader(crawler)
    downloader.slots.update(
        {
            "old.example.cn": slot(30),
            "older.example.cn": slot(300),
            "busy.example.cn": slot(300, active=True),
            "recent.example.cn": slot(2),
        }
    )
    crawler.engine = SimpleNamespace(downloader=downloader)
    ext = SlotGC.from_crawler(crawler)
    ext.collect()
    assert sorted(downloader.slots) == ["busy.example.cn", "recent.example.cn"]
    assert crawler.stats.get_value("icpwatch/slots_freed") == 2
    downloader.close()


def test_zero_leaves_scrapys_minute() -> None:
    with pytest.raises(NotConfigured):
        SlotGC.from_crawler(get_crawler(settings_dict={"ICPWATCH_SLOT_IDLE_SECONDS": 0}))
