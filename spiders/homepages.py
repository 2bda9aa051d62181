"""The ``homepages`` spider: one check per active (licence, domain).

For a host it tries ``https://host/``, ``http://host/``, then the ``www.`` variants, until one
yields a page; the footer check and the crawl-level rules live in ``crawler.check.outcome``.
The SQLite pipeline opens the run and hands the spider its targets (``self.crawl_run``).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.request import getproxies

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure
from w3lib.encoding import http_content_type_encoding

from crawler.check.outcome import (
    Outcome,
    assess_failure,
    error_line,
    given_up,
    is_offsite,
    telling_error,
)
from crawler.check.pool import CheckPool, worker_count
from crawler.check.rendered import navigated_away
from crawler.fetch.proxy_tunnels import SKIPPED, ProxyTunnels
from crawler.fetch.stylesheets import fetch_stylesheets
from crawler.items import CheckItem, check_item
from crawler.licences.domains import homepage_urls, normalise_host
from crawler.licences.numbers import canonical
from crawler.render.browser import Browser
from crawler.render.policy import render_decision, wants_stylesheets
from crawler.render.rendering import (
    RENDER_MODES,
    rendered_finding,
    settle,
    take_screenshot,
)
from crawler.store.runs import CrawlOptions, CrawlRun, Target

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
        licence: str | None = None,  # the British spelling, as common
        domain: str | None = None,
        due: str | None = None,
        proxy: str | None = None,
        db: str | None = None,
        render: str = "auto",
        screenshots: str | bool = True,
        evidence_dir: str | None = None,
        crawl_run: CrawlRun | None = None,  # opened by `icpwatch crawl`; else by the pipeline
        **kwargs: Any,
    ) -> None:
        unknown = sorted(k for k in kwargs if not k.startswith("_"))  # Scrapyd adds _job
        if unknown:  # a typo must not silently widen the crawl to the whole database
            raise ValueError(f"unknown spider argument(s): {', '.join(unknown)}")
        super().__init__(**kwargs)
        if render not in RENDER_MODES:
            raise ValueError(f"render={render!r}: expected one of {', '.join(RENDER_MODES)}")
        self.db = db
        self.proxy = proxy
        self.render = render
        self.screenshots = str(screenshots).lower() not in ("0", "false", "no", "off")
        self.evidence_dir = evidence_dir
        self.crawl_options = CrawlOptions(
            licences=tuple(canonical(n) for n in _split(license or licence)),
            domains=tuple(normalise_host(h).host for h in _split(domain)),
            due=due or None,
        )
        self.crawl_run = crawl_run
        self.tunnels = ProxyTunnels()
        self.env_https_proxy = getproxies().get("https")  # read once, not per site
        self.checks = CheckPool(0)  # inline; a crawl gets worker processes in from_crawler
        self.browser: Browser | None = None  # from_crawler, when this crawl may render

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> HomepagesSpider:
        """Check workers for the crawl, and a browser when it may render."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.checks = CheckPool(
            worker_count(settings.get("ICPWATCH_CHECK_WORKERS")),
            settings.getfloat("ICPWATCH_CHECK_BUDGET"),
        )
        crawler.signals.connect(spider.checks.start, signal=signals.spider_opened)
        crawler.signals.connect(spider.checks.close, signal=signals.spider_closed)
        if spider.render != "never":
            spider.browser = Browser(
                concurrency=settings.getint("ICPWATCH_RENDER_CONCURRENCY"),
                timeout=settings.getfloat("ICPWATCH_RENDER_TIMEOUT"),
                chromium=settings.get("ICPWATCH_CHROMIUM"),
                screenshots=spider.screenshots,
                proxy=spider.proxy or getproxies().get("http"),
                user_agent=settings.get("USER_AGENT"),
                allow_private=settings.getbool("ICPWATCH_ALLOW_PRIVATE"),
            )
            crawler.signals.connect(spider.browser.close, signal=signals.spider_closed)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for target in self.crawl_run.targets:
            await self._room_for_more()
            yield self._first_request(target)

    async def _room_for_more(self) -> None:
        """Lazy start: queue a site only when the downloader has room. Scrapy drains start()
        into the scheduler while the downloader is busy, and its per-host queue picks the
        next request by scanning every host it holds: quadratic in the number of sites."""
        engine = self.crawler.engine
        while engine is not None and engine.needs_backout():
            await self.crawler.signals.wait_for(signals.scheduler_empty)

    def _first_request(self, target: Target) -> scrapy.Request:
        """``https://host/``, unless the proxy has shown it tunnels no HTTPS at all."""
        proxied = self.proxy or self.env_https_proxy
        if proxied and self.tunnels.skip_https(target.domain_id):
            skipped = {
                "url": _urls(target)[0],
                "status": None,
                "error": SKIPPED,
                "ms": 0,
            }
            return self._request(target, 1, [skipped], time.monotonic())
        return self._request(target, 0, [], time.monotonic())

    def _request(
        self, target: Target, index: int, attempts: list[dict], started: float
    ) -> scrapy.Request:
        return scrapy.Request(
            _urls(target)[index],
            callback=self.parse_homepage,
            errback=self.on_failure,
            dont_filter=True,
            cb_kwargs={"target": target, "index": index, "attempts": attempts, "started": started},
        )

    async def parse_homepage(
        self, response: Response, target: Target, index: int, attempts: list, started: float
    ) -> list[CheckItem | scrapy.Request]:
        try:
            return await self._judge(response, target, index, attempts, started)
        except Exception as exc:  # whatever a page breaks, its domain still gets its one row
            self.logger.warning("checking %s failed: %s", response.url, error_line(exc))
            outcome = Outcome(
                "check_error", error_line(exc), http_status=response.status, final_url=response.url
            )
            attempts = [*attempts, _attempt(response.url, response.meta, response.status)]
            return [self._item(target, outcome, attempts, started)]

    async def _judge(
        self, response: Response, target: Target, index: int, attempts: list, started: float
    ) -> list[CheckItem | scrapy.Request]:
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
            return self._next_or_give_up(target, index, attempts, started, outcome)
        attempts.append(_attempt(response.url, response.meta, response.status))
        if index == 0 and response.meta.get("proxy"):
            self.tunnels.opened_once()
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        outcome = await self.checks.assess(
            expected=target.license_no,
            company=target.company,
            url=response.url,
            status=response.status,
            content_type=content_type,
            body=response.body,
            # The HTTP charset only: the check reads <meta charset> itself, and Scrapy's
            # response.encoding would decode the whole body here to guess one.
            encoding=http_content_type_encoding(content_type),
            offsite_redirect=is_offsite(response.url, target.licensed_hosts),
            expected_filing=target.expected,
            rules_off=tuple(sorted(target.rules_off)),
            scan_styles=self.render == "auto",
        )
        sheets = []
        if self.browser and wants_stylesheets(self.render, outcome.finding):
            sheets = await fetch_stylesheets(self.crawler.engine, response)
        decision = render_decision(
            self.render, outcome.finding, response.body, sheets, outcome.page_styles
        )
        outcome = replace(outcome, render_reason=decision.reason)
        if self.browser and decision.render:
            outcome = await self._rendered(response.url, target, outcome)
        return [self._item(target, outcome, attempts, started)]

    async def _rendered(self, url: str, target: Target, static: Outcome) -> Outcome:
        """The outcome judged on the page as Chromium renders it; a failed render keeps the
        static one and records why."""

        async def judge(page: Any) -> Outcome:
            await settle(page)
            hosts = target.licensed_hosts
            away = navigated_away(static, url, self.browser.landed(page), hosts)
            if away:  # a script took the page to another site: nothing of it is filed
                return away
            finding, measured = await rendered_finding(
                page,
                target.license_no,
                target.company,
                url,
                expected_filing=target.expected,
                rules_off=target.rules_off,
            )
            shot = None
            if self.screenshots:
                shot = await take_screenshot(page, finding, measured, self._shot_path(target))
            landed = self.browser.landed(page)
            away = navigated_away(static, url, landed, hosts)
            if away:  # it left while being measured: the finding and shot may be the other's
                if shot:
                    Path(shot.path).unlink(missing_ok=True)
                return away
            return replace(
                static,
                verdict=str(finding.verdict),
                finding=finding,
                rendered=True,
                static_verdict=static.verdict,
                screenshot=shot,
                final_url=landed,
                offsite_redirect=static.offsite_redirect or is_offsite(landed, hosts),
            )

        try:
            return await self.browser.render(url, judge)
        except Exception as exc:  # a failed render never loses the static result
            return replace(static, render_error=error_line(exc))

    def _shot_path(self, target: Target) -> Path:
        base = self.evidence_dir or self.settings.get("ICPWATCH_EVIDENCE_DIR")
        folder = Path(base) if base else self.crawl_run.path.parent / "evidence"
        return folder / f"run-{self.crawl_run.run_id}" / f"{target.host}.png"

    def on_failure(self, failure: Failure) -> list[CheckItem | scrapy.Request]:
        request, kw = failure.request, failure.request.cb_kwargs
        outcome = assess_failure(type(failure.value).__name__, str(failure.value))
        if type(failure.value).__name__ == "TunnelError":
            self.tunnels.refused_once()
        attempts = [*kw["attempts"], _attempt(request.url, request.meta, None, outcome.error)]
        if outcome.fallback and kw["index"] + 1 >= len(_urls(kw["target"])):
            outcome = given_up(kw["target"].host, attempts, outcome)  # blocked if refused
        return self._next_or_give_up(kw["target"], kw["index"], attempts, kw["started"], outcome)

    def _next_or_give_up(
        self, target: Target, index: int, attempts: list, started: float, outcome: Outcome
    ) -> list[CheckItem | scrapy.Request]:
        if outcome.fallback and index + 1 < len(_urls(target)):
            return [self._request(target, index + 1, attempts, started)]
        if outcome.fallback:  # every URL failed: report the most telling failure
            outcome = replace(outcome, error=telling_error(target.host, attempts))
        return [self._item(target, outcome, attempts, started)]

    def _item(self, target: Target, outcome: Outcome, attempts: list, started: float) -> CheckItem:
        """The domain's one row (``icpwatch check`` also keeps the outcome it came from)."""
        return check_item(target, outcome, attempts, _ms(started))


def _urls(target: Target) -> list[str] | tuple[str, ...]:
    """Where the target's page may answer, in the order tried: its homepage URLs, unless
    ``icpwatch check`` named others."""
    return target.urls or homepage_urls(target.host)


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
