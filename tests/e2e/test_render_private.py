"""A rendered page may not reach this machine or its network, nor pass another site off as the
licensee's (crawler/render/browser.py, crawler/check/rendered.py, the spider's ``_rendered``).

Chromium talks to a forward proxy on 127.0.0.1 (configuration, like the crawl's ``--proxy``)
that serves made-up sites; their pages reach for a "secret" server on 127.0.0.1 in every way a
page can. Without a proxy, Chromium goes through the guard proxy (crawler/render/guard_proxy.py),
and a page reaches for the secret server by a name the system resolves to this machine (the
hostname, from /etc/hosts). Needs Debian's ``chromium``.
"""

from __future__ import annotations

import asyncio
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest

from crawler.check.outcome import Outcome, assess_page
from crawler.check.rendered import navigated_away
from crawler.render.browser import Browser
from crawler.render.guard_proxy import GuardProxy, open_connection, system_resolve
from crawler.render.rendering import DEFAULT_CHROMIUM, PRIVATE_CANDIDATES, refused
from crawler.store.runs import Target
from spiders.homepages import HomepagesSpider
from tests.unit.test_guard_proxy import PUBLIC, loopback_hostname

pytestmark = pytest.mark.chromium

LICENCE = "京B2-20252223"
FOOTER = f"<footer>北京示例科技有限公司 经营许可证：{LICENCE}</footer>"


class Secret(BaseHTTPRequestHandler):
    """What must never be reached from a rendered page without --allow-private."""

    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Secret.seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def pages(secret: int) -> dict[str, str]:
    here = f"127.0.0.1:{secret}"
    return {
        "shop.example.cn": (
            f"<html><body><p>新闻</p>{FOOTER}"
            f'<img src="http://{here}/img"><img src="http://2130706433:{secret}/img-decimal">'
            f'<img src="http://[::1]:{secret}/img-ipv6"><img src="http://localhost:{secret}/lh">'
            f'<img src="http://10.255.255.1/img-private">'
            f'<iframe src="http://{here}/iframe"></iframe>'
            f'<link rel="stylesheet" href="http://0x7f.1:{secret}/css">'
            f'<script>fetch("http://{here}/fetch").catch(() => 0);'
            f'const x = new XMLHttpRequest(); x.open("GET", "http://{here}/xhr"); x.send();'
            f'try {{ new WebSocket("ws://{here}/ws"); }} catch (e) {{}}</script>'
            "</body></html>"
        ),
        "away.example.cn": (  # a script built page that sends visitors elsewhere
            "<html><body><p>新闻</p><script>location = 'http://other.example.com/';</script>"
            "</body></html>"
        ),
        "home.example.cn": (  # …or to the licensee's own www. host, which is fine
            "<html><body><p>新闻</p><script>setTimeout(() => "
            "{ location = 'http://www.home.example.cn/home'; }, 100);</script></body></html>"
        ),
        "private.example.cn": (
            "<html><body><p>新闻</p><script>setTimeout(() => "
            f"{{ location = 'http://{here}/navigated'; }}, 100);</script></body></html>"
        ),
        "other.example.com": f"<html><body><p>别家</p>{FOOTER}</body></html>",
        "www.home.example.cn": f"<html><body><p>新闻</p>{FOOTER}</body></html>",
    }


class Proxy(BaseHTTPRequestHandler):
    """A forward proxy that answers for the made-up sites (and records everything asked)."""

    seen: ClassVar[list[str]] = []
    sites: ClassVar[dict[str, str]] = {}

    def do_GET(self) -> None:
        Proxy.seen.append(self.path)
        host = self.path.split("/")[2].split(":")[0] if self.path.startswith("http") else ""
        body = Proxy.sites.get(host, "").encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_CONNECT(self) -> None:  # WebSockets and https through the proxy
        Proxy.seen.append(f"CONNECT {self.path}")
        self.send_error(403)

    def log_message(self, *args: object) -> None:
        pass


if not Path(DEFAULT_CHROMIUM).exists() and not os.environ.get("CI"):
    pytest.skip(f"{DEFAULT_CHROMIUM} is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def web():
    secret = ThreadingHTTPServer(("127.0.0.1", 0), Secret)
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    Proxy.sites = pages(secret.server_address[1])
    for server in (secret, proxy):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{proxy.server_address[1]}"
    for server in (secret, proxy):
        server.shutdown()


def target(host: str) -> Target:
    return Target(1, LICENCE, host, "北京示例科技有限公司", frozenset({host}))


def static(host: str, page: str | None = None) -> Outcome:
    body = (page or Proxy.sites[host]).encode()
    return assess_page(
        expected=LICENCE,
        company=None,
        url=f"http://{host}/",
        status=200,
        content_type="text/html; charset=utf-8",
        body=body,
        encoding="utf-8",
        offsite_redirect=False,
    )


def render(
    proxy: str, hosts: list[str], evidence: Path, allow_private: bool = False
) -> dict[str, Outcome]:
    spider = HomepagesSpider(evidence_dir=str(evidence))
    spider.crawl_run = SimpleNamespace(run_id=1)

    async def run() -> dict[str, Outcome]:
        spider.browser = Browser(
            concurrency=2, timeout=10, proxy=proxy, allow_private=allow_private
        )
        try:
            results = await asyncio.gather(
                *(spider._rendered(f"http://{h}/", target(h), static(h)) for h in hosts)
            )
        finally:
            await spider.browser.close()
        return dict(zip(hosts, results, strict=True))

    Secret.seen.clear()
    Proxy.seen.clear()
    return asyncio.run(run())


def test_a_rendered_page_reaches_no_private_address(web: str, tmp_path: Path) -> None:
    (outcome,) = render(web, ["shop.example.cn"], tmp_path).values()
    assert (outcome.verdict, outcome.rendered, outcome.render_error) == ("compliant", True, None)
    assert outcome.screenshot and Path(outcome.screenshot.path).exists()
    assert Secret.seen == []
    assert [p for p in Proxy.seen if "shop.example.cn" not in p] == []  # not even via the proxy


def test_allow_private_lets_the_page_load_them(web: str, tmp_path: Path) -> None:
    """The harness is real: without the refusal the page does reach 127.0.0.1 and 10.x."""
    render(web, ["shop.example.cn"], tmp_path, allow_private=True)
    reached = {p.rsplit("/", 1)[-1] for p in [*Secret.seen, *Proxy.seen]}
    assert {"img", "img-decimal", "iframe", "css", "fetch", "xhr", "img-private"} <= reached


def test_a_script_navigation_to_another_site_files_none_of_its_evidence(
    web: str, tmp_path: Path
) -> None:
    results = render(web, ["away.example.cn", "private.example.cn", "home.example.cn"], tmp_path)
    away = results["away.example.cn"]
    # other.example.com shows the number: that must not make the licensee compliant
    before = static("away.example.cn")  # a script-built shell: needs_render
    assert (away.verdict, away.rendered, away.screenshot) == (before.verdict, False, None)
    assert away.static_verdict is None and away.finding == before.finding
    assert away.render_error == (
        "rendered page navigated to other host other.example.com (http://other.example.com/)"
    )
    assert (away.final_url, away.offsite_redirect) == ("http://other.example.com/", True)

    private = results["private.example.cn"]
    assert (private.rendered, private.offsite_redirect) == (False, True)
    assert private.verdict == static("private.example.cn").verdict
    assert private.render_error.startswith("rendered page navigated to other host 127.0.0.1 (")
    assert private.render_error.endswith("/navigated); refused: loopback address")
    assert Secret.seen == []

    home = results["home.example.cn"]  # the licensee's own www. host: judged there
    assert (home.verdict, home.rendered, home.render_error) == ("compliant", True, None)
    assert (home.final_url, home.offsite_redirect) == ("http://www.home.example.cn/home", False)
    assert not list(tmp_path.rglob("away.example.cn.png"))


# Without a proxy: the guard proxy resolves names, and refuses this machine's own name.

NAME = loopback_hostname()


def direct_page(secret: int) -> str:
    here = f"{NAME}:{secret}"
    return (
        f"<html><body><p>新闻</p>{FOOTER}"
        f'<img src="http://{here}/img-name"><img src="https://{here}/img-tls">'
        f'<iframe src="http://{here}/iframe-name"></iframe>'
        f'<link rel="stylesheet" href="http://{here}/css-name">'
        f'<script>fetch("http://{here}/fetch-name").catch(() => 0);'
        f'try {{ new WebSocket("ws://{here}/ws-name"); }} catch (e) {{}}</script>'
        "</body></html>"
    )


class Site(BaseHTTPRequestHandler):
    """shop.example.cn, on 127.0.0.1: the guard proxy is told it resolves to a public address."""

    page = ""

    def do_GET(self) -> None:
        body = Site.page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def direct_web():
    if NAME is None:
        pytest.skip("the machine's hostname does not resolve to a local address")
    secret = ThreadingHTTPServer(("127.0.0.1", 0), Secret)
    site = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    Site.page = direct_page(secret.server_address[1])
    for server in (secret, site):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield site.server_address[1]
    for server in (secret, site):
        server.shutdown()


def render_direct(url: str, evidence: Path, **browser: object) -> Outcome:
    """``url`` rendered with no proxy (the Browser's guard proxy, or none with allow_private)."""
    host = "shop.example.cn"
    spider = HomepagesSpider(evidence_dir=str(evidence))
    spider.crawl_run = SimpleNamespace(run_id=1)

    async def run() -> Outcome:
        spider.browser = Browser(concurrency=1, timeout=10, **browser)
        try:
            return await spider._rendered(url, target(host), static(host, Site.page))
        finally:
            await spider.browser.close()

    Secret.seen.clear()
    return asyncio.run(run())


def test_without_a_proxy_a_name_resolving_to_this_machine_is_refused(
    direct_web: int, tmp_path: Path
) -> None:
    async def resolve(host: str, port: int) -> list[str]:  # the made-up site; others: DNS
        return [PUBLIC] if host == "shop.example.cn" else await system_resolve(host, port)

    async def connect(address: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if address == PUBLIC:
            return await open_connection("127.0.0.1", direct_web)
        return await open_connection(address, port)  # what the guard let through, as it is

    guard = GuardProxy(resolve=resolve, connect=connect)
    outcome = render_direct("http://shop.example.cn/", tmp_path, guard=guard)
    assert (outcome.verdict, outcome.rendered, outcome.render_error) == ("compliant", True, None)
    assert Secret.seen == []
    assert guard.refused >= 4  # img, https img, iframe, css, fetch, WebSocket: some may merge


def test_without_a_proxy_allow_private_lets_chromium_resolve_it(
    direct_web: int, tmp_path: Path
) -> None:
    """The harness is real: with no guard, Chromium resolves the name and reaches the secret."""
    render_direct(f"http://127.0.0.1:{direct_web}/", tmp_path, allow_private=True)
    assert {"img-name", "iframe-name", "css-name", "fetch-name"} <= {
        p.rsplit("/", 1)[-1] for p in Secret.seen
    }


@pytest.mark.parametrize(
    ("url", "candidate", "refuse"),
    [
        ("http://127.0.0.1:8080/x", True, True),
        ("https://[::1]/", True, True),
        ("ws://localhost:9000/socket", True, True),
        ("http://printer.localhost/", True, True),
        ("http://user:pw@10.0.0.1/", True, True),
        ("http://169.254.169.254/latest/meta-data/", True, True),
        ("http://8.8.8.8/", True, False),  # a public literal is asked about, then let through
        ("http://example.cn/?next=http://127.0.0.1/", False, False),
        ("http://127.0.0.1.example.cn/", False, False),
        ("http://localhost.example.cn/", False, False),
        ("data:text/html,hi", False, False),
    ],
)
def test_which_urls_the_route_sees(url: str, candidate: bool, refuse: bool) -> None:
    """Only address literals and localhost names leave Playwright's driver for Python."""
    assert bool(PRIVATE_CANDIDATES.search(url)) is candidate
    assert refused(url) is refuse


@pytest.mark.parametrize(
    ("landed", "error", "final_url", "offsite"),
    [
        ("http://a.cn/home", None, None, None),
        ("https://www.a.cn/", None, None, None),
        ("http://b.cn/", None, None, None),  # another of the licence's hosts
        (
            "http://other.example/x",
            "rendered page navigated to other host other.example (http://other.example/x)",
            "http://other.example/x",
            True,
        ),
        (
            "chrome-error://chromewebdata/",
            "rendered page navigated to a page that did not load",
            "http://a.cn/",
            False,
        ),
    ],
)
def test_navigated_away(landed: str, error: str | None, final_url: str | None, offsite) -> None:
    before = Outcome("missing", final_url="http://a.cn/")
    outcome = navigated_away(before, "http://a.cn/", landed, frozenset({"a.cn", "b.cn"}))
    if error is None:
        assert outcome is None
        return
    assert (outcome.verdict, outcome.render_error) == ("missing", error)
    assert (outcome.final_url, outcome.offsite_redirect) == (final_url, offsite)
