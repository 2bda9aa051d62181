"""The hostile web: made-up sites that attack the crawler, and an "internal" service to protect.

A licence can list any domain, and whoever runs that domain chooses what the crawler downloads:
pages that stress the footer check, redirects into the machine's own network, replies that
never end. ``HostileWeb`` serves such a site per scenario through the example web's proxy
(``crawler.testing.example_web``, plugged in with its ``routes`` hook), plus a plain HTTP server on
127.0.0.1 that stands for the loopback or intranet service an attacker wants the crawler to
reach. That server counts every hit, whether it arrives directly (Chromium never proxies
loopback) or relayed by the proxy (a real forward proxy reaches its own loopback and intranet,
so this one relays every loopback, private or link-local target to the internal server).

It is a test fake, so it lives in tests/ and not in the runtime package. ``SCENARIOS`` says,
per host, which rows the crawl may end with; tests/test_hostile_e2e.py asserts them.
docs/example-web.md ("Hostile web") lists the scenarios.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import itertools
import socket
import socketserver
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

from crawler.testing.example_web import (
    _ICP,
    _JS,
    _LABEL,
    _NOT_FOUND,
    _POLICE,
    _SPANS,
    _UNKNOWN_HOST,
    HU,
    JING,
    ExampleWeb,
    Reply,
    _articles,
    _footer,
    _page,
    _redirect,
)

SUFFIX = "hostile.icpwatch-test.cn"
COMPANY = "北京示例网络科技有限公司"
#: On every page the internal server serves. A crawler that reached it and judged the page would
#: find the right licence number there: an escape would look compliant, not just leak.
SECRET = "INTERNAL-SECRET-7f3a"
ENDLESS_CAP = 256 << 20  # "endless" bodies and header blocks stop here, 25x the crawler's cap
FLOOD_LINE = 8000  # bytes per flooded header line: under Twisted's 16 KiB line limit
LONG_HEADER = 1 << 20  # one header line of 1 MiB


@dataclass(frozen=True)
class Scenario:
    """One hostile host and the rows the crawl may end with for it."""

    name: str  # the host is f"{name}.{SUFFIX}"
    kind: str  # "check" (stresses the footer check), "escape" or "stall"
    what: str
    #: Acceptable verdicts of the static crawl (``--render never``), the ideal one first.
    verdicts: tuple[str, ...]
    #: verdict → the recorded error must contain one of these (e.g. the refused address).
    errors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Acceptable verdicts with ``--render auto``; None: not part of the rendering crawl.
    rendered: tuple[str, ...] | None = None

    @property
    def host(self) -> str:
        return f"{self.name}.{SUFFIX}"


def _blocked(*names: str) -> Mapping[str, tuple[str, ...]]:
    return {"blocked": names}


_SCHEME = {"http_error": ("unsupported scheme",)}
_TIMED_OUT = {"unreachable": ("timed out",)}
_OK_OR_ERROR = ("compliant", "check_error")

# fmt: off
_TABLE = [
    # pages that stress the footer check: a real verdict, or check_error within the page budget
    Scenario("dots", "check", "'A2.B1.B2.' * 4000 (36 KB) in a paragraph of a normal page",
             _OK_OR_ERROR),
    Scenario("labels", "check", "'经营许可证编号：' * 50000 (1.2 MB) in the footer, then ours",
             _OK_OR_ERROR),
    Scenario("tokens", "check", "2.7 MB of repeated category tokens (B1, B2, A2.) in tags",
             _OK_OR_ERROR),
    Scenario("charset-undefined", "check",
             "Content-Type: text/html; charset=undefined, <meta charset=undefined>, UTF-8 body",
             ("compliant",)),
    Scenario("numbers", "check", f"140,000 times {HU} in the body (2.1 MB), ours in the footer",
             _OK_OR_ERROR),
    Scenario("nested", "check", "20,000 nested <div>s, the footer with the number innermost",
             _OK_OR_ERROR),
    Scenario("bad-bytes", "check",
             "UTF-8 without any charset label, with a few invalid bytes in the body",
             ("compliant",)),
    # escapes: each would reach the internal server (which shows the right number)
    Scenario("to-loopback", "escape", "302 to http://127.0.0.1:INTERNAL/secret", ("blocked",),
             _blocked("127.0.0.1")),
    Scenario("to-ipv6", "escape", "302 to http://[::1]:INTERNAL/", ("blocked",), _blocked("::1")),
    Scenario("to-decimal", "escape", "302 to http://2130706433:INTERNAL/", ("blocked",),
             _blocked("2130706433", "127.0.0.1")),
    Scenario("to-hex", "escape", "302 to http://0x7f000001:INTERNAL/", ("blocked",),
             _blocked("0x7f000001", "127.0.0.1")),
    Scenario("to-localhost", "escape", "302 to http://localhost:INTERNAL/", ("blocked",),
             _blocked("localhost", "127.0.0.1")),
    Scenario("to-short", "escape", "302 to http://127.1:INTERNAL/", ("blocked",),
             _blocked("127.1", "127.0.0.1")),
    Scenario("to-mapped", "escape", "302 to http://[::ffff:127.0.0.1]:INTERNAL/", ("blocked",),
             _blocked("::ffff:127.0.0.1", "::ffff:7f00:1", "127.0.0.1")),
    Scenario("to-zero", "escape", "302 to http://0.0.0.0:INTERNAL/ (Linux: this machine)",
             ("blocked",), _blocked("0.0.0.0")),
    Scenario("to-userinfo", "escape", "302 to http://example.com@127.0.0.1:INTERNAL/",
             ("blocked",), _blocked("127.0.0.1")),
    Scenario("to-private", "escape", "302 to http://10.0.0.1:INTERNAL/ (relayed to INTERNAL)",
             ("blocked",), _blocked("10.0.0.1")),
    Scenario("to-metadata", "escape",
             "302 to http://169.254.169.254/latest/meta-data/ (cloud metadata; relayed)",
             ("blocked",), _blocked("169.254.169.254")),
    Scenario("meta-loopback", "escape",
             '<meta http-equiv="refresh" content="0;url=http://127.0.0.1:INTERNAL/secret">',
             ("blocked",), _blocked("127.0.0.1")),
    Scenario("robots-loopback", "escape",
             "/robots.txt is a 302 to http://127.0.0.1:INTERNAL/robots.txt; / is compliant",
             ("compliant", "blocked")),
    Scenario("embeds", "escape",
             "compliant footer; <iframe>, <img>, <link>, fetch() and a script point at INTERNAL",
             ("compliant",), rendered=("compliant",)),
    Scenario("spa-embeds", "escape",
             "app shell: its script builds the footer with the number and loads INTERNAL "
             "(iframe, img, fetch, XHR, sendBeacon)", ("needs_render",), rendered=("compliant",)),
    Scenario("missing-fetch", "escape",
             "footer without the number; a script fetches INTERNAL/secret into the footer",
             ("missing",), rendered=("missing",)),
    Scenario("js-navigate", "escape",
             "app shell whose script navigates to http://127.0.0.1:INTERNAL/secret",
             ("needs_render",), rendered=("needs_render", "blocked")),
    Scenario("to-javascript", "escape", "302 to javascript:alert(1)", ("http_error",), _SCHEME),
    Scenario("to-data", "escape", "302 to data:text/html,<footer> with the number",
             ("http_error",), _SCHEME),
    Scenario("to-file", "escape", "302 to file:///etc/passwd", ("http_error",), _SCHEME),
    Scenario("meta-file", "escape",
             '<meta http-equiv="refresh" content="0;url=file:///etc/passwd">, compliant footer',
             ("http_error", "compliant"), _SCHEME),
    # stalls: the crawl must give up on its own
    Scenario("silent", "stall", "reads the request and never answers", ("unreachable",),
             _TIMED_OUT),
    Scenario("trickle", "stall", "headers, then the body one byte a second, forever",
             ("unreachable",), _TIMED_OUT),
    Scenario("chunked-forever", "stall", "an endless chunked body, as fast as it is read",
             ("unreachable",)),
    Scenario("header-flood", "stall",
             "8 KB header lines at ~5 MB/s, 64 MiB of them before the page",
             ("unreachable", "http_error")),
    Scenario("long-header", "stall", "one 1 MiB header line, then a compliant page",
             ("unreachable", "http_error")),
]
# fmt: on
SCENARIOS: dict[str, Scenario] = {s.host: s for s in _TABLE}


def internal_address(host: str) -> str | None:
    """The non-public address ``host`` stands for, in any spelling a URL parser or the C
    library accepts (``2130706433``, ``0x7f000001``, ``127.1``, ``::ffff:127.0.0.1``,
    ``localhost``), or None for a public address or a name."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return "127.0.0.1"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        try:
            ip = ipaddress.ip_address(socket.inet_aton(host))  # what inet_aton resolves
        except OSError:
            return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return None if ip.is_global else str(ip)


# --- pages ----------------------------------------------------------------------------------

_GOOD_FOOTER = _footer(_ICP, _SPANS, _POLICE)


def _html(page: str) -> Reply:
    return Reply(200, (page.encode(),))


@cache
def _check_pages() -> dict[str, Reply]:
    """The check-stressing homepages (built once: some are megabytes)."""
    tokens = '<span class="cat">B1</span><i>B2</i><b>A2.</b><em>-</em><a href="#">B2.</a>\n'
    no_meta = _page(_articles(), _GOOD_FOOTER).replace('<meta charset="utf-8">\n', "")
    head, tail = no_meta.encode().split(b"<main>")
    bad_bytes = head + b"<main>\n<p>\xe7\xa4\xba\xff\xfe\xe4\xbe\x8b \xc3\x28 \x80</p>" + tail
    return {
        "dots": _html(_page(_articles() + f"<p>{'A2.B1.B2.' * 4000}</p>", _GOOD_FOOTER)),
        "labels": _html(
            _page(_articles(), _footer(_ICP, "经营许可证编号：" * 50000 + JING, _POLICE))
        ),
        "tokens": _html(_page(tokens * (2_700_000 // len(tokens)), _GOOD_FOOTER)),
        "charset-undefined": Reply(
            200,
            (_page(_articles(), _GOOD_FOOTER, charset="undefined").encode(),),
            "text/html; charset=undefined",
        ),
        "numbers": _html(_page(f"<p>{f'{HU} ' * 140_000}</p>", _GOOD_FOOTER)),
        "nested": _html(
            _page(
                "<div>" * 20_000
                + f'<footer class="footer">{_LABEL}{JING}</footer>'
                + "</div>" * 20_000,
                "",
            )
        ),
        "bad-bytes": Reply(200, (bad_bytes,), "text/html"),
    }


def _app_shell(script: str) -> str:
    """A Vue-style shell like the example web's spa site: only the scripts show anything."""
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        "<title>示例云</title>\n</head>\n<body>\n"
        '<div id="app"></div>\n<script src="/static/js/chunk-vendors.js"></script>\n'
        f'<script src="{script}"></script>\n</body>\n</html>\n'
    )


_BUILD_FOOTER = """(function () {
  var licence = ["京B2", "2099" + "0001"].join("-");
  var app = document.getElementById("app");
  app.appendChild(h("main", {}, [h("p", {}, "示例云：企业级云服务与在线教育平台。")]));
  app.appendChild(h("footer", {"class": "site-footer"}, [
    h("span", {}, "增值电信业务经营许可证：" + licence)
  ]));
})();
"""


# --- the internal service -------------------------------------------------------------------


@dataclass(frozen=True)
class InternalHit:
    """One request that reached the internal server: who sent it and how."""

    method: str
    path: str
    host: str
    user_agent: str
    via: str  # "hostile-web-proxy" when relayed by the proxy, "" when it came directly
    peer: str


class _InternalHandler(BaseHTTPRequestHandler):
    server_version = "intranet-admin/1.0"

    def _answer(self) -> None:
        hits: list[InternalHit] = self.server.hits  # type: ignore[attr-defined]
        hits.append(
            InternalHit(
                self.command,
                self.path,
                self.headers.get("Host", ""),
                self.headers.get("User-Agent", ""),
                self.headers.get("Via", ""),
                str(self.client_address[0]),
            )
        )
        body = _page(f"<h1>内网管理后台 {SECRET}</h1>", _footer(_ICP, f"{_LABEL}{JING}")).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")  # worst case: scripts may read it
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_PUT = do_OPTIONS = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass  # the hits list is the log


class _Server4(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the address (getfqdn)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "localhost", self.server_address[1]


class _Server6(_Server4):
    address_family = socket.AF_INET6


class InternalServer:
    """Plain HTTP on 127.0.0.1 (and [::1] on the same port when it can), counting every hit."""

    def __init__(self) -> None:
        self.hits: list[InternalHit] = []
        self.port = 0
        self._servers: list[ThreadingHTTPServer] = []

    def start(self) -> InternalServer:
        for _ in range(10):  # the same port on ::1, so http://[::1]:PORT/ reaches us too
            v4 = _Server4(("127.0.0.1", 0), _InternalHandler)
            try:
                v6: ThreadingHTTPServer | None = _Server6(
                    ("::1", v4.server_address[1]), _InternalHandler
                )
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    v4.server_close()
                    continue
                v6 = None  # no IPv6 loopback on this machine
            break
        self._servers = [s for s in (v4, v6) if s is not None]
        self.port = v4.server_address[1]
        for server in self._servers:
            server.hits = self.hits  # type: ignore[attr-defined]
            threading.Thread(target=server.serve_forever, name="internal", daemon=True).start()
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []


# --- the hostile proxy ----------------------------------------------------------------------


class HostileWeb:
    """``with HostileWeb() as web:`` the proxy (``web.proxy_url``) and the internal server
    (``web.internal.port``, ``web.internal.hits``), each serving from background threads."""

    def __init__(self, *, trickle_seconds: float = 1.0, flood_rate: float = 5e6) -> None:
        self.trickle_seconds, self.flood_rate = trickle_seconds, flood_rate
        self.internal = InternalServer()
        self.proxy = ExampleWeb(routes=self.route)

    @property
    def proxy_url(self) -> str:
        return self.proxy.proxy_url

    @property
    def hits(self) -> list[InternalHit]:
        return self.internal.hits

    def start(self) -> HostileWeb:
        self.internal.start()
        try:
            self.proxy.start()
        except BaseException:
            self.internal.stop()
            raise
        return self

    def stop(self) -> None:
        self.proxy.stop()
        self.internal.stop()

    def __enter__(self) -> HostileWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # routing

    def route(self, host: str, path: str) -> Reply | None:
        """The example web's ``routes`` hook: hostile hosts, and the relay to the internal
        server; None leaves every other host to the example web."""
        if internal_address(host):
            return Reply(stream=partial(self._relay, host, path))
        if host.endswith("." + SUFFIX):
            scenario = SCENARIOS.get(host)
            return self._answer(scenario.name, path) if scenario else _UNKNOWN_HOST
        return None

    def _answer(self, name: str, path: str) -> Reply:
        i = f"127.0.0.1:{self.internal.port}"
        stream: Callable[[asyncio.StreamWriter], Awaitable[None]] | None = {
            "trickle": self._trickle,
            "chunked-forever": self._chunked_forever,
            "header-flood": self._header_flood,
            "long-header": self._long_header,
        }.get(name)
        redirects = {
            "to-loopback": f"http://{i}/secret",
            "to-ipv6": f"http://[::1]:{self.internal.port}/",
            "to-decimal": f"http://2130706433:{self.internal.port}/",
            "to-hex": f"http://0x7f000001:{self.internal.port}/",
            "to-localhost": f"http://localhost:{self.internal.port}/",
            "to-short": f"http://127.1:{self.internal.port}/",
            "to-mapped": f"http://[::ffff:127.0.0.1]:{self.internal.port}/",
            "to-zero": f"http://0.0.0.0:{self.internal.port}/",
            "to-userinfo": f"http://example.com@{i}/",
            "to-private": f"http://10.0.0.1:{self.internal.port}/",
            "to-metadata": "http://169.254.169.254/latest/meta-data/",
            "to-javascript": "javascript:alert(1)",
            "to-data": "data:text/html;charset=utf-8," + quote(f"<footer>{_LABEL}{JING}</footer>"),
            "to-file": "file:///etc/passwd",
        }
        match name, path:
            case "robots-loopback", "/robots.txt":
                return _redirect(302, f"http://{i}/robots.txt")
            case _, "/robots.txt":
                return Reply(200, (b"User-agent: *\nDisallow:\n",), "text/plain")
            case _, "/" if name in redirects:
                return _redirect(302, redirects[name])
            case _, "/" if name in _check_pages():
                return _check_pages()[name]
            case _, "/" if stream:
                return Reply(stream=stream)
            case "silent", _:
                return Reply(fault="stall")
            case "robots-loopback", "/":
                return _html(_page(_articles(), _GOOD_FOOTER))
            case "meta-loopback", "/":
                return _html(_page("<p>正在跳转……</p>", "", head=_refresh(f"http://{i}/secret")))
            case "meta-file", "/":
                return _html(_page(_articles(), _GOOD_FOOTER, head=_refresh("file:///etc/passwd")))
            case "embeds", "/":
                return _html(_page(_articles() + self._embeds(), _GOOD_FOOTER))
            case "missing-fetch", "/":
                script = (
                    f"<script>fetch('http://{i}/secret').then(function (r) {{ return r.text(); }})"
                    ".then(function (t) { document.querySelector('footer').insertAdjacentHTML("
                    "'beforeend', t); });</script>"
                )
                return _html(_page(_articles(), _footer(_ICP, _POLICE) + script))
            case "spa-embeds" | "js-navigate", "/":
                return _html(_app_shell("/static/js/app.js"))
            case "spa-embeds" | "js-navigate", "/static/js/chunk-vendors.js":
                return Reply(200, (_JS[path].encode(),), "application/javascript")
            case "spa-embeds", "/static/js/app.js":
                return Reply(200, (self._spa_script().encode(),), "application/javascript")
            case "js-navigate", "/static/js/app.js":
                js = _BUILD_FOOTER + f'location.replace("http://{i}/secret");\n'
                return Reply(200, (js.encode(),), "application/javascript")
        return _NOT_FOUND

    def _embeds(self) -> str:
        p = self.internal.port
        return (
            f'<iframe src="http://127.0.0.1:{p}/iframe"></iframe>'
            f'<img src="http://[::1]:{p}/img.png" alt="">'
            f'<link rel="stylesheet" href="http://localhost:{p}/style.css">'
            f'<script src="http://2130706433:{p}/script.js"></script>'
            f"<script>fetch('http://0x7f000001:{p}/fetch').catch(function () {{}});</script>"
        )

    def _spa_script(self) -> str:
        p = self.internal.port
        return _BUILD_FOOTER + (
            "(function () {\n"
            f'  var f = document.createElement("iframe"); f.src = "http://127.0.0.1:{p}/iframe";\n'
            "  document.body.appendChild(f);\n"
            f'  new Image().src = "http://localhost:{p}/img.png";\n'
            f'  fetch("http://[::1]:{p}/fetch").catch(function () {{}});\n'
            "  var x = new XMLHttpRequest();\n"
            f'  x.open("GET", "http://2130706433:{p}/xhr"); x.send();\n'
            f'  navigator.sendBeacon("http://127.0.0.1:{p}/beacon", "x");\n'
            "})();\n"
        )

    # replies the example web's sender cannot express

    async def _relay(self, host: str, path: str, writer: asyncio.StreamWriter) -> None:
        """Forward to the internal server, as a real proxy would forward to its loopback."""
        reader, upstream = await asyncio.open_connection("127.0.0.1", self.internal.port)
        try:
            upstream.write(
                f"GET {path} HTTP/1.0\r\nHost: {host}\r\nVia: hostile-web-proxy\r\n\r\n".encode()
            )
            await upstream.drain()
            data = await asyncio.wait_for(reader.read(), 10)
        finally:
            upstream.close()
        writer.write(data)
        await writer.drain()

    async def _trickle(self, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(("Content-Type", "text/html; charset=utf-8")))
        page = _page(_articles(), _GOOD_FOOTER).encode()
        for i in itertools.count():
            if writer.is_closing():
                return
            writer.write(page[i % len(page) : i % len(page) + 1])
            await writer.drain()
            await asyncio.sleep(self.trickle_seconds)

    async def _chunked_forever(self, writer: asyncio.StreamWriter) -> None:
        writer.write(
            _head(("Content-Type", "text/html; charset=utf-8"), ("Transfer-Encoding", "chunked"))
        )
        filler = _articles(repeat=200).encode()
        chunk = f"{len(filler):x}\r\n".encode() + filler + b"\r\n"
        for _ in range(ENDLESS_CAP // len(filler)):
            if writer.is_closing():
                return
            writer.write(chunk)
            await writer.drain()

    async def _header_flood(self, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(("Content-Type", "text/html; charset=utf-8"), end=False))
        value = b"a" * FLOOD_LINE
        batch = 64
        for n in range(0, ENDLESS_CAP // 4 // FLOOD_LINE, batch):  # 64 MiB
            if writer.is_closing():
                return
            writer.write(b"".join(b"X-Flood-%d: %s\r\n" % (n + k, value) for k in range(batch)))
            await writer.drain()
            await asyncio.sleep(batch * FLOOD_LINE / self.flood_rate)
        await _finish(writer, _page(_articles(), _GOOD_FOOTER).encode())

    async def _long_header(self, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(("Content-Type", "text/html; charset=utf-8"), end=False))
        writer.write(b"X-Long: " + b"a" * LONG_HEADER + b"\r\n")
        await _finish(writer, _page(_articles(), _GOOD_FOOTER).encode())


def _refresh(url: str) -> str:
    return f'<meta http-equiv="refresh" content="0;url={url}">\n'


def _head(*headers: tuple[str, str], end: bool = True) -> bytes:
    lines = ["HTTP/1.1 200 OK", "Connection: close", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n" + ("\r\n" if end else "")).encode("latin-1")


async def _finish(writer: asyncio.StreamWriter, body: bytes) -> None:
    """End a header block begun with ``_head(end=False)`` and send ``body``."""
    writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    with contextlib.suppress(ConnectionError):
        await writer.drain()
