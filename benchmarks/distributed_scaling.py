"""Distributed scaling: pages/s of ``icpwatch crawl --redis`` with 1, 2 and 3 workers.

The example web (a separate process) answers every page after --delay-ms (200 ms by default),
so the work is latency-bound, as on the real web, and not CPU-bound: this machine has only a
few cores, shared by the workers, the coordinator, the example web and redis-server. Made-up
hosts (site00001.bench-icpwatch.cn …) serve the real corpus pages (../shared/corpus/pages).

For N = 1, 2, 3, with a fixed per-worker --concurrency: a fresh SQLite database listing --sites
hosts, N ``icpwatch worker``s started and waited for ("Spider opened" in their logs), then
``icpwatch crawl --redis`` (the coordinator) timed from start to exit; pages/s = sites / that
time. The database must hold one row per site. One redis-server serves every measurement, each
under its own key prefix. Target: 3 workers >= 2.5x the pages/s of one. The default 800 sites
keep one worker busy ~20 s: the coordinator's fixed second (start-up, the last batch, exit)
weighs on a shorter run (at 400 sites: 2.42-2.55x, crawl phase 2.85x) and vanishes in a real
night of thousands of domains.
Usage: .venv/bin/python benchmarks/distributed_scaling.py [--sites N] [--concurrency C]
       [--delay-ms MS] [--pages DIR] [--check]
Takes about 2 minutes; run it on an otherwise idle machine (it prints the load average).
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench_common import ROOT, bench_db, judged, load, start_web

PAGES = ROOT.parent / "shared" / "corpus" / "pages"
WORKERS = (1, 2, 3)
TARGET = 2.5  # 3 workers >= 2.5x one


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    cmd = [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder)]
    cmd += ["--save", "", "--appendonly", "no"]  # nothing on disk
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"redis://127.0.0.1:{port}/0"
        time.sleep(0.05)
    proc.kill()
    sys.exit("redis-server did not start")


def start_workers(
    n: int, redis_url: str, prefix: str, proxy: str, concurrency: int, logs: Path
) -> list[subprocess.Popen[bytes]]:
    """N workers, returned once each has logged "Spider opened" (at most 60 s)."""
    procs = []
    for i in range(n):
        cmd = [sys.executable, "-m", "crawler", "worker", "--redis", redis_url, "--prefix", prefix]
        cmd += ["--proxy", proxy, "--concurrency", str(concurrency), "--render", "never"]
        cmd += ["--ignore-robots", "--log-level", "INFO"]
        with (logs / f"{prefix}-worker{i}.log").open("w") as log:
            procs.append(subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 60
    for i, proc in enumerate(procs):
        log = logs / f"{prefix}-worker{i}.log"
        while "Spider opened" not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                stop(procs)
                sys.exit(f"worker {i} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
    return procs


def stop(procs: list[subprocess.Popen]) -> list[int | None]:
    """SIGTERM, then SIGKILL after 30 s; the exit codes."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return [proc.returncode for proc in procs]


def verdicts(db: Path, sites: int) -> str:
    with sqlite3.connect(db) as conn:
        rows, hosts = conn.execute("select count(*), count(distinct host) from checks").fetchone()
        counts = conn.execute(
            "select verdict, count(*) from checks group by verdict order by 2 desc, 1"
        ).fetchall()
    if rows != sites or hosts != sites:
        sys.exit(f"{db.name}: {rows} rows over {hosts} hosts for {sites} sites")
    return ", ".join(f"{v} {n}" for v, n in counts)


def coordinate(cmd: list[str], log: Path, redis_url: str, queue: str, sites: int) -> list[float]:
    """Run the coordinator to its exit, watching its queue every 20 ms; the seconds of its
    phases: start-up (until the targets are queued), pick-up (until a worker first pops),
    crawl (until the queue is empty) and tail (until the coordinator exits)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    # the queue's length at the marks: targets queued, a worker's first pop, queue empty
    reached = (lambda left: left > 0, lambda left: left < sites, lambda left: left == 0)
    marks: list[float] = []
    with log.open("w+") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        try:
            while proc.poll() is None:
                left, now = client.llen(queue), time.perf_counter() - t0
                if len(marks) < len(reached) and reached[len(marks)](left):
                    marks.append(now)
                time.sleep(0.02)
        finally:
            stop([proc])  # only if interrupted: it has exited by now otherwise
        end = time.perf_counter() - t0
        out.seek(0)
        if proc.returncode != 0:
            sys.exit(f"coordinator exited {proc.returncode}:\n{out.read()[-3000:]}")
    client.close()
    points = [0.0, *marks, *[end] * (3 - len(marks)), end]  # a phase too short to see: 0 s
    return [b - a for a, b in itertools.pairwise(points)]


def measure(
    n: int, args: argparse.Namespace, redis_url: str, proxy: str, work: Path
) -> list[float]:
    """The coordinator's phases with N workers; prints what each measurement stored."""
    from crawler.distributed import queue_key

    prefix = f"bench-{n}w"
    db = bench_db(work / f"{prefix}.db", args.sites)
    workers = start_workers(n, redis_url, prefix, proxy, args.concurrency, work)
    try:
        cmd = [sys.executable, "-m", "crawler", "--db", str(db), "crawl", "--redis", redis_url]
        log = work / f"{prefix}-crawl.log"
        phases = coordinate(
            [*cmd, "--prefix", prefix], log, redis_url, queue_key(prefix), args.sites
        )
    finally:
        codes = stop(workers)
    shares = [items_sent(work / f"{prefix}-worker{i}.log") for i in range(n)]
    print(
        f"{n} worker(s): {args.sites} rows ({verdicts(db, args.sites)}); "
        f"targets taken per worker {shares}; worker exit codes {codes}"
    )
    return phases


def items_sent(log: Path) -> int | None:
    """Items a worker sent back, from the stats Scrapy logs when it stops."""
    found = re.findall(r"'item_scraped_count': (\d+)", log.read_text(errors="replace"))
    return int(found[-1]) if found else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=Path, default=PAGES, help="pages served round-robin")
    ap.add_argument("--sites", type=int, default=800, help="sites per measurement")
    ap.add_argument("--concurrency", type=int, default=8, help="per worker, fixed")
    ap.add_argument("--delay-ms", type=float, default=200, help="example web latency per reply")
    ap.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = ap.parse_args(argv)
    n_pages = sum(p.is_file() for p in args.pages.iterdir()) if args.pages.is_dir() else 0
    if not n_pages:
        print(f"no pages in {args.pages}", file=sys.stderr)
        return 2

    phases: dict[int, list[float]] = {}
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="icpwatch-dist-")))
        redis_proc, redis_url = start_redis(work)
        stack.callback(stop, [redis_proc])
        web, proxy = start_web(args.pages, args.sites, args.delay_ms)
        stack.callback(stop, [web])
        print(f"{args.sites} sites over {n_pages} corpus pages, example web {proxy}")
        print(f"every reply delayed {args.delay_ms:g} ms: the work is latency-bound, not CPU-bound")
        print(f"per-worker concurrency {args.concurrency}, --render never, robots.txt ignored")
        cores = os.cpu_count()
        print(f"this machine has {cores} cores, shared by workers, coordinator, web and redis")
        print(f"load average before: {load()}")
        for n in WORKERS:
            phases[n] = measure(n, args, redis_url, proxy, work)
    print(f"load average after:  {load()} (other work on this machine skews every rate)")

    print("\nseconds: the coordinator from start to exit (interpreter start-up included), made of")
    print("start-up (until its targets are queued), pick-up (until a worker first pops),")
    print("crawl (until the queue is empty) and tail (the last batch, storing, exit)")
    head = f"{'workers':>7}{'sites':>7}{'seconds':>9}{'pages/s':>9}{'ratio':>7}"
    print(f"{head}{'start-up':>10}{'pick-up':>9}{'crawl':>7}{'tail':>6}")
    seconds = {n: sum(p) for n, p in phases.items()}
    base = args.sites / seconds[1]
    for n in WORKERS:
        rate = args.sites / seconds[n]
        cols = "".join(f"{x:>{w}.1f}" for x, w in zip(phases[n], (10, 9, 7, 6), strict=True))
        print(f"{n:>7}{args.sites:>7}{seconds[n]:>9.1f}{rate:>9.1f}{rate / base:>6.2f}x{cols}")
    steady = ", ".join(f"{n} workers {phases[1][2] / phases[n][2]:.2f}x" for n in WORKERS[1:])
    print(f"crawl phase alone (no start-up, pick-up, tail) vs 1 worker: {steady}")
    ratio = seconds[1] / seconds[3]
    text = f"3 workers / 1 worker = {ratio:.2f}x (target >= {TARGET}x)"
    return judged([(text, ratio >= TARGET)], args.check)


if __name__ == "__main__":
    sys.exit(main())
