"""Passwords in the Redis and proxy URLs stay off command lines (``ps``, ``/proc/PID/cmdline``),
the database and the logs: the URLs come from the environment or from a file only its owner
reads. Real ``icpwatch worker`` / ``icpwatch crawl`` processes against a ``redis-server`` with
``requirepass`` and the example web, all on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from crawler.cli.url_options import secret_url
from crawler.testing.example_web import ExampleWeb, bench_host
from tests.e2e.test_crawl_e2e import REPO, icpwatch, query
from tests.e2e.test_distributed import (  # noqa: F401 - fixture
    COMPLIANT,
    MISSING,
    PASSWORD,
    RedisServer,
    expected_verdict,
    redis_server,
    stop,
)
from tests.unit.test_licence_parser import doc

SITES = 6
PROXY_PASSWORD = "pr0xy-s3cret"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExampleWeb]:
    pages = tmp_path_factory.mktemp("pages")
    (pages / "a.html").write_text(COMPLIANT, encoding="utf-8")
    (pages / "b.html").write_text(MISSING, encoding="utf-8")
    with ExampleWeb(bench_pages=pages, bench_sites=SITES) as server:
        yield server


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "icpwatch.db"
    hosts = "、".join(bench_host(i) for i in range(1, SITES + 1))
    (tmp_path / "sites.txt").write_text(doc(sites=f"网站名称：基准\n网站域名：{hosts}"))
    assert icpwatch(path, "licenses", "load", str(tmp_path / "sites.txt")).returncode == 0
    return path


def proxy_with_password(web: ExampleWeb) -> str:
    """The example web's proxy URL with credentials (it ignores them; the crawl sends them)."""
    return web.proxy_url.replace("http://", f"http://icpwatch:{PROXY_PASSWORD}@")


def secret_file(path: Path, url: str, mode: int = 0o600) -> Path:
    path.write_text(f"  {url}\n")
    path.chmod(mode)
    return path


def command_lines(pid: int) -> list[str]:
    """The command line of ``pid`` and of every process below it, as ``ps`` shows them."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            found.append(Path(f"/proc/{current}/cmdline").read_bytes().replace(b"\0", b" "))
        except FileNotFoundError:
            continue  # gone meanwhile
        out = subprocess.run(["pgrep", "-P", str(current)], capture_output=True, text=True)
        todo += [int(p) for p in out.stdout.split()]
    return [line.decode(errors="replace") for line in found]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICPWATCH_")}
    return {**env, **extra}


def test_worker_and_coordinator_take_the_urls_from_environment_and_file(
    redis_server: RedisServer,  # noqa: F811
    web: ExampleWeb,
    db: Path,
    tmp_path: Path,
) -> None:
    """A worker with both URLs in its environment, a coordinator with the Redis URL in a file:
    the run finishes (both connected, the worker went through the proxy), and neither
    password is in a command line, the run's options, an output or a log."""
    log = tmp_path / "worker.log"
    worker_env = clean_env(ICPWATCH_REDIS=redis_server.url, ICPWATCH_PROXY=proxy_with_password(web))
    worker = subprocess.Popen(
        [sys.executable, "-m", "crawler", "worker", "--render", "never", "--ignore-robots"],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        cwd=REPO,
        env=worker_env,
    )
    url_file = secret_file(tmp_path / "redis.url", redis_server.url)
    coordinator = subprocess.Popen(
        [sys.executable, "-m", "crawler", "--db", str(db), "crawl", "--lease", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=clean_env(ICPWATCH_REDIS_FILE=str(url_file)),
    )
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while coordinator.poll() is None and time.monotonic() < deadline:
            seen += command_lines(worker.pid) + command_lines(coordinator.pid)
            time.sleep(0.2)
        out, err = coordinator.communicate(timeout=60)
        seen += command_lines(worker.pid)
    finally:
        if coordinator.poll() is None:
            coordinator.kill()
        stop([worker])
    assert coordinator.returncode == 0, err[-2000:]
    assert any(" worker " in line for line in seen) and any(" crawl " in line for line in seen)
    for line in seen:
        assert PASSWORD not in line and PROXY_PASSWORD not in line, line

    rows = query(db, "select host, verdict from checks")
    assert sorted(rows) == sorted(
        (bench_host(i), expected_verdict(bench_host(i))) for i in range(1, SITES + 1)
    )
    assert web.hits[(bench_host(1), "/")] >= 1  # through the proxy of ICPWATCH_PROXY
    (options,) = query(db, "select options from runs")[0]
    assert json.loads(options)["extra"]["redis"] == redis_server.url.replace(PASSWORD, "***")
    for text in (options, out, err, log.read_text()):
        assert PASSWORD not in text and PROXY_PASSWORD not in text


def test_crawl_takes_the_proxy_from_a_file(web: ExampleWeb, db: Path, tmp_path: Path) -> None:
    proxy_file = secret_file(tmp_path / "proxy.url", proxy_with_password(web))
    result = icpwatch(
        db,
        "crawl",
        "--proxy-file",
        str(proxy_file),
        "--render",
        "never",
        "--ignore-robots",
        env=clean_env(),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(query(db, "select id from checks")) == SITES
    (options,) = query(db, "select options from runs")[0]
    assert PROXY_PASSWORD not in options + result.stdout + result.stderr
    assert json.loads(options)["extra"]["proxy"] == proxy_with_password(web).replace(
        PROXY_PASSWORD, "***"
    )


@pytest.mark.parametrize("command", ["crawl", "worker"])
def test_a_file_others_may_read_is_refused(db: Path, tmp_path: Path, command: str) -> None:
    url = f"redis://:{PASSWORD}@127.0.0.1:1/0"
    loose = secret_file(tmp_path / "redis.url", url, mode=0o644)
    result = icpwatch(db, command, "--redis-file", str(loose), env=clean_env())
    assert result.returncode == 2
    assert "may be read by others (mode 0644)" in result.stderr
    assert PASSWORD not in result.stderr


@pytest.mark.parametrize("command", ["crawl", "worker"])
def test_url_and_file_together_is_a_usage_error(db: Path, tmp_path: Path, command: str) -> None:
    url_file = secret_file(tmp_path / "redis.url", "redis://127.0.0.1:1/0")
    env = clean_env(ICPWATCH_REDIS=f"redis://:{PASSWORD}@127.0.0.1:1/0")
    result = icpwatch(db, command, "--redis-file", str(url_file), env=env)
    assert result.returncode == 2 and "not both" in result.stderr
    assert PASSWORD not in result.stderr


def test_a_worker_needs_a_redis_url(db: Path) -> None:
    result = icpwatch(db, "worker", env=clean_env())
    assert result.returncode == 2 and "--redis-file" in result.stderr


@pytest.mark.parametrize(
    "content", ["", "\n", f"redis://:{PASSWORD}@a:1/0\nredis://b:1/0", b"\xff\xfe"]
)
def test_a_file_must_hold_one_url(tmp_path: Path, content: str | bytes) -> None:
    path = tmp_path / "url"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    path.chmod(0o600)
    with pytest.raises(click.BadParameter) as error:
        secret_url(None, str(path), "redis")
    assert "must hold one URL" in str(error.value) and PASSWORD not in str(error.value)


def test_file_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "redis://:pw@10.0.0.5:6379/2"
    assert secret_url(url, None, "redis") == url
    assert secret_url(None, None, "redis") is None
    assert secret_url(None, str(secret_file(tmp_path / "u", url)), "redis") == url  # stripped
    with pytest.raises(click.BadParameter, match="not a regular file"):
        secret_url(None, str(tmp_path), "redis")
    with pytest.raises(click.BadParameter, match="cannot read"):
        secret_url(None, str(tmp_path / "missing"), "redis")
    # systemd's LoadCredential= copies: guarded by systemd, whatever the group bits show
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    shared = secret_file(credentials / "redis-url", url, mode=0o440)
    with pytest.raises(click.BadParameter, match="may be read by others"):
        secret_url(None, str(shared), "redis")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    assert secret_url(None, str(shared), "redis") == url


UNITS = REPO / "examples" / "systemd"


def test_examples_put_no_url_on_a_command_line() -> None:
    """The example units and crontab pass the URLs by file or environment, never as arguments
    (a ``--redis ${ICPWATCH_REDIS}`` would put the password back into ``ps``)."""
    commands = [
        line
        for unit in UNITS.glob("*.service")
        for line in unit.read_text().splitlines()
        if line.startswith("ExecStart=")
    ]
    commands += [
        line
        for line in (REPO / "examples" / "cron" / "icpwatch.crontab").read_text().splitlines()
        if not line.startswith("#") and "icpwatch " in line
    ]
    assert len(commands) >= 4
    for line in commands:
        assert "--redis" not in line and "--proxy" not in line and "${" not in line, line
    worker = (UNITS / "icpwatch-worker.service").read_text()
    assert "Environment=ICPWATCH_REDIS_FILE=%d/redis-url" in worker.splitlines()


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze here")
def test_the_worker_unit_verifies(tmp_path: Path) -> None:
    unit = tmp_path / "icpwatch-worker.service"
    text = (UNITS / unit.name).read_text()
    unit.write_text(text.replace("/opt/icpwatch/.venv/bin", str(Path(sys.executable).parent)))
    result = subprocess.run(
        ["systemd-analyze", "verify", unit.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
