"""Many crawl workers, one database: the coordinator's side of scrapy-redis.

The coordinator (``icpwatch crawl --redis URL``) opens the run in SQLite as usual, queues one
message per target in Redis, and drains the workers' items into SQLite through
:meth:`CrawlRun.save` (the same code the SQLite pipeline uses). A target with no item within the
lease (counted from the moment a worker took it) is queued again, at most :data:`MAX_REQUEUES`
times, then recorded ``unreachable``. Late
duplicates are dropped by ``UNIQUE(run_id, domain_id)`` and by the coordinator's bookkeeping.

Keys (``PREFIX`` defaults to ``icpwatch``; give each project its own):

- ``PREFIX:queue``: the list workers pop targets from (scrapy-redis ``redis_key``);
- ``PREFIX:run:TOKEN:claims``: the list of domain ids workers took (their leases start);
- ``PREFIX:run:TOKEN:items``: the list workers push finished items to;
- ``PREFIX:run:TOKEN:active``: set while the run is open; workers skip targets of closed runs.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from crawler.check.outcome import Outcome, is_offsite
from crawler.check.rules import Expected
from crawler.items import CheckItem, check_item
from crawler.store.runs import CrawlRun, Target, redact_url

if TYPE_CHECKING:
    import redis

# redis is imported where it is used: every `icpwatch` command loads this module for its
# constants, and only `crawl --redis` and `worker` talk to Redis (0.1 s of start-up saved).

DEFAULT_PREFIX = "icpwatch"
DEFAULT_LEASE_SECONDS = 300.0
MAX_REQUEUES = 2
ACTIVE_TTL_SECONDS = 60
_ROW_FIELDS = {f.name for f in fields(CheckItem)}


class RedisUnavailable(RuntimeError):
    """Redis cannot be reached or went away; the message never contains a password."""


def queue_key(prefix: str) -> str:
    return f"{prefix}:queue"


def items_key(prefix: str, token: str) -> str:
    return f"{prefix}:run:{token}:items"


def claims_key(prefix: str, token: str) -> str:
    return f"{prefix}:run:{token}:claims"


def active_key(prefix: str, token: str) -> str:
    return f"{prefix}:run:{token}:active"


def encode_target(target: Target, token: str) -> str:
    """The queued message. The licence's other hosts stay with the coordinator, which judges
    offsite redirects when it stores the row: a licence may list thousands of hosts, and every
    one of its targets would carry them all through Redis."""
    data = asdict(target)
    del data["licensed_hosts"]
    data["rules_off"] = sorted(target.rules_off)
    return json.dumps({"run": token, "target": data}, ensure_ascii=False)


def decode_target(message: bytes | str) -> tuple[str, Target]:
    """A queued message → (run token, target); raises ValueError on anything else. The
    target's licensed hosts are its own host only (see encode_target)."""
    try:
        data = json.loads(message)
        t = data["target"]
        target = Target(
            int(t["domain_id"]),
            t["license_no"],
            t["host"],
            t["company"],
            frozenset({t["host"]}),
            Expected(**t["expected"]) if t.get("expected") else None,
            frozenset(t.get("rules_off") or ()),
        )
        return str(data["run"]), target
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not an icpwatch target message: {exc}") from None


def connect(url: str) -> redis.Redis:
    """A checked connection (``redis://:pw@host:6379/2``, ``rediss://`` for TLS)."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise RedisUnavailable(f"cannot use Redis at {redact_url(url)}: {exc}") from None
    return client


@dataclass
class _Lease:
    target: Target
    deadline: float | None = None  # None while queued; set when a worker takes it
    tries: int = 1


class Coordinator:
    """Queue a run's targets, collect the items, requeue what workers dropped."""

    def __init__(
        self,
        client: redis.Redis,
        run: CrawlRun,
        *,
        prefix: str = DEFAULT_PREFIX,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        on_progress: Callable[[dict[str, int]], None] | None = None,
        batch: int = 200,
    ) -> None:
        self.client = client
        self.run = run
        self.prefix = prefix
        self.lease = lease_seconds
        self.on_progress = on_progress
        self.batch = batch
        self.token = secrets.token_hex(8)
        self.leases: dict[int, _Lease] = {}
        self.counts: dict[str, int] = {}

    def _push(self, targets: list[Target]) -> None:
        if targets:
            self.client.rpush(
                queue_key(self.prefix), *(encode_target(t, self.token) for t in targets)
            )

    def start(self) -> None:
        self.client.set(active_key(self.prefix, self.token), 1, ex=ACTIVE_TTL_SECONDS)
        self.leases = {t.domain_id: _Lease(t) for t in self.run.targets}
        self._push(self.run.targets)

    def step(self, wait: float = 1.0) -> None:
        """Drain what the workers pushed, save it, requeue or give up expired leases."""
        self.client.set(active_key(self.prefix, self.token), 1, ex=ACTIVE_TTL_SECONDS)
        taken = self.client.lpop(claims_key(self.prefix, self.token), 10_000) or []
        for domain_id in taken:
            lease = self.leases.get(int(domain_id))
            if lease is not None:
                lease.deadline = time.monotonic() + self.lease
        key = items_key(self.prefix, self.token)
        rows = []
        raw = []
        first = self.client.blpop([key], timeout=wait)
        if first:
            raw = [first[1], *(self.client.lpop(key, self.batch) or [])]
        for message in raw:
            row = {k: v for k, v in json.loads(message).items() if k in _ROW_FIELDS}
            lease = self.leases.pop(row["domain_id"], None)
            if lease is not None:  # else a late duplicate
                if row.get("final_url"):  # the worker knew only the target's own host
                    offsite = is_offsite(row["final_url"], lease.target.licensed_hosts)
                    row["offsite_redirect"] = int(offsite)
                rows.append(row)
        rows += self._expire()
        self.run.save(rows)
        for row in rows:
            self.counts[row["verdict"]] = self.counts.get(row["verdict"], 0) + 1
        if self.on_progress:
            self.on_progress(self.counts)

    def _expire(self) -> list[dict[str, Any]]:
        now_ = time.monotonic()
        if not self.client.llen(queue_key(self.prefix)):
            # Everything queued was popped: a target still unclaimed sat in the batch of a worker
            # that died before claiming it. Its lease starts now (a late claim restarts it).
            for lease in self.leases.values():
                if lease.deadline is None:
                    lease.deadline = now_ + self.lease
        expired = [
            lease
            for lease in self.leases.values()
            if lease.deadline is not None and lease.deadline <= now_
        ]
        again = [lease for lease in expired if lease.tries <= MAX_REQUEUES]
        for lease in again:
            lease.tries += 1
            lease.deadline = None
        self._push([lease.target for lease in again])
        given_up = [lease for lease in expired if lease.tries > MAX_REQUEUES]
        for lease in given_up:
            del self.leases[lease.target.domain_id]
        return [_no_answer(lease) for lease in given_up]

    @property
    def done(self) -> bool:
        return not self.leases

    def close(self) -> None:
        """Workers skip what is left of this run; its keys go."""
        self.client.delete(
            *(key(self.prefix, self.token) for key in (active_key, items_key, claims_key))
        )


def _no_answer(lease: _Lease) -> dict[str, Any]:
    error = f"no worker answered within the lease ({lease.tries} attempts)"
    return check_item(lease.target, Outcome("unreachable", error), [], 0).row()


class _Stop(Exception):
    """SIGTERM, handled like Ctrl-C."""


def coordinate(
    run: CrawlRun,
    url: str,
    *,
    prefix: str = DEFAULT_PREFIX,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    on_progress: Callable[[dict[str, int]], None] | None = None,
) -> str:
    """Drive one run to its end; returns the run's final status. Redis failing or a signal ends
    the run ``interrupted`` (the next ``crawl --redis`` resumes it), never a hang."""
    import redis

    def stop(*_: object) -> None:
        raise _Stop

    previous = signal.signal(signal.SIGTERM, stop)
    coordinator = None
    try:
        client = connect(url)
        coordinator = Coordinator(
            client, run, prefix=prefix, lease_seconds=lease_seconds, on_progress=on_progress
        )
        coordinator.start()
        while not coordinator.done:
            coordinator.step()
        coordinator.close()
        run.finish("finished")
        return "finished"
    except (KeyboardInterrupt, _Stop):
        run.finish("interrupted", "stopped by a signal")
        _quietly(coordinator)
        return "interrupted"
    except (RedisUnavailable, redis.RedisError) as exc:
        message = (
            str(exc)
            if isinstance(exc, RedisUnavailable)
            else (f"Redis at {redact_url(url)} went away: {exc}")
        )
        run.finish("interrupted", message)
        raise RedisUnavailable(message) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _quietly(coordinator: Coordinator | None) -> None:
    import redis

    if coordinator is not None:
        with contextlib.suppress(redis.RedisError):
            coordinator.close()
