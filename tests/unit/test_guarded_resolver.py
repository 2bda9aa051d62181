"""The crawl's DNS resolver (crawler/fetch/guarded_resolver.py): a private answer is refused when
the connection resolves, not only at the download guard's own lookup (DNS rebinding); the
proxy's host is configuration; ``--allow-private`` turns it off. And the download guard naming
such a refusal (crawler/fetch/download_guard.py).

DNS is faked under Scrapy's cache (``ThreadedResolver.getHostByName``): each name answers the
next address of its list.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import CannotResolveHostError
from scrapy.resolver import dnscache
from scrapy.utils.test import get_crawler
from twisted.internet import defer
from twisted.internet.base import ThreadedResolver
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

import crawler.fetch.download_guard as guard_module
import crawler.fetch.guarded_resolver as resolver_module
from crawler.fetch.download_guard import DownloadGuard, PrivateAddress
from crawler.fetch.guarded_resolver import GuardedResolver, PrivateAnswer, installed, proxy_host

REFUSED = "refused; --allow-private allows it"


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """name → the answers DNS gives, one per lookup (the last one repeats)."""
    answers: dict[str, list[str]] = {}
    asked: list[str] = []

    def lookup(self: Any, name: str, timeout: Any = ()) -> defer.Deferred:
        asked.append(name)
        if name not in answers:
            return defer.fail(DNSLookupError(name))
        queue = answers[name]
        return defer.succeed(queue.pop(0) if len(queue) > 1 else queue[0])

    monkeypatch.setattr(ThreadedResolver, "getHostByName", lookup)
    monkeypatch.setattr(resolver_module, "getproxies", dict)  # the machine's http_proxy aside
    dnscache.clear()
    yield answers
    dnscache.clear()


def make(cache_size: int = 0, allow_private: bool = False) -> GuardedResolver:
    return GuardedResolver(None, cache_size, 10.0, allow_private)  # type: ignore[arg-type]


def answer(resolver: GuardedResolver, name: str) -> str | BaseException:
    """The address handed to the connection, or the error it gets."""
    results: list[Any] = []
    resolver.getHostByName(name).addBoth(results.append)
    (result,) = results
    return result.value if isinstance(result, Failure) else result


def test_a_public_answer_is_handed_out(dns: dict) -> None:
    dns["example-shop.cn"] = ["203.119.25.1"]
    assert answer(make(), "example-shop.cn") == "203.119.25.1"


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback address"),
        ("10.1.2.3", "private address"),
        ("169.254.169.254", "link-local address"),
        ("0.0.0.0", "unspecified address"),
        ("100.64.0.1", "non-public address"),
    ],
)
def test_a_private_answer_is_refused(dns: dict, address: str, kind: str) -> None:
    dns["intranet.example.cn"] = [address]
    error = answer(make(), "intranet.example.cn")
    assert isinstance(error, PrivateAnswer) and isinstance(error, DNSLookupError)
    text = f"intranet.example.cn (resolves to {address}, a {kind}) {REFUSED}"
    assert error.refusal.describe() == text and text in str(error)


def test_rebinding_public_then_loopback_for_the_same_name_is_refused(dns: dict) -> None:
    """The guard's lookup sees a public address, the connection's (cache evicted) loopback."""
    dns["rebind.example.cn"] = ["203.119.25.1", "127.0.0.1"]
    resolver = make(cache_size=0)
    assert answer(resolver, "rebind.example.cn") == "203.119.25.1"
    error = answer(resolver, "rebind.example.cn")
    assert isinstance(error, PrivateAnswer)
    assert error.refusal.address == "127.0.0.1"
    assert resolver.refusal("REBIND.example.cn.") == error.refusal  # for the download guard


def test_a_cached_answer_is_judged_each_time(dns: dict) -> None:
    """With Scrapy's cache the first answer is pinned: a public one stays, a private one is
    refused at every lookup, not only the first."""
    dns.update({"pinned.example.cn": ["203.119.25.1", "127.0.0.1"], "bad.cn": ["10.0.0.1"]})
    resolver = make(cache_size=100)
    assert [answer(resolver, "pinned.example.cn") for _ in range(2)] == ["203.119.25.1"] * 2
    assert all(isinstance(answer(resolver, "bad.cn"), PrivateAnswer) for _ in range(2))
    assert "bad.cn" in dnscache  # served from the cache the second time, and still refused


@pytest.mark.parametrize(
    "proxy", ["http://localhost:3128", "http://user:pw@LOCALHOST:3128/", "localhost:3128"]
)
def test_the_proxy_host_is_never_refused(dns: dict, proxy: str) -> None:
    dns.update({"localhost": ["127.0.0.1"], "intranet.example.cn": ["10.1.2.3"]})
    resolver = make()
    assert isinstance(answer(resolver, "localhost"), PrivateAnswer)
    resolver.exempt(proxy)
    assert answer(resolver, "localhost") == "127.0.0.1"
    assert isinstance(answer(resolver, "intranet.example.cn"), PrivateAnswer)  # only the proxy


def test_environment_proxies_are_exempt(dns: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    dns.update({"proxy.corp": ["10.9.9.9"], "intranet.corp": ["10.1.2.3"]})
    monkeypatch.setattr(resolver_module, "getproxies", lambda: {"https": "http://proxy.corp:8080"})
    resolver = make()
    assert answer(resolver, "proxy.corp") == "10.9.9.9"
    assert isinstance(answer(resolver, "intranet.corp"), PrivateAnswer)


def test_allow_private_hands_out_every_answer(dns: dict) -> None:
    dns["intranet.example.cn"] = ["10.1.2.3"]
    assert answer(make(allow_private=True), "intranet.example.cn") == "10.1.2.3"
    crawler = get_crawler(settings_dict={"ICPWATCH_ALLOW_PRIVATE": True})
    assert GuardedResolver.from_crawler(crawler, None).allow_private is True  # type: ignore[arg-type]
    assert GuardedResolver.from_crawler(get_crawler(), None).allow_private is False  # type: ignore[arg-type]


def test_a_failed_lookup_stays_a_failed_lookup(dns: dict) -> None:
    error = answer(make(), "no-such-host.cn")
    assert type(error) is DNSLookupError


@pytest.mark.parametrize(
    ("proxy", "host"),
    [("http://[::1]:3128", "::1"), ("socks5://Proxy.Corp.:1080", "proxy.corp"), ("http://[", None)],
)
def test_proxy_host(proxy: str, host: str | None) -> None:
    assert proxy_host(proxy) == host


# The download guard with the resolver installed on the reactor.


class FakeSpider:
    def __init__(self, proxy: str | None = None) -> None:
        self.proxy = proxy


@pytest.fixture
def on_reactor(monkeypatch: pytest.MonkeyPatch, dns: dict) -> GuardedResolver:
    from twisted.internet import reactor

    resolver = make()
    monkeypatch.setattr(reactor, "resolver", resolver)
    monkeypatch.setattr(guard_module, "maybe_deferred_to_future", lambda d: d)
    return resolver


def guard(proxy: str | None = None) -> DownloadGuard:
    crawler = get_crawler(settings_dict={"ICPWATCH_ALLOW_PRIVATE": False})
    crawler.spider = FakeSpider(proxy)
    middleware = DownloadGuard.from_crawler(crawler)
    middleware.env_proxies = {}
    return middleware


def test_installed_finds_the_reactors_resolver(on_reactor: GuardedResolver) -> None:
    assert installed() is on_reactor


def test_the_guard_words_the_resolvers_refusal(on_reactor: GuardedResolver, dns: dict) -> None:
    """The guard's own lookup goes through the resolver: its refusal reads as before."""
    dns["intranet.example.cn"] = ["10.1.2.3"]
    request = Request("http://intranet.example.cn/", meta={"redirect_reasons": [302]})
    with pytest.raises(PrivateAddress) as raised:
        asyncio.run(guard().process_request(request))
    assert str(raised.value) == (
        f"redirect to intranet.example.cn (resolves to 10.1.2.3, a private address) {REFUSED}"
    )


@pytest.mark.parametrize("exc", [DNSLookupError("no results"), CannotResolveHostError("x")])
def test_a_connection_refused_by_the_resolver_is_blocked(
    on_reactor: GuardedResolver, dns: dict, exc: Exception
) -> None:
    """Rebinding: the guard saw a public answer, the connection's lookup was refused, and
    Twisted reports only "no results": the guard names the refusal (verdict blocked)."""
    dns["rebind.example.cn"] = ["203.119.25.1", "127.0.0.1"]
    request = Request("http://rebind.example.cn/")
    middleware = guard()
    asyncio.run(middleware.process_request(request))  # the first answer: public
    assert isinstance(answer(on_reactor, "rebind.example.cn"), PrivateAnswer)  # the connection's
    with pytest.raises(PrivateAddress, match=r"^rebind\.example\.cn \(resolves to 127\.0\.0\.1"):
        middleware.process_exception(request, exc)
    assert middleware.process_exception(Request("http://dead.example.cn/"), exc) is None
    assert middleware.process_exception(request, TimeoutError()) is None


def test_the_spiders_proxy_is_exempted_when_it_opens(on_reactor: GuardedResolver) -> None:
    middleware = guard("http://localhost:3128")
    middleware.spider_opened(middleware.crawler.spider)
    assert "localhost" in on_reactor.exempt_hosts
    guard(None).spider_opened(FakeSpider())
    assert on_reactor.exempt_hosts == {"localhost"}
