"""Downloader middleware: every request through the crawl's proxy, no request to a private
address, no redirect to a scheme the crawl does not fetch, and a timestamp for each attempt.

The proxy is set here rather than on the spider's requests so robots.txt requests (built by
Scrapy's robots middleware) take it too. A licence may list a domain that points at 127.0.0.1
or an intranet address, and any site may redirect to one; fetching it would make icpwatch a
probe of the machine's own network. Every request passes here: the first URLs, each redirect
hop and meta refresh (Scrapy schedules them as new requests, which run the downloader
middlewares again) and robots.txt. An address literal or ``localhost`` is refused with or
without a proxy (a proxy on this machine would fetch its own loopback); a name is resolved and
judged only on direct connections, since through a proxy the proxy resolves it. The proxy's own
address is configuration, never judged. ``--allow-private`` turns the address check off.
The connection resolves the name again, through crawler/fetch/guarded_resolver.py, which
refuses a private answer then too (DNS rebinding); that refusal is named here as well.
Runs just before HttpProxyMiddleware (750), and sees responses before RedirectMiddleware (600).
"""

from __future__ import annotations

import time
from urllib.parse import urljoin
from urllib.request import getproxies

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError
from w3lib.url import safe_url_string

from crawler.fetch.addresses import Refusal, literal_refusal, resolved_refusal, unsupported_redirect
from crawler.fetch.guarded_resolver import PrivateAnswer, installed

#: Statuses Scrapy's RedirectMiddleware follows.
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class PrivateAddress(IgnoreRequest):
    """The request goes to a loopback, private, link-local, multicast or reserved address."""


class UnsupportedRedirect(IgnoreRequest):
    """A redirect to ``javascript:``, ``data:``, ``file:``, ``ftp:`` … : no page to judge there.
    Scrapy would pass the 3xx response on as if it were the page (or raise a bare
    ``ValueError`` for ``javascript:``)."""


def redirect_target(request: Request, location: bytes) -> str:
    """Where a ``Location`` header leads, computed as RedirectMiddleware does."""
    url = safe_url_string(location)
    if location.startswith(b"//"):
        url = f"{urlparse_cached(request).scheme}://{url.lstrip('/')}"
    return urljoin(request.url, url)


def step_of(request: Request) -> str:
    """How the crawl came to ``request``, for the error: a redirect, a refresh, robots.txt."""
    reasons = request.meta.get("redirect_reasons") or ()
    if reasons:
        return "meta refresh to " if reasons[-1] == "meta refresh" else "redirect to "
    if request.meta.get("dont_obey_robotstxt") and urlparse_cached(request).path == "/robots.txt":
        return "robots.txt at "
    return ""


class DownloadGuard:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.allow_private = crawler.settings.getbool("ICPWATCH_ALLOW_PRIVATE")
        self.env_proxies = getproxies()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DownloadGuard:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        """The crawl's proxy is configuration: the resolver must not refuse its host."""
        proxy = getattr(spider, "proxy", None)
        if proxy and (resolver := installed()):
            resolver.exempt(proxy)

    async def process_request(self, request: Request) -> None:
        request.meta["icpwatch_sent"] = time.monotonic()
        proxy = getattr(self.crawler.spider, "proxy", None)
        if proxy and "proxy" not in request.meta:
            request.meta["proxy"] = proxy
        if self.allow_private:
            return
        url = urlparse_cached(request)
        host = url.hostname or ""
        refusal = literal_refusal(host)
        proxied = bool(request.meta.get("proxy")) or url.scheme in self.env_proxies
        if refusal is None and not proxied:
            refusal = await self._resolved(host)
        if refusal is not None:
            raise PrivateAddress(refusal.describe(step_of(request)))

    async def _resolved(self, host: str) -> Refusal | None:
        from twisted.internet import reactor

        try:
            address = await maybe_deferred_to_future(reactor.resolve(host))
        except PrivateAnswer as exc:  # the resolver judged it first
            return exc.refusal
        except DNSLookupError:
            return None  # the download itself reports the DNS failure
        return resolved_refusal(host, address)

    def process_exception(self, request: Request, exception: Exception) -> None:
        """A name that answered the check above with a public address and the connection with
        a private one (DNS rebinding): Twisted says only "no results"; the resolver says why."""
        if self.allow_private or not isinstance(
            exception, (DNSLookupError, CannotResolveHostError)
        ):
            return
        resolver = installed()
        refusal = resolver.refusal(urlparse_cached(request).hostname or "") if resolver else None
        if refusal is not None:
            raise PrivateAddress(refusal.describe(step_of(request))) from exception

    def process_response(self, request: Request, response: Response) -> Response:
        """A redirect Scrapy would follow, to a scheme it cannot: the site's answer is an
        ``http_error``, not the 3xx page's body."""
        location = response.headers.get(b"Location")
        if (
            response.status in REDIRECT_STATUSES
            and location
            and not request.meta.get("dont_redirect")
            and not request.meta.get("handle_httpstatus_all")
            and response.status not in request.meta.get("handle_httpstatus_list", ())
        ):
            error = unsupported_redirect(redirect_target(request, location))
            if error:
                raise UnsupportedRedirect(error)
        return response
