"""Downloader middleware: every request through the crawl's proxy, no request to a private
address, and a timestamp for each attempt.

The proxy is set here rather than on the spider's requests so robots.txt requests (built by
Scrapy's robots middleware) take it too. A licence may list a domain that points at 127.0.0.1
or an intranet address; fetching it would make icpwatch a probe of the machine's own network.
Through a proxy the proxy resolves names, so that check applies to direct connections only.
``--allow-private`` turns it off. Runs just before HttpProxyMiddleware (750).
"""

from __future__ import annotations

import ipaddress
import time
from urllib.request import getproxies

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError


class PrivateAddress(IgnoreRequest):
    """The host resolves to a loopback, private, link-local, multicast or reserved address."""


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast


class DownloadGuard:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.allow_private = crawler.settings.getbool("ICPWATCH_ALLOW_PRIVATE")
        self.env_proxies = getproxies()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DownloadGuard:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        request.meta["icpwatch_sent"] = time.monotonic()
        proxy = getattr(self.crawler.spider, "proxy", None)
        if proxy and "proxy" not in request.meta:
            request.meta["proxy"] = proxy
        url = urlparse_cached(request)
        if self.allow_private or request.meta.get("proxy") or url.scheme in self.env_proxies:
            return
        host = url.hostname or ""
        try:
            ipaddress.ip_address(host)
            address = host
        except ValueError:
            from twisted.internet import reactor

            try:
                address = await maybe_deferred_to_future(reactor.resolve(host))
            except DNSLookupError:
                return  # the download itself reports the DNS failure
        if not is_public(address):
            raise PrivateAddress(f"{host} resolves to {address}, a non-public address")
