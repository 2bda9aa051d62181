"""Downloader middleware: refuse hosts that resolve to non-public addresses, and time attempts.

A licence may list a domain that points at 127.0.0.1 or an intranet address; fetching it would
make icpwatch a probe of the machine's own network. Through a proxy the proxy resolves names, so
the check applies to direct connections only. ``--allow-private`` turns it off.
"""

from __future__ import annotations

import ipaddress
import time

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
    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DownloadGuard:
        return cls(crawler.settings.getbool("ICPWATCH_ALLOW_PRIVATE"))

    async def process_request(self, request: Request) -> None:
        request.meta["icpwatch_sent"] = time.monotonic()
        if self.allow_private or request.meta.get("proxy"):
            return
        host = urlparse_cached(request).hostname or ""
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
