"""What ``icpwatch check URL`` fetches: the URL a person typed, as the URLs a crawl would try.

A bare host or a homepage URL is the crawl's own target: its host normalised as the licence
loader does (``www.``, case, IDN) and tried in the crawl's order (``https://host/``,
``http://host/``, then the ``www.`` variants), a scheme typed first. Anything more precise (a
path, a query, a port, an address literal or ``localhost``) is fetched as typed, over http too
when no scheme was given; the download guard judges the address like any other request.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from crawler.fetch.addresses import FETCHED_SCHEMES, is_localhost, literal_address
from crawler.licences.domains import InvalidDomain, homepage_urls, normalise_host


class InvalidUrl(ValueError):
    """Not a page to check; the message names what was typed."""


@dataclass(frozen=True, slots=True)
class PageUrls:
    host: str  # the licensed-host form (no ``www.``), or the address literal as typed
    urls: tuple[str, ...]  # tried in this order until one gives a page


def page_urls(text: str) -> PageUrls:
    """``example.cn``, ``https://www.example.cn/``, ``example.cn/about`` … → what to fetch."""
    raw = text.strip()
    if not raw or any(c.isspace() or not c.isprintable() for c in raw):
        raise InvalidUrl(f"{text!r} is not a URL")
    typed_scheme = "://" in raw
    try:
        parts = urlsplit(raw if typed_scheme else f"https://{raw}")
        port = parts.port
    except ValueError as exc:
        raise InvalidUrl(f"{text!r} is not a URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in FETCHED_SCHEMES:
        raise InvalidUrl(f"{text!r}: only http:// and https:// pages can be checked")
    name = parts.hostname or ""
    literal = is_localhost(name) or literal_address(name) is not None
    if not literal:
        try:
            host = normalise_host(name).host
        except InvalidDomain as exc:
            raise InvalidUrl(f"{text!r} has no host name to check: {exc}") from None
    if literal or port is not None or parts.path not in ("", "/") or parts.query:
        netloc = parts.netloc.rpartition("@")[2]  # never send typed credentials anywhere
        if not literal:
            netloc = f"{_typed_host(name, host)}{f':{port}' if port is not None else ''}"
        schemes = (scheme,) if typed_scheme else ("https", "http")
        path = parts.path or "/"
        urls = tuple(urlunsplit((s, netloc, path, parts.query, "")) for s in schemes)
        return PageUrls(name if literal else host, urls)
    crawl = homepage_urls(host)
    if not typed_scheme:
        return PageUrls(host, tuple(crawl))
    first = f"{scheme}://{_typed_host(name, host)}/"
    return PageUrls(host, (first, *(u for u in crawl if u != first)))


def _typed_host(name: str, host: str) -> str:
    """The A-label host as typed: with ``www.`` when it was typed with one."""
    return f"www.{host}" if name.lower().startswith("www.") else host
