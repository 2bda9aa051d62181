"""The guarding forward proxy Chromium uses when the crawl has none (crawler/render/guard_proxy.py):
a name whose answer is not public is refused (403, or no tunnel), a public one is forwarded to
the exact address judged, and the page's bytes are bounded (head size, idle time, connections).

A real proxy on 127.0.0.1; "public" sites are local servers reached through a faked resolution
(``resolve``) and a connect that maps their made-up public address to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

import crawler.render.guard_proxy as guard_module
from crawler.fetch.addresses import resolved_refusal
from crawler.render.guard_proxy import (
    GuardProxy,
    ProxyRequest,
    forwarded,
    judged,
    parse_request,
    system_resolve,
)

PUBLIC = "1.2.3.4"  # what made-up public names resolve to; connect() maps it to the local site


@pytest.mark.parametrize(
    ("head", "parsed"),
    [
        (
            b"GET http://shop.example.cn/a?b=1 HTTP/1.1\r\nHost: shop.example.cn\r\n\r\n",
            ProxyRequest("GET", "shop.example.cn", 80, "/a?b=1", (("Host", "shop.example.cn"),)),
        ),
        (
            b"CONNECT shop.example.cn:443 HTTP/1.1\r\n\r\n",
            ProxyRequest("CONNECT", "shop.example.cn", 443, "", ()),
        ),
        (b"CONNECT [::1]:8443 HTTP/1.1\r\n\r\n", ProxyRequest("CONNECT", "::1", 8443, "", ())),
        (b"POST http://a.cn:8080 HTTP/1.0\r\n\r\n", ProxyRequest("POST", "a.cn", 8080, "/", ())),
        (b"GET /origin-form HTTP/1.1\r\nHost: a.cn\r\n\r\n", None),  # not a proxy request
        (b"GET https://a.cn/ HTTP/1.1\r\n\r\n", None),  # https comes as CONNECT
        (b"GET ftp://a.cn/ HTTP/1.1\r\n\r\n", None),
        (b"CONNECT a.cn HTTP/1.1\r\n\r\n", None),  # no port
        (b"CONNECT a.cn:99999 HTTP/1.1\r\n\r\n", None),
        (b"CONNECT [::1:443 HTTP/1.1\r\n\r\n", None),
        (b"GET http://a.cn/ HTTP/2\r\n\r\n", None),
        (b"GET http://a.cn/ HTTP/1.1 extra\r\n\r\n", None),
        (b"GET http://a.cn/ HTTP/1.1\r\nno colon\r\n\r\n", None),
        (b"GET http://a.cn/ HTTP/1.1\r\nBad Name: x\r\n\r\n", None),
        (b"G\xc3T http://a.cn/ HTTP/1.1\r\n\r\n", None),
        (b"GET http://a.cn/ HTTP/1.1\r\nN\xc3me: x\r\n\r\n", None),
    ],
)
def test_parse_request(head: bytes, parsed: ProxyRequest | None) -> None:
    assert parse_request(head) == parsed


@pytest.mark.parametrize(
    ("host", "answers", "public", "refused"),
    [
        ("shop.example.cn", [PUBLIC], [PUBLIC], None),
        (
            "evil.example.cn",
            ["127.0.0.1"],
            [],
            "evil.example.cn (resolves to 127.0.0.1, a loopback",
        ),
        ("evil.example.cn", ["10.0.0.1", "::1"], [], "evil.example.cn (resolves to 10.0.0.1, a"),
        ("mixed.example.cn", ["127.0.0.1", PUBLIC], [PUBLIC], None),  # only the public one
        ("v6.example.cn", ["::ffff:127.0.0.1"], [], "v6.example.cn (resolves to ::ffff:127.0.0.1"),
        ("10.0.0.1", ["10.0.0.1"], [], "10.0.0.1 (private address)"),
        ("printer.localhost", [PUBLIC], [], "printer.localhost (loopback name)"),
        ("none.example.cn", [], [], None),
    ],
)
def test_judged(host: str, answers: list[str], public: list[str], refused: str | None) -> None:
    addresses, refusal = judged(host, answers)
    assert addresses == public
    assert (refusal.describe() if refusal else "").startswith(refused or "") is True
    assert (refusal is None) is (refused is None)


def test_forwarded_drops_hop_by_hop_headers() -> None:
    headers = (
        ("Host", "a.cn"),
        ("Proxy-Connection", "keep-alive"),
        ("Connection", "keep-alive, X-Secret"),
        ("X-Secret", "1"),
        ("Proxy-Authorization", "Basic eDp5"),
        ("Upgrade", "websocket"),
        ("Accept", "*/*"),
    )
    assert forwarded("GET / HTTP/1.1", headers) == (
        b"GET / HTTP/1.1\r\nHost: a.cn\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    )


# A real proxy, with local servers behind made-up names.


class Site:
    """A local HTTP server that records each request head and answers ``ok``."""

    def __init__(self) -> None:
        self.heads: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                self.heads.append(head)
                if head.startswith(b"ECHO"):  # a tunnel's bytes, sent back
                    writer.write(head)
                    await writer.drain()
                    continue
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n"
                    b"Keep-Alive: timeout=60\r\n\r\nok"
                )
                await writer.drain()
                if b"connection: close" in head.lower():
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[1]


@dataclass
class Web:
    """A guard proxy at ``url`` in front of ``site``; ``connected``: the addresses it dialled."""

    url: str
    site: Site
    guard: GuardProxy
    connected: list[str]


NAMES = {
    "shop.example.cn": [PUBLIC],
    "evil.example.cn": ["127.0.0.1"],
    "mixed.example.cn": ["10.1.2.3", PUBLIC],
}


def fake_web(site: Site, names: dict[str, list[str]]) -> tuple[Any, Any, list[str]]:
    """resolve(): ``names`` (others fail); connect(): PUBLIC → the site, anything else an error."""
    connected: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        if host not in names:
            raise socket.gaierror(socket.EAI_NONAME, "no such name")
        return names[host]

    async def connect(address: str, port: int) -> Any:
        connected.append(address)
        if address != PUBLIC:
            raise ConnectionRefusedError(address)  # never the real web
        return await asyncio.open_connection("127.0.0.1", site.port)

    return resolve, connect, connected


def with_web(test: Callable[[Web], Awaitable[None]], guarded: bool = True) -> None:
    """Run ``test`` with a local site and a guard proxy (the faked web, or the real resolver)."""

    async def run() -> None:
        site = Site()
        site.server = await asyncio.start_server(site.handle, "127.0.0.1", 0)
        resolve, connect, connected = fake_web(site, NAMES)
        guard = GuardProxy(resolve=resolve, connect=connect) if guarded else GuardProxy()
        try:
            await test(Web(await guard.start(), site, guard, connected))
        finally:
            await guard.close()
            site.server.close()

    asyncio.run(run())


async def ask(proxy: str, data: bytes, timeout: float = 5.0) -> bytes:
    """Send ``data`` to the proxy and read until it closes."""
    port = int(proxy.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    try:
        async with asyncio.timeout(timeout):
            return await reader.read(-1)
    finally:
        writer.close()


def test_a_public_name_is_forwarded_to_the_address_judged() -> None:
    async def test(web: Web) -> None:
        answer = await ask(
            web.url,
            b"GET http://shop.example.cn/page?x=1 HTTP/1.1\r\nHost: shop.example.cn\r\n"
            b"Proxy-Connection: keep-alive\r\n\r\n",
        )
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and answer.endswith(b"\r\n\r\nok")
        assert b"Connection: close\r\n" in answer and b"keep-alive" not in answer.lower()
        assert web.site.heads == [
            b"GET /page?x=1 HTTP/1.1\r\nHost: shop.example.cn\r\nConnection: close\r\n\r\n"
        ]
        assert web.connected == [PUBLIC]

    with_web(test)


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (
            b"GET http://evil.example.cn/secret HTTP/1.1\r\n\r\n",
            b"blocked: evil.example.cn (resolves to 127.0.0.1, a loopback address) refused",
        ),
        (b"CONNECT evil.example.cn:443 HTTP/1.1\r\n\r\n", b"blocked: evil.example.cn (resolves"),
        (b"GET http://10.0.0.1/ HTTP/1.1\r\n\r\n", b"blocked: 10.0.0.1 (private address)"),
        (b"CONNECT [::1]:443 HTTP/1.1\r\n\r\n", b"blocked: ::1 (loopback address)"),
        (b"GET http://a.localhost/ HTTP/1.1\r\n\r\n", b"blocked: a.localhost (loopback name)"),
    ],
)
def test_a_non_public_answer_is_refused(request_: bytes, reason: bytes) -> None:
    async def test(web: Web) -> None:
        answer = await ask(web.url, request_)
        assert answer.startswith(b"HTTP/1.1 403 Forbidden\r\n")
        body = answer.split(b"\r\n\r\n", 1)[1]
        assert body.startswith(reason) and body.count(b"\n") == 1  # one line
        assert (web.connected, web.site.heads, web.guard.refused) == ([], [], 1)

    with_web(test)


def test_only_the_public_answer_of_a_mixed_name_is_used() -> None:
    async def test(web: Web) -> None:
        answer = await ask(web.url, b"GET http://mixed.example.cn/ HTTP/1.1\r\n\r\n")
        assert answer.endswith(b"ok") and web.connected == [PUBLIC]

    with_web(test)


def test_a_tunnel_to_a_public_name_carries_bytes_both_ways() -> None:
    async def test(web: Web) -> None:
        data = b"CONNECT shop.example.cn:443 HTTP/1.1\r\n\r\nECHO hello\r\n\r\n"
        port = int(web.url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(data)
        expected = b"HTTP/1.1 200 Connection established\r\n\r\nECHO hello\r\n\r\n"
        async with asyncio.timeout(5):
            answer = await reader.readexactly(len(expected))
        writer.close()
        assert answer == expected
        assert web.connected == [PUBLIC]

    with_web(test)


@pytest.mark.parametrize(
    ("request_", "status"),
    [
        (b"GET /x HTTP/1.1\r\nHost: shop.example.cn\r\n\r\n", b"400"),
        (b"GET http://no-such.example.cn/ HTTP/1.1\r\n\r\n", b"502"),
        (b"hello\r\n\r\n", b"400"),
    ],
)
def test_what_cannot_be_forwarded_is_answered(request_: bytes, status: bytes) -> None:
    async def test(web: Web) -> None:
        answer = await ask(web.url, request_)
        assert answer.startswith(b"HTTP/1.1 " + status) and web.site.heads == []

    with_web(test)


def test_an_oversized_head_is_dropped() -> None:
    async def test(web: Web) -> None:
        head = b"GET http://shop.example.cn/ HTTP/1.1\r\nX: " + b"a" * guard_module.MAX_HEAD
        assert await ask(web.url, head + b"\r\n\r\n") == b""
        assert web.site.heads == []

    with_web(test)


def test_an_idle_page_connection_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard_module, "IDLE_TIMEOUT", 0.2)

    async def test(web: Web) -> None:
        assert await ask(web.url, b"GET http://shop.example.cn/ HTT", timeout=3) == b""
        answer = await ask(web.url, b"CONNECT shop.example.cn:443 HTTP/1.1\r\n\r\n", timeout=3)
        assert answer == b"HTTP/1.1 200 Connection established\r\n\r\n"  # closed when idle

    with_web(test)


def test_connections_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard_module, "MAX_CONNECTIONS", 1)
    monkeypatch.setattr(guard_module, "CONNECT_TIMEOUT", 0.3)

    async def test(web: Web) -> None:
        port = int(web.url.rsplit(":", 1)[1])
        _, holder = await asyncio.open_connection("127.0.0.1", port)  # takes the one slot
        await asyncio.sleep(0.05)
        request = b"GET http://shop.example.cn/ HTTP/1.1\r\n\r\n"
        assert await ask(web.url, request, 3) == b""  # waited for a slot, then dropped
        holder.close()
        await asyncio.sleep(0.05)
        assert (await ask(web.url, request)).endswith(b"ok")

    with_web(test)


def loopback_hostname() -> str | None:
    """The machine's own name, when the system resolver answers it with a non-public address
    (through /etc/hosts: no DNS needed)."""
    name = socket.gethostname()
    try:
        answers = [str(a[4][0]) for a in socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)]
    except OSError:
        return None
    return name if answers and all(resolved_refusal(name, a) for a in answers) else None


@pytest.mark.skipif(loopback_hostname() is None, reason="the hostname is not resolved locally")
def test_a_name_the_system_resolves_to_this_machine_is_refused() -> None:
    """Real name resolution: the machine's hostname, from /etc/hosts."""
    name = loopback_hostname()

    async def test(web: Web) -> None:
        assert name and await system_resolve(name, 80)
        answer = await ask(web.url, f"GET http://{name}:{web.site.port}/ HTTP/1.1\r\n\r\n".encode())
        assert answer.startswith(b"HTTP/1.1 403")
        assert f"blocked: {name} (resolves to".encode() in answer
        assert web.site.heads == []

    with_web(test, guarded=False)


def test_close_stops_serving() -> None:
    async def run() -> None:
        guard = GuardProxy()
        port = int((await guard.start()).rsplit(":", 1)[1])
        await guard.close()
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", port)

    asyncio.run(run())


def test_close_ends_open_tunnels_quietly(caplog: pytest.LogCaptureFixture) -> None:
    async def test(web: Web) -> None:
        port = int(web.url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"CONNECT shop.example.cn:443 HTTP/1.1\r\n\r\n")
        await reader.readuntil(b"\r\n\r\n")
        await web.guard.close()
        async with asyncio.timeout(5):
            assert await reader.read(-1) == b""
        writer.close()

    with_web(test)
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []
