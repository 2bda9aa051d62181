"""The webhook against a local HTTP receiver on 127.0.0.1: what it posts, and that a failing
receiver only warns (``report --changes --webhook`` keeps the exit code ``--fail-on`` decided)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.report.webhook import WebhookError, check_url, post_json
from tests.unit.test_report import A, B, C, add_run, build


class Receiver(ThreadingHTTPServer):
    """Records every POST; answers ``status`` after ``delay`` seconds."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.posts: list[tuple[dict[str, str], bytes]] = []
        self.status = 204
        self.delay = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posts.append((dict(self.headers), body))
        time.sleep(self.server.delay)
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/hook"


def test_posts_utf8_json(receiver: Receiver) -> None:
    assert post_json(receiver.url, {"rows": [{"license_no": "京B2-20252223"}]}) == 204
    ((headers, body),) = receiver.posts
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["User-Agent"].startswith("icpwatch/")
    assert "京B2-20252223".encode() in body  # readable UTF-8, not \\u escapes
    assert json.loads(body) == {"rows": [{"license_no": "京B2-20252223"}]}


def test_error_status_raises(receiver: Receiver) -> None:
    receiver.status = 500
    with pytest.raises(WebhookError, match="answered HTTP 500"):
        post_json(receiver.url, {})


def test_refused_connection_raises() -> None:
    with pytest.raises(WebhookError, match="refused"):
        post_json(closed_port_url(), {})


def test_slow_receiver_times_out(receiver: Receiver) -> None:
    receiver.delay = 1.5
    started = time.monotonic()
    with pytest.raises(WebhookError, match="timed out"):
        post_json(receiver.url, {}, timeout=0.5)
    assert time.monotonic() - started < 1.4


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://hooks.example.org/x?token=1", True),
        ("http://127.0.0.1:8080/", True),
        ("ftp://example.org/x", False),
        ("http://", False),
        ("hooks.example.org/x", False),
    ],
)
def test_check_url(url: str, ok: bool) -> None:
    if ok:
        assert check_url(url) == url
    else:
        with pytest.raises(ValueError, match="not an http"):
            check_url(url)


# --- through the command ------------------------------------------------------------------


@pytest.fixture
def changed(db_path: Path) -> Path:
    """Run 2 turns A from compliant to missing: one newly non-compliant row."""
    db = build(db_path)
    add_run(db, "finished", {A: "compliant", B: "compliant", C: "compliant"})
    add_run(db, "finished", {A: "missing", B: "compliant", C: "compliant"})
    return db_path


def report(db: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(db), "report", *args])


def test_report_changes_posts_the_changes(changed: Path, receiver: Receiver) -> None:
    result = report(changed, "--changes", "--webhook", receiver.url)
    assert result.exit_code == 0, result.output
    ((_, body),) = receiver.posts
    posted = json.loads(body)
    assert posted["changes"] is True and posted["run"]["id"] == 2
    assert [(r["change"], r["host"]) for r in posted["rows"]] == [("newly_noncompliant", A)]
    assert (
        posted["rows"]
        == json.loads(report(changed, "--changes", "--format", "json").stdout)["rows"]
    )
    assert "webhook: posted 1 row(s), HTTP 204" in result.stderr


def test_nothing_to_post_posts_nothing(changed: Path, receiver: Receiver) -> None:
    result = report(changed, "--changes", "--verdict", "hidden", "--webhook", receiver.url)
    assert result.exit_code == 0
    assert receiver.posts == []


@pytest.mark.parametrize("fail_on", [[], ["--fail-on", "noncompliant"]])
@pytest.mark.parametrize("failure", ["status", "refused"])
def test_failing_webhook_only_warns(
    changed: Path, receiver: Receiver, failure: str, fail_on: list[str]
) -> None:
    receiver.status = 503
    url = receiver.url if failure == "status" else closed_port_url()
    result = report(changed, "--changes", "--webhook", url, *fail_on)
    assert "warning: webhook failed:" in result.stderr
    assert result.exit_code == (1 if fail_on else 0)
    assert "Newly non-compliant (1)" in result.stdout
