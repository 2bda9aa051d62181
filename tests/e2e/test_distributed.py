"""Many workers, one database, with a real ``redis-server`` on 127.0.0.1 (``.ci/run`` installs it).

A coordinator (``icpwatch crawl --redis``) and worker processes (``icpwatch worker``) crawl the
example web's benchmark sites; every domain must get exactly one row with its right verdict,
also when a worker is SIGKILLed halfway.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.testing.example_web import ExampleWeb, bench_host
from tests.e2e.test_crawl_e2e import REPO, icpwatch, query, spawn
from tests.unit.test_licence_parser import doc

pytestmark = pytest.mark.redis

REDIS = shutil.which("redis-server")
if REDIS is None and not os.environ.get("CI"):
    pytest.skip(
        "redis-server is not installed (apt-get install redis-server)", allow_module_level=True
    )

SITES = 600
PASSWORD = "s3cret-pw"
COMPLIANT = "<html><body><p>新闻</p><footer>京B2-20252223</footer></body></html>"
MISSING = "<html><body><p>新闻</p><footer>京ICP备20252223号-1</footer></body></html>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, folder: Path) -> None:
        self.folder, self.port, self.proc = folder, free_port(), None

    @property
    def url(self) -> str:
        return f"redis://:{PASSWORD}@127.0.0.1:{self.port}/2"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [
                REDIS,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--save",
                "",
                "--appendonly",
                "no",
                "--requirepass",
                PASSWORD,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def web(tmp_path_factory) -> Iterator[ExampleWeb]:
    pages = tmp_path_factory.mktemp("pages")
    (pages / "a.html").write_text(COMPLIANT, encoding="utf-8")  # odd sites
    (pages / "b.html").write_text(MISSING, encoding="utf-8")  # even sites
    with ExampleWeb(bench_pages=pages, bench_sites=SITES, delay_ms=50) as server:
        yield server


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "icpwatch.db"
    hosts = "、".join(bench_host(i) for i in range(1, SITES + 1))
    (tmp_path / "bench.txt").write_text(doc(sites=f"网站名称：基准\n网站域名：{hosts}"))
    assert icpwatch(path, "licenses", "load", str(tmp_path / "bench.txt")).returncode == 0
    return path


def start_workers(n: int, redis_url: str, web: ExampleWeb, tmp_path: Path) -> list:
    logs = [tmp_path / f"worker{i}.log" for i in range(n)]
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "crawler",
                "worker",
                "--redis",
                redis_url,
                "--proxy",
                web.proxy_url,
                "--concurrency",
                "16",
                "--render",
                "never",
                "--ignore-robots",
                "--timeout",
                "5",
            ],
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        for log in logs
    ]


def stop(procs: list) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def expected_verdict(host: str) -> str:
    return "compliant" if int(host[4:9]) % 2 else "missing"


def assert_complete(db: Path) -> None:
    rows = query(db, "select host, verdict from checks")
    assert len(rows) == SITES == len({h for h, _ in rows}), "one row per domain, none twice"
    wrong = [(h, v) for h, v in rows if v != expected_verdict(h)]
    assert not wrong, wrong[:5]


def test_three_workers_check_every_domain_once(redis_server, web, db, tmp_path) -> None:
    workers = start_workers(3, redis_server.url, web, tmp_path)
    try:
        result = icpwatch(db, "crawl", "--redis", redis_server.url, "--lease", "60")
    finally:
        stop(workers)
    assert result.returncode == 0, result.stderr[-2000:]
    assert query(db, "select status, targets from runs") == [("finished", SITES)]
    assert_complete(db)
    # every worker did a share, and SIGTERM stopped them cleanly
    shares = [Path(tmp_path / f"worker{i}.log").read_text() for i in range(3)]
    assert all(w.returncode == 0 for w in workers), shares[0][-2000:]
    # the password is nowhere: not in the run's options, the output or the workers' logs
    (options,) = query(db, "select options from runs")[0]
    assert PASSWORD not in options and json.loads(options)["extra"]["redis"].count("***") == 1
    for text in [result.stdout, result.stderr, *shares]:
        assert PASSWORD not in text


def test_a_killed_worker_loses_nothing(redis_server, web, db, tmp_path) -> None:
    workers = start_workers(3, redis_server.url, web, tmp_path)
    coordinator = spawn(db, "crawl", "--redis", redis_server.url, "--lease", "5")
    try:
        deadline = time.monotonic() + 60
        while query(db, "select count(*) from checks")[0][0] < SITES // 3:
            assert time.monotonic() < deadline and coordinator.poll() is None
            time.sleep(0.1)
        workers[0].kill()  # SIGKILL: its in-flight targets are lost until their lease expires
        _, err = coordinator.communicate(timeout=120)
    finally:
        stop(workers[1:])
    assert coordinator.returncode == 0, err[-2000:]
    assert query(db, "select status from runs") == [("finished",)]
    assert_complete(db)


def test_wrong_redis_url_is_a_clear_error_and_an_interrupted_run(db) -> None:
    result = icpwatch(db, "crawl", "--redis", f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0")
    assert result.returncode == 1
    assert "cannot use Redis" in result.stderr and PASSWORD not in result.stderr
    assert query(db, "select status from runs") == [("interrupted",)]


def test_redis_going_away_interrupts_then_the_next_crawl_resumes(
    redis_server, web, db, tmp_path
) -> None:
    coordinator = spawn(db, "crawl", "--redis", redis_server.url)  # no worker: it waits
    time.sleep(3)
    redis_server.stop()
    _, err = coordinator.communicate(timeout=60)
    assert coordinator.returncode == 1
    assert "went away" in err and PASSWORD not in err
    assert query(db, "select status from runs") == [("interrupted",)]

    redis_server.start()
    workers = start_workers(2, redis_server.url, web, tmp_path)
    try:
        result = icpwatch(db, "crawl", "--redis", redis_server.url, "--lease", "60")
    finally:
        stop(workers)
    assert result.returncode == 0, result.stderr[-2000:]
    assert query(db, "select id, status, resumed_from from runs order by id") == [
        (1, "interrupted", None),
        (2, "finished", 1),
    ]
    assert_complete(db)


def test_a_second_coordinator_exits_3(redis_server, db) -> None:
    first = spawn(db, "crawl", "--redis", redis_server.url)
    try:
        time.sleep(2)
        second = icpwatch(db, "crawl", "--redis", redis_server.url)
        assert second.returncode == 3 and "another crawl" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)
    assert query(db, "select status from runs") == [("interrupted",)]


def test_the_coordinator_judges_offsite_redirects(redis_server, db) -> None:
    """Queued targets leave the licence's 600 hosts behind; the coordinator, which has them,
    decides whether a worker's final URL left the licence's websites."""
    import redis

    from crawler.check.outcome import Outcome
    from crawler.distributed import Coordinator, decode_target, items_key, queue_key
    from crawler.items import check_item
    from crawler.store.runs import CrawlOptions, CrawlRun

    run = CrawlRun.open(db, CrawlOptions())
    client = redis.Redis.from_url(redis_server.url)
    coordinator = Coordinator(client, run, lease_seconds=60)
    try:
        coordinator.start()
        messages = client.lrange(queue_key(coordinator.prefix), 0, 2)
        assert all(len(m) < 400 and bench_host(600).encode() not in m for m in messages)
        redirects = {  # where each of the first three sites ended up
            bench_host(1): f"https://www.{bench_host(2)}/",  # another host of the licence
            bench_host(2): "https://elsewhere.example.com/",  # not the licence's
            bench_host(3): None,  # no page at all
        }
        for message in messages:
            token, target = decode_target(message)
            final = redirects[target.host]
            outcome = Outcome("missing", final_url=final, offsite_redirect=final is not None)
            row = check_item(target, outcome, [], 1).row()
            client.rpush(items_key(coordinator.prefix, token), json.dumps(row))
        coordinator.step(wait=5)
    finally:
        coordinator.close()
        run.finish("interrupted")
        client.close()
    assert query(db, "select host, offsite_redirect from checks order by host") == [
        (bench_host(1), 0),
        (bench_host(2), 1),
        (bench_host(3), 0),
    ]
