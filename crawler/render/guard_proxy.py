"""A forward proxy on 127.0.0.1 for Chromium when the crawl has none: names are resolved here,
and a page's request to a name whose answer is not public is refused.

Without a proxy Chromium resolves names itself, so a rendered page's image, iframe, fetch or
navigation to ``http://evil.example/`` answering 127.0.0.1 or 10.x would load; the browser's
routes (crawler/render/browser.py) see only address literals and localhost names. Here every
request of the page goes through Python: plain HTTP forwarded (``Connection: close`` both ways,
so one connection carries one request to one judged host), HTTPS and WebSockets as CONNECT
tunnels. The target is resolved, each answer judged (crawler/fetch/addresses.py), and the
connection goes to the exact public address judged: no second lookup to rebind. A refusal is a
403 with one line naming it. Every byte from the page is attacker input: heads are capped,
connect and idle time bounded, and at most :data:`MAX_CONNECTIONS` connections are served at
once. With a crawl proxy (``--proxy``) or ``--allow-private`` none is started.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from crawler.fetch.addresses import Refusal, literal_address, literal_refusal, resolved_refusal

logger = logging.getLogger(__name__)

MAX_HEAD = 32 * 1024  # bytes of a request or response head (request line and headers)
MAX_CONNECTIONS = 64  # served at once; Chromium opens at most 32 to one proxy
CONNECT_TIMEOUT = 10.0  # seconds to resolve and connect to the target
IDLE_TIMEOUT = 30.0  # seconds without a byte either way before a connection is dropped
CHUNK = 64 * 1024
#: Hop-by-hop headers (RFC 9110 7.6.1) and the proxy's own, never passed on.
HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "upgrade",
     "trailer", "proxy-authenticate"}
)  # fmt: skip

Resolve = Callable[[str, int], Awaitable[list[str]]]
Connect = Callable[[str, int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


@dataclass(frozen=True, slots=True)
class ProxyRequest:
    """A request head as Chromium sends it to a proxy."""

    method: str
    host: str  # without brackets
    port: int
    path: str  # origin-form for plain HTTP; "" for CONNECT
    headers: tuple[tuple[str, str], ...]

    @property
    def tunnel(self) -> bool:
        return self.method == "CONNECT"


def parse_request(head: bytes) -> ProxyRequest | None:
    """``CONNECT host:port HTTP/1.1`` or ``GET http://host[:port]/path HTTP/1.1`` and its
    headers; ``None`` for anything else (origin-form, another scheme, a malformed line)."""
    try:
        line, *lines = head.decode("latin-1").split("\r\n")
        method, target, version = line.split(" ")
    except ValueError:
        return None
    if not version.startswith("HTTP/1.") or not (method.isascii() and method.isalpha()):
        return None
    headers = parse_headers(lines)
    if headers is None:
        return None
    try:
        if method.upper() == "CONNECT":
            url = urlsplit(f"//{target}")
            host, port, path = url.hostname, url.port, ""
        else:
            url = urlsplit(target)
            if url.scheme.lower() != "http":
                return None
            host, port = url.hostname, url.port or 80
            path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    except ValueError:  # a bad port or bracket
        return None
    if not host or not port:
        return None
    return ProxyRequest(method.upper(), host, port, path, headers)


def parse_headers(lines: list[str]) -> tuple[tuple[str, str], ...] | None:
    """Header lines (up to the blank one) as (name, value); ``None`` when one is malformed."""
    headers = []
    for line in lines:
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.isascii() or not name or any(c in name for c in " \t"):
            return None
        headers.append((name, value.strip()))
    return tuple(headers)


def forwarded(head: str, headers: tuple[tuple[str, str], ...]) -> bytes:
    """A head passed on: ``head`` (request or status line), the headers without hop-by-hop
    ones (and those the Connection header names), then ``Connection: close``."""
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
    }
    kept = [f"{n}: {v}" for n, v in headers if n.lower() not in HOP_HEADERS | named]
    return "\r\n".join([head, *kept, "Connection: close", "", ""]).encode("latin-1")


def judged(host: str, answers: list[str]) -> tuple[list[str], Refusal | None]:
    """The public addresses among ``answers`` to connect to, or why none may be: the host is a
    private literal or localhost name, or every answer is non-public."""
    refusal = literal_refusal(host)
    if refusal is not None:
        return [], refusal
    public = [a for a in answers if resolved_refusal(host, a) is None]
    if public or not answers:
        return public, None
    return [], resolved_refusal(host, answers[0])


def reply(status: str, text: str) -> bytes:
    """A short text answer from the proxy itself (the page's request sees it)."""
    body = (text + "\n").encode("utf-8", "replace")
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (IPv4 and IPv6)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def open_connection(
    address: str, port: int
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(address, port, limit=MAX_HEAD)


class GuardProxy:
    """``url = await proxy.start()`` … ``await proxy.close()``. ``resolve`` and ``connect``
    replace the system resolver and ``asyncio.open_connection`` (tests fake the web with them)."""

    def __init__(self, resolve: Resolve = system_resolve, connect: Connect = open_connection):
        self.resolve = resolve
        self.connect = connect
        self.refused = 0  # requests refused, for the log
        self._server: asyncio.Server | None = None
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        if self._server is None:
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=MAX_HEAD)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.refused:
            logger.info("guard proxy refused %d requests to non-public addresses", self.refused)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                await self._slots.acquire()
            try:
                await self._exchange(reader, writer)
            finally:
                self._slots.release()
        except (
            OSError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            TimeoutError,
            asyncio.CancelledError,  # close(): this connection's task is the outermost
        ):
            pass  # the connection ends: closed, cut short, too big, too slow, or we stop
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with asyncio.timeout(IDLE_TIMEOUT):
            request = parse_request(await reader.readuntil(b"\r\n\r\n"))
        if request is None:
            writer.write(reply("400 Bad Request", "not a proxy request"))
            return
        upstream, why = await self._open(request)
        if upstream is None:
            writer.write(why)
            return
        up_reader, up_writer = upstream
        try:
            if request.tunnel:
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await self._pipe(reader, writer, up_reader, up_writer, tunnel=True)
                return
            line = f"{request.method} {request.path} HTTP/1.1"
            up_writer.write(forwarded(line, request.headers))
            await self._pipe(reader, writer, up_reader, up_writer, tunnel=False)
        finally:
            up_writer.close()

    async def _open(
        self, request: ProxyRequest
    ) -> tuple[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None, bytes]:
        """The connection to the judged address, or the answer for the page instead."""
        host, port = request.host, request.port
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                public, refusal = judged(host, await self._answers(host, port))
                if refusal is not None:
                    self.refused += 1
                    logger.debug("guard proxy: %s", refusal.describe())
                    return None, reply("403 Forbidden", f"blocked: {refusal.describe()}")
                error: Exception = OSError("no address")
                for address in public:
                    try:
                        return await self.connect(address, port), b""
                    except OSError as exc:
                        error = exc
        except (OSError, UnicodeError) as exc:  # a name that cannot be resolved
            error = exc
        except TimeoutError:
            return None, reply("504 Gateway Timeout", f"{host[:80]}: no connection in time")
        return None, reply("502 Bad Gateway", f"{host[:80]}: {type(error).__name__}")

    async def _answers(self, host: str, port: int) -> list[str]:
        """The addresses ``host`` names: none to look up for a localhost name or a literal."""
        if literal_refusal(host) is not None:
            return []  # judged() refuses it
        literal = literal_address(host)
        return [str(literal)] if literal else await self.resolve(host, port)

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
        *,
        tunnel: bool,
    ) -> None:
        """Bytes both ways until the target is done (or either side idles too long). Plain
        HTTP: the response head has its hop-by-hop headers replaced by ``Connection: close``."""
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(IDLE_TIMEOUT) as idle:

            async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
                while data := await src.read(CHUNK):
                    idle.reschedule(loop.time() + IDLE_TIMEOUT)
                    dst.write(data)
                    await dst.drain()
                if dst.can_write_eof():
                    with contextlib.suppress(OSError):
                        dst.write_eof()

            async def response() -> None:
                if not tunnel:
                    await self._response_head(up_reader, writer)
                await pump(up_reader, writer)

            upload = asyncio.ensure_future(pump(reader, up_writer))
            try:
                await response()
                if tunnel:  # the page's side may still be sending
                    await upload
            finally:
                upload.cancel()
                with contextlib.suppress(asyncio.CancelledError, OSError):
                    await upload

    async def _response_head(
        self, up_reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Pass the response head on (interim 1xx ones as they are) with ``Connection: close``:
        Chromium then sends its next request on a new connection, judged anew."""
        while True:
            head = (await up_reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            status, *lines = head.split("\r\n")
            headers = parse_headers(lines)
            parts = status.split(" ", 2)
            if headers is None or len(parts) < 2 or not parts[0].startswith("HTTP/"):
                writer.write(reply("502 Bad Gateway", "the site's answer was no HTTP response"))
                raise OSError("bad response head")
            if not parts[1].startswith("1"):  # no 101: Upgrade is not passed on
                writer.write(forwarded(status, headers))
                return
            writer.write(head.encode("latin-1"))
