"""A crawl watched on a terminal: the bar and the summary on screen, Scrapy's log in a rotated
file next to the database; ``--log-file`` does the same anywhere (``make demo`` uses it)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.testing.example_web import ExampleWeb
from tests.conftest import REPO
from tests.e2e.test_crawl_e2e import icpwatch

HOSTS = ("compliant.icpwatch-demo.cn", "missing.icpwatch-demo.cn", "huge.icpwatch-demo.cn")


@pytest.fixture(scope="module")
def web():
    with ExampleWeb() as server:
        yield server


@pytest.fixture
def db(tmp_path: Path) -> Path:
    db = tmp_path / "icpwatch.db"
    assert icpwatch(db, "licenses", "load", str(REPO / "examples" / "licenses")).returncode == 0
    return db


def _crawl_args(web: ExampleWeb) -> list[str]:
    domains = [arg for host in HOSTS for arg in ("--domain", host)]
    return ["crawl", "--proxy", web.proxy_url, "--timeout", "3", "--render", "never", *domains]


def _on_a_terminal(db: Path, args: list[str]) -> tuple[int, str]:
    """Run icpwatch with stderr on a pseudo-terminal (stdout piped); what the terminal showed."""
    main, side = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler", "--db", str(db), *args],
        stdout=subprocess.PIPE,
        stderr=side,
        cwd=REPO,
        env=dict(os.environ, COLUMNS="80"),
    )
    os.close(side)
    screen = b""
    while True:
        ready, _, _ = select.select([main], [], [], 120)
        if not ready:
            proc.kill()
            pytest.fail("the crawl did not end")
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed: the process is done with it
            break
        if not chunk:
            break
        screen += chunk
    out = proc.stdout.read().decode()
    os.close(main)
    return proc.wait(), screen.decode(errors="replace") + out


def test_on_a_terminal_the_log_goes_to_a_rotated_file(web, db: Path) -> None:
    code, shown = _on_a_terminal(db, _crawl_args(web))
    assert code == 0, shown
    log = db.parent / "icpwatch-crawl.log"
    assert "[scrapy" not in shown and "Overridden settings" not in shown
    assert "run 1 finished: 3/3 domain(s) checked" in shown
    assert f"1 warning(s) or error(s) logged to {log}" in shown  # huge: over the size cap
    assert "Overridden settings" in log.read_text()
    first = log.read_text()

    code, _ = _on_a_terminal(db, _crawl_args(web))
    assert code == 0
    assert (db.parent / "icpwatch-crawl.log.1").read_text() == first
    assert log.read_text() != first


def test_log_file_option_off_a_terminal(web, db: Path, tmp_path: Path) -> None:
    log = tmp_path / "logs" / "crawl.log"
    log.parent.mkdir()
    result = icpwatch(db, *_crawl_args(web), "--log-file", str(log))
    assert result.returncode == 0, result.stderr
    assert "[scrapy" not in result.stderr
    assert "Overridden settings" in log.read_text()
    assert "run 1 finished" in result.stdout
