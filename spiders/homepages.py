"""The ``homepages`` spider: one check per active (licence, domain).

For a host it tries ``https://host/``, ``http://host/``, then the ``www.`` variants, until one
yields a page; the footer check and the crawl-level rules live in ``crawler.page_outcome``.
The SQLite pipeline opens the run and hands the spider its targets (``self.crawl_run``).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.crawl_run import CrawlOptions, Target
from crawler.domains import homepage_urls, normalise_host
from crawler.items import CheckItem, check_item
from crawler.licence_numbers import canonical
from crawler.page_outcome import Outcome, assess_failure, assess_page, telling_error

#: Answers of a proxy that could not reach the site: no page from this URL, try the next one.
PROXY_GATEWAY_ERRORS = (502, 504)


def _split(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """Spider arguments arrive as comma-separated strings from ``-a`` and Scrapyd."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    return tuple(i.strip() for i in items if i.strip())


class HomepagesSpider(scrapy.Spider):
    name = "homepages"

    def __init__(
        self,
        license: str | None = None,  # the Scrapyd argument name users type
        domain: str | None = None,
        due: str | None = None,
        proxy: str | None = None,
        db: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.db = db
        self.proxy = proxy
        self.crawl_options = CrawlOptions(
            licences=tuple(canonical(n) for n in _split(license)),
            domains=tuple(normalise_host(h).host for h in _split(domain)),
            due=due or None,
        )
        self.crawl_run = None  # set by the SQLite pipeline when the spider opens

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for target in self.crawl_run.targets:
            yield self._request(target, 0, [], time.monotonic())

    def _request(
        self, target: Target, index: int, attempts: list[dict], started: float
    ) -> scrapy.Request:
        return scrapy.Request(
            homepage_urls(target.host)[index],
            callback=self.parse_homepage,
            errback=self.on_failure,
            dont_filter=True,
            cb_kwargs={"target": target, "index": index, "attempts": attempts, "started": started},
        )

    def parse_homepage(
        self, response: Response, target: Target, index: int, attempts: list, started: float
    ) -> Iterator[CheckItem | scrapy.Request]:
        attempts = [*attempts, *_redirects(response)]
        if response.status in PROXY_GATEWAY_ERRORS and response.meta.get("proxy"):
            why = (
                response.headers.get("X-Squid-Error")
                or response.headers.get("X-Example-Web-Error")
                or b""
            )
            outcome = assess_failure(
                "ProxyGatewayError", f"proxy answered {response.status} {why.decode()}"
            )
            attempts.append(_attempt(response.url, response.meta, response.status, outcome.error))
            yield from self._next_or_give_up(target, index, attempts, started, outcome)
            return
        attempts.append(_attempt(response.url, response.meta, response.status))
        outcome = assess_page(
            expected=target.license_no,
            company=target.company,
            url=response.url,
            status=response.status,
            content_type=response.headers.get("Content-Type", b"").decode("latin-1"),
            body=response.body,
            encoding=getattr(response, "encoding", None),
            licensed_hosts=target.licensed_hosts,
        )
        yield check_item(target, outcome, attempts, _ms(started))

    def on_failure(self, failure: Failure) -> Iterator[CheckItem | scrapy.Request]:
        request, kw = failure.request, failure.request.cb_kwargs
        outcome = assess_failure(type(failure.value).__name__, str(failure.value))
        attempts = [*kw["attempts"], _attempt(request.url, request.meta, None, outcome.error)]
        yield from self._next_or_give_up(
            kw["target"], kw["index"], attempts, kw["started"], outcome
        )

    def _next_or_give_up(
        self, target: Target, index: int, attempts: list, started: float, outcome: Outcome
    ) -> Iterator[CheckItem | scrapy.Request]:
        if outcome.fallback and index + 1 < len(homepage_urls(target.host)):
            yield self._request(target, index + 1, attempts, started)
            return
        if outcome.fallback:  # every URL failed: report the most telling failure
            outcome = replace(outcome, error=telling_error(target.host, attempts))
        yield check_item(target, outcome, attempts, _ms(started))


def _attempt(url: str, meta: dict, status: int | None, error: str | None = None) -> dict:
    """One URL tried: its status or error, and how long the download took."""
    latency = meta.get("download_latency")
    if latency is None and "icpwatch_sent" in meta:
        latency = time.monotonic() - meta["icpwatch_sent"]
    return {
        "url": url,
        "status": status,
        "error": error,
        "ms": round(latency * 1000) if latency is not None else None,
    }


def _redirects(response: Response) -> list[dict]:
    """The hops Scrapy followed (HTTP redirects and meta refresh) before the final response."""
    urls = response.meta.get("redirect_urls", [])
    reasons = response.meta.get("redirect_reasons", [])
    return [
        {
            "url": url,
            "status": reason if isinstance(reason, int) else None,
            "error": None if isinstance(reason, int) else str(reason),
            "ms": None,
        }
        for url, reason in zip(urls, reasons or [None] * len(urls), strict=False)
    ]


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
