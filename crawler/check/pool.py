"""The footer check in worker processes, so a crawl uses more than one core.

Scrapy downloads on one core, and checking a page costs about as much CPU as downloading it:
run inline, the check halves the crawl rate. ``assess_page`` is a pure function over plain
values, so a worker process runs it unchanged. Each worker is a child on pipes, driven from the
event loop with length-prefixed pickles: no threads in the crawl process (a
``ProcessPoolExecutor`` adds two, whose GIL hand-offs cost the crawl about as much as they
saved). With no workers (one core, or ``ICPWATCH_CHECK_WORKERS = 0``) the check runs inline.

Every page is attacker input, so a worker is also the check's sandbox: a check that uses more
than its CPU budget (``ICPWATCH_CHECK_BUDGET``) has its worker killed and becomes a
``check_error`` row, and a replacement takes the worker's other pages. A worker dies with its
crawl (Linux's parent-death signal), even in the middle of a check.
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
import time
from collections import deque
from collections.abc import Callable
from importlib import import_module
from typing import Any

from crawler.check.outcome import Outcome, assess_page, check_error, error_line

logger = logging.getLogger(__name__)

#: Beyond this a pool gains nothing: one worker keeps up with Scrapy's download rate.
MAX_AUTO_WORKERS = 2
_HEADER = 4  # bytes of the big-endian length before each pickle
CLOSE_TIMEOUT = 5.0  # seconds a worker gets to exit after its input ends
PIPE_BYTES = 1 << 20  # Linux's default ceiling for an unprivileged pipe
DEFAULT_BUDGET = 5.0  # CPU seconds one page's check may use (the median page takes ~1 ms)
WATCH_INTERVAL = 0.25  # seconds between looks at the workers' CPU clocks
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def worker_count(setting: str | int | None) -> int:
    """``auto`` (the default): one worker per spare core, at most MAX_AUTO_WORKERS, and at
    least one: only a worker can be stopped in the middle of a runaway check."""
    if setting in (None, "", "auto"):
        return max(1, min((os.cpu_count() or 1) - 1, MAX_AUTO_WORKERS))
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


class OverBudget(RuntimeError):
    """The page's check used up its CPU budget; its worker was killed."""


def _cpu_seconds(pid: int) -> float:
    """CPU time a process has used (Linux /proc); elsewhere the wall clock stands in for it,
    which only makes the budget stricter."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rpartition(b")")[2].split()
    except OSError:
        return time.monotonic()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Worker(asyncio.SubprocessProtocol):
    """One child process: checks go out on its stdin and come back, in order, on its stdout.

    At most IN_FLIGHT checks are in the pipe; the rest wait here unpickled. A pipe transport
    keeps unsent bytes in one buffer it shifts after every write: megabytes queued there cost
    more CPU than the checks themselves. Four (about 0.8 MB of corpus pages, inside the 1 MiB
    pipe) keep the worker busy while the crawl's event loop is busy elsewhere: 2,000 sites took
    about 6 % less wall time than with two, for the same CPU.
    """

    IN_FLIGHT = 4

    def __init__(self, on_exit: Callable[[_Worker], None]) -> None:
        self.on_exit = on_exit  # called before the pending checks fail: a successor is ready
        self.transport: asyncio.SubprocessTransport | None = None
        self.exited: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting: deque[tuple[dict[str, Any], asyncio.Future[Outcome]]] = deque()
        self.sent: deque[asyncio.Future[Outcome]] = deque()
        self.alive = True
        self.results = 0  # answers so far: the check under way changes with each
        self.killed = False  # by us, over budget: its death says nothing about the next page
        self._buf = bytearray()
        self._head: tuple[int, float] | None = None  # (results, CPU clock) when last watched

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
            self.results += 1
            if not future.done():
                future.set_result(value) if ok else future.set_exception(value)
        self._pump()

    def watch(self, budget: float) -> None:
        """Kill the worker if the check under way has used more than ``budget`` CPU seconds
        since it was first seen under way (so a check gets at most one interval more)."""
        if not (self.alive and self.sent and self.transport):
            return
        clock = _cpu_seconds(self.transport.get_pid())
        if self._head is None or self._head[0] != self.results:
            self._head = (self.results, clock)
        elif clock - self._head[1] > budget:
            self.sent[0].set_exception(
                OverBudget(f"the footer check used more than {budget:g} CPU seconds on this page")
            )
            self.killed = True
            self.transport.kill()

    def process_exited(self) -> None:
        self.alive = False
        self.on_exit(self)
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


Check = Callable[..., Outcome]


class CheckPool:
    """``await pool.assess(**facts)``: ``check(**facts)`` (``assess_page``) in a worker, or
    inline without one.

    ``budget`` is the CPU seconds one page's check may use in a worker (0: no limit); inline
    checks (no workers) have none. ``check`` must be importable by name: workers import it."""

    def __init__(
        self, workers: int, budget: float = DEFAULT_BUDGET, check: Check = assess_page
    ) -> None:
        self.workers = workers
        self.budget = budget
        self.check = check
        self._pool: list[_Worker] = []
        self._starting: asyncio.Task[None] | None = None
        self._spawning: asyncio.Task[None] | None = None
        self._watching: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        """Boot the workers (a fraction of a second) while the first pages download."""
        if self.workers and self._starting is None:
            self._starting = asyncio.ensure_future(self._start())

    async def assess(self, **facts: Any) -> Outcome:
        """The page's outcome; a page that kills its worker twice (or runs over its budget)
        is a ``check_error``, never a lost row."""
        self.start()
        if self._starting is not None:
            await self._starting
        died: WorkerDied | None = None
        for _ in range(2):
            worker = await self._least_loaded()
            if worker is None:
                break
            try:
                return await worker.submit(facts)
            except OverBudget as exc:
                logger.warning("%s: %s; its worker was replaced", facts["url"], exc)
                return check_error(**facts, error=str(exc))
            except WorkerDied as exc:
                logger.warning("%s while checking %s", exc, facts["url"])
                died = exc
        if died is not None:  # not inline: the page may be what kills a process
            return check_error(**facts, error=f"{died} while checking this page")
        return self.check(**facts)

    async def _least_loaded(self) -> _Worker | None:
        live = [w for w in self._pool if w.alive]
        if not live and self._spawning is not None:
            await self._spawning
            live = [w for w in self._pool if w.alive]
        return min(live, key=lambda w: w.load) if live else None

    async def _start(self) -> None:
        for _ in range(self.workers):
            if not await self._spawn():
                return
        logger.info("footer checks in %d worker process(es)", len(self._pool))
        if self.budget > 0 and self._pool:
            self._watching = asyncio.ensure_future(self._watch())

    async def _spawn(self) -> bool:
        loop = asyncio.get_running_loop()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        name = f"{self.check.__module__}:{self.check.__qualname__}"
        code = f"from crawler.check.pool import serve; serve({os.getpid()}, {name!r})"
        try:
            _, worker = await loop.subprocess_exec(
                lambda: _Worker(self._replace), sys.executable, "-c", code, stderr=None, env=env
            )
        except OSError as exc:
            logger.warning("cannot start a footer-check worker (%s); checking inline", exc)
            return False
        _widen(worker)
        self._pool.append(worker)
        return True

    def _replace(self, worker: _Worker) -> None:
        """A worker killed over budget, or one that died after answering (the page it died on
        did it), gets a successor; one that never answered is broken: checks go inline."""
        if self._closing:
            return
        self._pool.remove(worker)
        if worker.killed or worker.results:
            self._spawning = asyncio.ensure_future(self._spawn())

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            for worker in self._pool:
                worker.watch(self.budget)

    async def close(self) -> None:
        """Spider closed: every check was awaited, so the workers hold nothing."""
        self._closing = True
        if self._watching is not None:
            self._watching.cancel()
        for task in (self._starting, self._spawning):
            if task is not None:
                await task
        await asyncio.gather(*(w.close() for w in self._pool))


def _die_with(parent: int) -> None:
    """Linux: the kernel kills this worker when the crawl process dies, even in the middle of
    a check (end-of-file on stdin is only read between checks)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the crawl died before the signal was armed
        os._exit(0)


def serve(parent: int, check_name: str) -> None:
    """A worker's loop: a pickled dict of facts in, a pickled (ok, outcome or error) out."""
    _die_with(parent)
    module, _, name = check_name.partition(":")
    check: Check = getattr(import_module(module), name)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the crawl handles Ctrl-C and SIGTERM, then
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # closes our stdin
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print() must not corrupt the protocol
    stdin = sys.stdin.buffer
    while len(header := stdin.read(_HEADER)) == _HEADER:
        facts = pickle.loads(stdin.read(int.from_bytes(header, "big")))
        try:
            frame = _frame((True, check(**facts)))
        except Exception as exc:  # the crawl process raises it where the check was awaited
            try:
                frame = _frame((False, exc))
            except Exception:  # an exception that does not pickle still arrives, as text
                frame = _frame((False, RuntimeError(error_line(exc))))
        out.writelines(frame)
        out.flush()
