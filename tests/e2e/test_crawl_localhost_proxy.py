"""A crawl's proxy named ``localhost`` keeps working: the crawl's DNS resolver
(crawler/fetch/guarded_resolver.py) refuses loopback answers, but the proxy's host is
configuration. The hostile proxy of tests/cli/test_download_guard.py, asked for by name.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.cli.test_download_guard import HOSTILE, crawl, hostile_proxy, query

__all__ = ["hostile_proxy"]  # the fixture, shared


@pytest.mark.skipif(sys.platform != "linux", reason="the crawl subprocess is tested on Linux")
def test_a_proxy_named_localhost_is_not_refused(hostile_proxy: str, tmp_path: Path) -> None:
    db = tmp_path / "icpwatch.db"
    crawl(db, hostile_proxy.replace("127.0.0.1", "localhost"))
    rows = {host: verdict for host, verdict in query(db, "select host, verdict from checks")}
    assert rows == {host: verdict for host, (verdict, _) in HOSTILE.items()}
