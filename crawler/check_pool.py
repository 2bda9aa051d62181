"""The footer check in worker processes, so a crawl uses more than one core.

Scrapy downloads on one core, and checking a page costs about as much CPU as downloading it:
run inline, the check halves the crawl rate. ``assess_page`` is a pure function over plain
values, so a worker process runs it unchanged. Each worker is a child on pipes, driven from the
event loop with length-prefixed pickles: no threads in the crawl process (a
``ProcessPoolExecutor`` adds two, whose GIL hand-offs cost the crawl about as much as they
saved). With no workers (one core, or ``ICPWATCH_CHECK_WORKERS = 0``) the check runs inline.

A worker that dies fails its pending checks over to the crawl process, which then checks inline;
a worker whose crawl dies reads end-of-file and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import pickle
import signal
import sys
from collections import deque
from typing import Any

from crawler.page_outcome import Outcome, assess_page

logger = logging.getLogger(__name__)

#: Beyond this a pool gains nothing: one worker keeps up with Scrapy's download rate.
MAX_AUTO_WORKERS = 2
_HEADER = 4  # bytes of the big-endian length before each pickle
CLOSE_TIMEOUT = 5.0  # seconds a worker gets to exit after its input ends
PIPE_BYTES = 1 << 20  # Linux's default ceiling for an unprivileged pipe


def worker_count(setting: str | int | None) -> int:
    """``auto`` (the default): one worker per spare core, at most MAX_AUTO_WORKERS."""
    if setting in (None, "", "auto"):
        return max(0, min((os.cpu_count() or 1) - 1, MAX_AUTO_WORKERS))
    try:
        count = int(setting)
    except ValueError:
        count = -1
    if count < 0:
        raise ValueError(f"ICPWATCH_CHECK_WORKERS={setting!r}: expected 'auto' or a number >= 0")
    return count


def _frame(obj: object) -> list[bytes]:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return [len(data).to_bytes(_HEADER, "big"), data]


class WorkerDied(RuntimeError):
    pass


class _Worker(asyncio.SubprocessProtocol):
    """One child process: checks go out on its stdin and come back, in order, on its stdout.

    At most IN_FLIGHT checks are in the pipe; the rest wait here unpickled. A pipe transport
    keeps unsent bytes in one buffer it shifts after every write: megabytes queued there cost
    more CPU than the checks themselves. Four (about 0.8 MB of corpus pages, inside the 1 MiB
    pipe) keep the worker busy while the crawl's event loop is busy elsewhere: 2,000 sites took
    about 6 % less wall time than with two, for the same CPU.
    """

    IN_FLIGHT = 4

    def __init__(self) -> None:
        self.transport: asyncio.SubprocessTransport | None = None
        self.exited: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting: deque[tuple[dict[str, Any], asyncio.Future[Outcome]]] = deque()
        self.sent: deque[asyncio.Future[Outcome]] = deque()
        self.alive = True
        self._buf = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    @property
    def load(self) -> int:
        return len(self.waiting) + len(self.sent)

    def submit(self, facts: dict[str, Any]) -> asyncio.Future[Outcome]:
        future = asyncio.get_running_loop().create_future()
        self.waiting.append((facts, future))
        self._pump()
        return future

    def _pump(self) -> None:
        stdin = self.transport.get_pipe_transport(0) if self.transport else None
        while self.waiting and len(self.sent) < self.IN_FLIGHT:
            facts, future = self.waiting.popleft()
            if future.done():  # cancelled: the crawl is shutting down
                continue
            if stdin is None or stdin.is_closing():
                future.set_exception(WorkerDied("footer-check worker is gone"))
                continue
            stdin.writelines(_frame(facts))
            self.sent.append(future)

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        self._buf += data
        while len(self._buf) >= _HEADER:
            size = int.from_bytes(self._buf[:_HEADER], "big")
            if len(self._buf) < _HEADER + size:
                break
            ok, value = pickle.loads(self._buf[_HEADER : _HEADER + size])
            del self._buf[: _HEADER + size]
            future = self.sent.popleft()
            if not future.done():
                future.set_result(value) if ok else future.set_exception(value)
        self._pump()

    def process_exited(self) -> None:
        self.alive = False
        code = self.transport.get_returncode() if self.transport else None
        died = WorkerDied(f"footer-check worker exited ({code})")
        for future in [*self.sent, *(f for _, f in self.waiting)]:
            if not future.done():
                future.set_exception(died)
        self.sent.clear()
        self.waiting.clear()
        if not self.exited.done():
            self.exited.set_result(None)

    async def close(self) -> None:
        """End of input: the worker finishes what it holds and exits (or is killed)."""
        if self.transport is None:
            return
        stdin = self.transport.get_pipe_transport(0)
        if stdin is not None:
            stdin.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.exited), CLOSE_TIMEOUT)
        self.transport.close()


def _widen(worker: _Worker) -> None:
    """A 1 MiB pipe: a page goes out in one write, instead of 64 KiB a turn of a busy event
    loop while the worker waits for the rest (Linux; elsewhere the default stays)."""
    stdin = worker.transport.get_pipe_transport(0) if worker.transport else None
    fd = stdin.get_extra_info("pipe").fileno() if stdin is not None else None
    if fd is not None and hasattr(fcntl, "F_SETPIPE_SZ"):
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


class CheckPool:
    """``await pool.assess(**facts)``: ``assess_page`` in a worker, or inline without one."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: list[_Worker] = []
        self._starting: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Boot the workers (a fraction of a second) while the first pages download."""
        if self.workers and self._starting is None:
            self._starting = asyncio.ensure_future(self._start())

    async def assess(self, **facts: Any) -> Outcome:
        self.start()
        if self._starting is not None:
            await self._starting
        live = [w for w in self._pool if w.alive]
        if not live:
            return assess_page(**facts)
        try:
            return await min(live, key=lambda w: w.load).submit(facts)
        except WorkerDied as exc:
            logger.warning("%s; checking in the crawl process", exc)
            return assess_page(**facts)

    async def _start(self) -> None:
        loop = asyncio.get_running_loop()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        code = "from crawler.check_pool import serve; serve()"
        for _ in range(self.workers):
            try:
                _, worker = await loop.subprocess_exec(
                    _Worker, sys.executable, "-c", code, stderr=None, env=env
                )
            except OSError as exc:
                logger.warning("cannot start a footer-check worker (%s); checking inline", exc)
                return
            _widen(worker)
            self._pool.append(worker)
        logger.info("footer checks in %d worker process(es)", len(self._pool))

    async def close(self) -> None:
        """Spider closed: every check was awaited, so the workers hold nothing."""
        if self._starting is not None:
            await self._starting
        await asyncio.gather(*(w.close() for w in self._pool))


def serve() -> None:
    """A worker's loop: a pickled dict of facts in, a pickled (ok, outcome or error) out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the crawl handles Ctrl-C and SIGTERM, then
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # closes our stdin
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print() must not corrupt the protocol
    stdin = sys.stdin.buffer
    while len(header := stdin.read(_HEADER)) == _HEADER:
        facts = pickle.loads(stdin.read(int.from_bytes(header, "big")))
        try:
            result: tuple[bool, object] = (True, assess_page(**facts))
        except Exception as exc:  # the crawl process raises it where the check was awaited
            result = (False, exc)
        out.writelines(_frame(result))
        out.flush()
