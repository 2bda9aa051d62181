"""The download guard (crawler/fetch/download_guard.py) and the rows its refusals become: private
addresses refused on every request (first URLs, redirect hops, meta refresh, robots.txt), with
or without a proxy, and redirects to schemes the crawl does not fetch.

Hand-built requests for the middleware and the spider's errback, then one real crawl through a
hostile proxy on 127.0.0.1 (the proxy's own address is configuration, and keeps working).
"""

from __future__ import annotations

import asyncio
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from scrapy import Request
from scrapy.http import Response
from scrapy.utils.test import get_crawler
from twisted.internet import defer
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

import crawler.fetch.download_guard as guard_module
from crawler.fetch.download_guard import DownloadGuard, PrivateAddress, UnsupportedRedirect
from crawler.store.runs import Target
from crawler.testing.example_web import JING
from spiders.homepages import HomepagesSpider
from tests.e2e.test_crawl_e2e import REPO, icpwatch, query

PROXY = "http://127.0.0.1:3128"  # the crawl's proxy: configuration, never a target
REFUSED = "refused; --allow-private allows it"


class FakeSpider:
    def __init__(self, proxy: str | None) -> None:
        self.proxy = proxy


def guard(proxy: str | None = None, allow_private: bool = False) -> DownloadGuard:
    crawler = get_crawler(settings_dict={"ICPWATCH_ALLOW_PRIVATE": allow_private})
    crawler.spider = FakeSpider(proxy)
    middleware = DownloadGuard.from_crawler(crawler)
    middleware.env_proxies = {}  # the test machine's http_proxy must not change the verdicts
    return middleware


def hop(url: str, reason: int | str = 302, **meta) -> Request:
    """A request as RedirectMiddleware / MetaRefreshMiddleware build it for the next hop."""
    return Request(
        url,
        meta={
            "redirect_urls": ["https://example-shop.cn/"],
            "redirect_reasons": [reason],
            "redirect_times": 1,
            **meta,
        },
    )


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Names → addresses, instead of DNS; a name not listed fails to resolve."""
    from twisted.internet import reactor

    answers: dict[str, str] = {}

    def resolve(name: str, *args: object) -> defer.Deferred:
        if name in answers:
            return defer.succeed(answers[name])
        return defer.fail(DNSLookupError(name))

    monkeypatch.setattr(reactor, "resolve", resolve, raising=False)
    monkeypatch.setattr(guard_module, "maybe_deferred_to_future", lambda d: d)
    return answers


def refusal(middleware: DownloadGuard, request: Request) -> str | None:
    try:
        asyncio.run(middleware.process_request(request))
    except PrivateAddress as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("proxy", [None, PROXY])
@pytest.mark.parametrize(
    ("request_", "error"),
    [
        (hop("http://127.0.0.1/"), "redirect to 127.0.0.1 (loopback address)"),
        (hop("http://2130706433/admin"), "redirect to 2130706433 (127.0.0.1, loopback address)"),
        (hop("http://0x7f000001/"), "redirect to 0x7f000001 (127.0.0.1, loopback address)"),
        (hop("http://0177.0.0.1/"), "redirect to 0177.0.0.1 (127.0.0.1, loopback address)"),
        (hop("http://127.1:8080/"), "redirect to 127.1 (127.0.0.1, loopback address)"),
        (hop("http://0/"), "redirect to 0 (0.0.0.0, unspecified address)"),
        (hop("http://[::1]/"), "redirect to ::1 (loopback address)"),
        (
            hop("https://[::ffff:127.0.0.1]/"),
            "redirect to ::ffff:127.0.0.1 (::ffff:7f00:1, loopback",
        ),
        (hop("http://localhost:631/"), "redirect to localhost (loopback name)"),
        (hop("http://router.localhost/"), "redirect to router.localhost (loopback name)"),
        (hop("http://10.0.0.1/"), "redirect to 10.0.0.1 (private address)"),
        (hop("http://169.254.169.254/latest/"), "redirect to 169.254.169.254 (link-local"),
        (hop("http://224.0.0.1/"), "redirect to 224.0.0.1 (multicast address)"),
        (hop("http://240.0.0.1/"), "redirect to 240.0.0.1 (reserved address)"),
        (hop("http://192.168.1.1/", "meta refresh"), "meta refresh to 192.168.1.1 (private"),
        (
            Request("http://127.0.0.1/robots.txt", meta={"dont_obey_robotstxt": True}),
            "robots.txt at 127.0.0.1 (loopback address)",
        ),
        (
            hop("http://127.0.0.1/robots.txt", dont_obey_robotstxt=True),
            "redirect to 127.0.0.1 (loopback address)",
        ),
        (Request("http://127.0.0.1/"), "127.0.0.1 (loopback address)"),
    ],
)
def test_literal_private_addresses_are_refused_with_or_without_a_proxy(
    resolver: dict, proxy: str | None, request_: Request, error: str
) -> None:
    text = refusal(guard(proxy), request_.copy())
    assert text is not None and text.startswith(error) and text.endswith(REFUSED)


@pytest.mark.parametrize("proxy", [None, PROXY])
def test_allow_private_lets_everything_through(resolver: dict, proxy: str | None) -> None:
    resolver["intranet.example.cn"] = "10.1.2.3"
    for url in ("http://127.0.0.1/", "http://2130706433/", "http://intranet.example.cn/"):
        assert refusal(guard(proxy, allow_private=True), hop(url)) is None


def test_without_a_proxy_names_are_resolved_and_judged(resolver: dict) -> None:
    resolver.update({"intranet.example.cn": "10.1.2.3", "example-shop.cn": "203.119.25.1"})
    assert refusal(guard(), Request("http://intranet.example.cn/")) == (
        f"intranet.example.cn (resolves to 10.1.2.3, a private address) {REFUSED}"
    )
    assert refusal(guard(), hop("http://intranet.example.cn/x")).startswith(
        "redirect to intranet.example.cn (resolves to 10.1.2.3"
    )
    assert refusal(guard(), Request("http://example-shop.cn/")) is None
    assert refusal(guard(), Request("http://no-such-host.cn/")) is None  # the download says so


def test_through_a_proxy_names_are_left_to_the_proxy(resolver: dict) -> None:
    resolver["intranet.example.cn"] = "10.1.2.3"
    request = hop("http://intranet.example.cn/")
    assert refusal(guard(PROXY), request) is None
    assert request.meta["proxy"] == PROXY  # the loopback proxy itself is fine


def test_an_environment_proxy_counts_as_a_proxy(resolver: dict) -> None:
    resolver["intranet.example.cn"] = "10.1.2.3"
    middleware = guard()
    middleware.env_proxies = {"http": PROXY}
    assert refusal(middleware, Request("http://intranet.example.cn/")) is None
    assert refusal(middleware, Request("http://127.0.0.1/")) is not None


def redirect_response(request: Request, location: str | bytes, status: int = 302) -> Response:
    return Response(request.url, status=status, headers={"Location": location}, request=request)


@pytest.mark.parametrize(
    ("location", "error"),
    [
        ("javascript:alert(document.cookie)", "javascript: javascript:alert(document.cookie)"),
        ("JAVASCRIPT:void(0)", "javascript: javascript:void(0)"),  # urljoin lowercases
        ("data:text/html,<script>alert(1)</script>", "data: data:text/html,%3Cscript%3E"),
        ("file:///etc/passwd", "file: file:///etc/passwd"),
        ("ftp://example-shop.cn/", "ftp: ftp://example-shop.cn/"),
        ("mailto:admin@example-shop.cn", "mailto: mailto:admin@example-shop.cn"),
        ("/home", None),
        ("//www.example-shop.cn/", None),
        ("https://www.example-shop.cn/", None),
    ],
)
def test_redirects_to_unsupported_schemes_are_refused(location: str, error: str | None) -> None:
    request = Request("http://example-shop.cn/")
    response = redirect_response(request, location)
    if error is None:
        assert guard().process_response(request, response) is response
        return
    with pytest.raises(UnsupportedRedirect) as raised:
        guard().process_response(request, response)
    assert str(raised.value).startswith(f"redirect to unsupported scheme {error}")


def test_a_long_data_url_is_cut_short() -> None:
    request = Request("http://example-shop.cn/")
    response = redirect_response(request, "data:text/html;base64," + "QUFB" * 50_000)
    with pytest.raises(UnsupportedRedirect) as raised:
        guard().process_response(request, response)
    assert len(str(raised.value)) < 150 and str(raised.value).endswith("…")


@pytest.mark.parametrize(
    ("status", "meta"),
    [(200, {}), (304, {}), (302, {"dont_redirect": True}), (302, {"handle_httpstatus_all": True})],
)
def test_only_redirects_scrapy_follows_are_judged(status: int, meta: dict) -> None:
    request = Request("http://example-shop.cn/", meta=meta)
    response = redirect_response(request, "javascript:alert(1)", status=status)
    assert guard().process_response(request, response) is response


# The spider's errback: what row a refusal becomes.

TARGET = Target(
    7, "京B2-20252223", "example-shop.cn", "北京示例科技有限公司", frozenset({"example-shop.cn"})
)
URLS = [
    "https://example-shop.cn/",
    "http://example-shop.cn/",
    "https://www.example-shop.cn/",
    "http://www.example-shop.cn/",
]


def errback(exc: Exception, index: int, attempts: list | None = None, **meta) -> list:
    request = Request(
        URLS[index],
        meta=meta,
        cb_kwargs={"target": TARGET, "index": index, "attempts": attempts or [], "started": 0.0},
    )
    if meta.get("redirect_urls"):
        request = request.replace(url="http://127.0.0.1/")
    failure = Failure(exc)
    failure.request = request
    return list(HomepagesSpider().on_failure(failure))


def test_a_redirect_to_a_private_address_is_blocked_at_once() -> None:
    message = f"redirect to 127.0.0.1 (loopback address) {REFUSED}"
    (item,) = errback(PrivateAddress(message), 0, redirect_urls=[URLS[0]], redirect_reasons=[302])
    assert item.verdict == "blocked"
    assert item.error == f"blocked: {message}"
    assert '"http://127.0.0.1/"' in item.attempts


def test_a_licensed_host_on_a_private_address_tries_www_then_is_blocked() -> None:
    message = f"example-shop.cn (resolves to 10.1.2.3, a private address) {REFUSED}"
    (nxt,) = errback(PrivateAddress(message), 0)
    assert isinstance(nxt, Request) and nxt.url == URLS[1]
    attempts = nxt.cb_kwargs["attempts"]
    (nxt,) = errback(PrivateAddress(message), 1, attempts)
    attempts = nxt.cb_kwargs["attempts"]
    (nxt,) = errback(DNSLookupError("www.example-shop.cn"), 2, attempts)
    (item,) = errback(DNSLookupError("www.example-shop.cn"), 3, nxt.cb_kwargs["attempts"])
    assert item.verdict == "blocked" and item.error == f"blocked: {message}"


def test_a_dead_licensed_host_with_a_private_www_is_unreachable() -> None:
    attempts: list = []
    for index in (0, 1):
        (nxt,) = errback(DNSLookupError("example-shop.cn"), index, attempts)
        attempts = nxt.cb_kwargs["attempts"]
    message = f"www.example-shop.cn (resolves to 10.1.2.3, a private address) {REFUSED}"
    (nxt,) = errback(PrivateAddress(message), 2, attempts)
    (item,) = errback(PrivateAddress(message), 3, nxt.cb_kwargs["attempts"])
    assert item.verdict == "unreachable" and item.error.startswith("DNS lookup failed")


@pytest.mark.parametrize(
    ("exc", "error"),
    [
        (
            UnsupportedRedirect("redirect to unsupported scheme file: file:///etc/passwd"),
            "redirect to unsupported scheme file: file:///etc/passwd",
        ),
        (  # what Scrapy itself raises for a Location: javascript:…
            ValueError("Missing scheme in request url: javascript:alert(1)"),
            "redirect to unsupported scheme javascript: javascript:alert(1)",
        ),
    ],
)
def test_a_redirect_to_an_unsupported_scheme_is_an_http_error(exc: Exception, error: str) -> None:
    (item,) = errback(exc, 0)
    assert (item.verdict, item.error) == ("http_error", error)


# One real crawl through a hostile proxy.


class HostileProxy(BaseHTTPRequestHandler):
    """A forward proxy for made-up sites that redirect to this machine; records every request.
    CONNECT is refused, so each site is reached on its http:// URL."""

    seen: ClassVar[list[str]] = []
    port = 0
    page = (
        "<html><body><p>新闻</p><footer>北京示例网络科技有限公司 "
        f"经营许可证：{JING}</footer></body></html>"
    )

    def do_CONNECT(self) -> None:
        self.send_error(403)

    def do_GET(self) -> None:
        HostileProxy.seen.append(self.path)
        secret = f"http://127.0.0.1:{self.port}/secret"
        host = self.path.split("/")[2].split(":")[0]
        path = "/" + self.path.split("/", 3)[3] if self.path.startswith("http") else self.path
        routes = {
            ("redirect-loopback.cn", "/"): (302, secret),
            ("redirect-decimal.cn", "/"): (302, f"http://2130706433:{self.port}/secret"),
            ("redirect-js.cn", "/"): (302, "javascript:alert(document.domain)"),
            ("redirect-file.cn", "/"): (301, "file:///etc/passwd"),
            ("robots-loopback.cn", "/robots.txt"): (302, f"{secret}-robots"),
        }
        refresh = {
            "refresh-ipv6.cn": f"http://[::1]:{self.port}/secret",
            "refresh-data.cn": "data:text/html,<h1>hi</h1>",
        }
        if (host, path) in routes:
            status, location = routes[host, path]
            self._reply(status, b"", location)
        elif host in refresh and path == "/":
            head = f'<meta http-equiv="refresh" content="0;url={refresh[host]}">'
            self._reply(200, f"<html><head>{head}</head><body>…</body></html>".encode())
        elif path == "/robots.txt":
            self._reply(404, b"")
        else:
            self._reply(200, self.page.encode())

    def _reply(self, status: int, body: bytes, location: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if location:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


HOSTILE = {  # host → (verdict, error start)
    "redirect-loopback.cn": ("blocked", "blocked: redirect to 127.0.0.1 (loopback address)"),
    "redirect-decimal.cn": ("blocked", "blocked: redirect to 2130706433 (127.0.0.1, loopback"),
    "refresh-ipv6.cn": ("blocked", "blocked: meta refresh to ::1 (loopback address)"),
    "redirect-js.cn": ("http_error", "redirect to unsupported scheme javascript: javascript:"),
    "redirect-file.cn": ("http_error", "redirect to unsupported scheme file: file:///etc/passwd"),
    "refresh-data.cn": ("http_error", "redirect to unsupported scheme data: data:text/html,"),
    "robots-loopback.cn": ("compliant", None),  # robots.txt refused: allowed, the page judged
}


@pytest.fixture(scope="module")
def hostile_proxy():
    server = ThreadingHTTPServer(("127.0.0.1", 0), HostileProxy)
    HostileProxy.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{HostileProxy.port}"
    server.shutdown()


def crawl(db: Path, proxy: str, *extra: str) -> None:
    if not db.exists():
        loaded = icpwatch(db, "licenses", "load", str(REPO / "examples" / "licenses"))
        assert loaded.returncode == 0, loaded.stderr
        added = icpwatch(db, "domains", "add", JING, *HOSTILE)
        assert added.returncode == 0, added.stderr
    domains = [arg for host in HOSTILE for arg in ("--domain", host)]
    result = icpwatch(
        db, "crawl", "--proxy", proxy, "--timeout", "5", "--render", "never", *domains, *extra
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.e2e
@pytest.mark.skipif(sys.platform != "linux", reason="the crawl subprocess is tested on Linux")
def test_a_crawl_through_a_loopback_proxy_refuses_every_hop_to_this_machine(
    hostile_proxy: str, tmp_path: Path
) -> None:
    HostileProxy.seen.clear()
    db = tmp_path / "icpwatch.db"
    crawl(db, hostile_proxy)
    rows = dict(
        (host, (verdict, error))
        for host, verdict, error in query(db, "select host, verdict, error from checks")
    )
    for host, (verdict, error) in HOSTILE.items():
        assert rows[host][0] == verdict, (host, rows[host])
        if error:
            assert rows[host][1].startswith(error), (host, rows[host])
    assert not [p for p in HostileProxy.seen if "secret" in p]
    assert "http://robots-loopback.cn/robots.txt" in HostileProxy.seen  # asked, then refused

    # --allow-private: the same hops are followed (the refusals above were the guard's)
    crawl(db, hostile_proxy, "--allow-private", "--domain", "redirect-loopback.cn")
    assert f"http://127.0.0.1:{HostileProxy.port}/secret" in HostileProxy.seen
