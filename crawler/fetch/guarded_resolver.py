"""Scrapy's DNS resolver (``TWISTED_DNS_RESOLVER``), refusing a name whose answer is not public.

The download guard (crawler/fetch/download_guard.py) resolves a direct request's host and
refuses a private answer with a friendly error, but the connection then resolves the name again.
Scrapy's cache usually pins the first answer; a name evicted or never cached may answer
127.0.0.1 the second time (DNS rebinding). Here every answer the connection uses is judged as it
is handed out, cached or not, so the address connected to is the address judged.

The crawl's proxy is configuration: the download guard names its host (:meth:`exempt`) and the
environment's proxies (``http_proxy`` …) are read here, and those names are never refused. Off
with ``ICPWATCH_ALLOW_PRIVATE``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies

from scrapy.crawler import Crawler
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.datatypes import LocalCache
from twisted.internet.base import ReactorBase
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from crawler.fetch.addresses import Refusal, clean_host, resolved_refusal

logger = logging.getLogger(__name__)

#: Names refused lately, for the download guard to name the refusal when a connection's lookup
#: (which Twisted reports only as "no results") was refused.
REMEMBERED = 1000


class PrivateAnswer(DNSLookupError):
    """The name resolved to a non-public address. A ``DNSLookupError``: Twisted's connection
    path reports it as a failed lookup (no address to connect to) instead of logging a crash."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.describe())
        self.refusal = refusal


def proxy_host(proxy: str) -> str | None:
    """The host of a proxy URL (``http://user:pw@localhost:3128`` → ``localhost``), or of a
    bare ``host:port`` as the environment may give it."""
    try:
        host = urlsplit(proxy if "://" in proxy else f"http://{proxy}").hostname
    except ValueError:
        return None
    return clean_host(host) if host else None


class GuardedResolver(CachingThreadedResolver):
    def __init__(
        self, reactor: ReactorBase, cache_size: int, timeout: float, allow_private: bool = False
    ) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.allow_private = allow_private
        self.exempt_hosts = {h for p in getproxies().values() if (h := proxy_host(p))}
        self.refused: LocalCache[str, Refusal] = LocalCache(REMEMBERED)

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> GuardedResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_private = crawler.settings.getbool("ICPWATCH_ALLOW_PRIVATE")
        return resolver

    def refusal(self, host: str) -> Refusal | None:
        """Why a lookup of ``host`` was refused lately, if it was."""
        return self.refused.get(clean_host(host))

    def exempt(self, proxy: str) -> None:
        """Never refuse this proxy URL's host: a proxy on ``localhost:3128`` is the user's own."""
        if host := proxy_host(proxy):
            self.exempt_hosts.add(host)

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        answer = super().getHostByName(name, timeout)
        if self.allow_private or clean_host(name) in self.exempt_hosts:
            return answer
        return answer.addCallback(self._judged, name)

    def _judged(self, address: Any, name: str) -> Any:
        refusal = resolved_refusal(name, str(address))
        if refusal is None:
            return address
        logger.debug("DNS answer refused: %s", refusal.describe())
        self.refused[clean_host(name)] = refusal
        raise PrivateAnswer(refusal)


def installed() -> GuardedResolver | None:
    """The reactor's resolver, when it is this one (``icpwatch crawl``; not in a bare
    ``CrawlerRunner``)."""
    from twisted.internet import reactor

    resolver = getattr(reactor, "resolver", None)
    return resolver if isinstance(resolver, GuardedResolver) else None
