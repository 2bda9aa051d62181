"""The stylesheets of a page that shows its number, fetched only to ask whether they could hide
it (crawler/check/styles.py): a few small requests through the crawl's own downloader (guard,
proxy, robots.txt), far cheaper than a browser. A sheet that fails is skipped: it cannot make
a page's row fail."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.check.styles import MAX_SHEET_BYTES, stylesheet_links

logger = logging.getLogger(__name__)
SHEET_TIMEOUT = 5.0  # s a stylesheet may take: the verdict is already known without it


async def fetch_stylesheets(engine: Any, response: Response) -> list[tuple[str, bytes]]:
    """(URL, body) of the page's first linked stylesheets that answered 200, fetched at once."""
    urls = []
    for href in stylesheet_links(response.body):
        url = response.urljoin(href)
        if url.startswith(("http://", "https://")) and url not in urls:
            urls.append(url)
    bodies = await asyncio.gather(*(_fetch(engine, url) for url in urls))
    return [(url, body) for url, body in zip(urls, bodies, strict=True) if body is not None]


async def _fetch(engine: Any, url: str) -> bytes | None:
    request = scrapy.Request(
        url,
        dont_filter=True,
        meta={
            "download_timeout": SHEET_TIMEOUT,
            "download_maxsize": MAX_SHEET_BYTES,
            "download_warnsize": 0,
            "dont_retry": True,
            "dont_redirect": True,
        },
    )
    try:
        sheet = await engine.download_async(request)
    except Exception as exc:  # any failure: the sheet is not read
        logger.debug("stylesheet %s not read: %s", url, exc)
        return None
    return sheet.body if sheet.status == 200 else None
