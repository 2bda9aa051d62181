"""The example web must behave like the internet it stands in for, so each test talks to it the
way the crawler does (through the proxy), with the stdlib only: no Scrapy, no network."""

from __future__ import annotations

import http.client
import re
import socket
import subprocess
import sys
import time
import urllib.request
import zlib
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from crawler.licences.numbers import find_numbers, is_near_miss, normalise
from crawler.testing.example_web import (
    BENCH_SCENARIOS,
    GZIP_BOMB_MIB,
    HUGE_MIB,
    JING,
    REDIRECT_CHAIN,
    SITES,
    VERDICTS,
    ExampleWeb,
    Reply,
    bench_host,
)
from tests.conftest import REPO

LICENCES = REPO / "examples" / "licenses"
D = "icpwatch-demo.cn"


@pytest.fixture(scope="module")
def web():
    with ExampleWeb(drip_seconds=0.6) as w:
        yield w


def fetch(web: ExampleWeb, url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """One request through the proxy, redirects not followed."""
    conn = http.client.HTTPConnection(web.host, web.port, timeout=5)
    try:
        conn.request(method, url)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def numbers_in(html: str) -> list[str]:
    text = normalise(re.sub(r"<[^>]*>", "", html))
    return [m.number.canonical for m in find_numbers(text)]


def test_urllib_through_the_proxy_sees_the_number_split_across_spans(web):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": web.proxy_url}))
    with opener.open(f"http://compliant.{D}/", timeout=5) as resp:
        html = resp.read().decode("utf-8")
    footer = html[html.index("<footer") :]
    assert f"<span>{JING[:4]}</span>" in footer  # really split, not one text node
    assert numbers_in(footer) == [JING]
    assert "20990001-1" in re.sub(r"<[^>]*>", "", footer)


@pytest.mark.parametrize(
    ("host", "codec", "marker"),
    [
        (f"gbk.{D}", "gbk", "增值电信业务经营许可证"),
        (f"gb18030.{D}", "gb18030", "刘䶮、王𬭎"),
        (f"big5.{D}", "big5", "增值電信業務經營許可證"),
        (f"mislabelled.{D}", "gbk", "增值电信业务经营许可证"),
    ],
)
def test_legacy_charset_pages_decode_only_with_their_meta_charset(web, host, codec, marker):
    status, headers, body = fetch(web, f"http://{host}/")
    assert status == 200
    assert f'<meta charset="{codec}">'.encode() in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    html = body.decode(codec)
    assert marker in html
    assert JING in numbers_in(html)
    assert ("charset=utf-8" in headers["content-type"]) == host.startswith("mislabelled")


def test_gb18030_page_needs_more_than_gbk(web):
    _, _, body = fetch(web, f"http://gb18030.{D}/")
    with pytest.raises(UnicodeDecodeError):
        body.decode("gbk")


def test_origin_form_keeps_the_connection_alive_and_head_has_no_body(web):
    conn = http.client.HTTPConnection(web.host, web.port, timeout=5)
    headers = {"Host": f"compliant.{D}"}
    conn.request("GET", "/", headers=headers)
    sock = conn.sock
    resp = conn.getresponse()
    body = resp.read()
    conn.request("HEAD", "/", headers=headers)
    head = conn.getresponse()
    assert head.read() == b""
    assert conn.sock is sock, "the proxy closed a keep-alive connection"
    assert int(head.getheader("Content-Length")) == len(body) > 0
    conn.close()


def test_connect_is_refused_so_https_fails(web):
    conn = http.client.HTTPConnection(web.host, web.port, timeout=5)
    conn.set_tunnel(f"compliant.{D}", 443)
    with pytest.raises(OSError, match="403"):
        conn.request("GET", "/")
    conn.close()


@pytest.mark.parametrize(
    ("host", "error"),
    [
        ("no-such-site.example-nowhere.cn", "unknown-host"),
        (f"gone.{D}", "unknown-host"),
        ("icpwatch-www.cn", "unknown-host"),
        (f"refused.{D}", "connection-refused"),
    ],
)
def test_host_failures_are_502_with_the_reason(web, host, error):
    status, headers, _ = fetch(web, f"http://{host}/")
    assert (status, headers["x-example-web-error"]) == (502, error)


def test_www_fallback_host_serves_the_page(web):
    status, _, body = fetch(web, "http://www.icpwatch-www.cn/")
    assert status == 200 and JING in numbers_in(body.decode())


def test_reset_drops_the_connection_without_an_answer(web):
    with socket.create_connection((web.host, web.port), timeout=5) as sock:
        sock.sendall(f"GET http://reset.{D}/ HTTP/1.1\r\nHost: reset.{D}\r\n\r\n".encode())
        with pytest.raises(ConnectionResetError):
            sock.recv(1024)


def test_stall_never_answers(web):
    with socket.create_connection((web.host, web.port), timeout=0.3) as sock:
        sock.sendall(f"GET http://stall.{D}/ HTTP/1.1\r\nHost: stall.{D}\r\n\r\n".encode())
        with pytest.raises(TimeoutError):
            sock.recv(1024)


def test_drip_sends_headers_at_once_and_the_body_over_drip_seconds(web):
    conn = http.client.HTTPConnection(web.host, web.port, timeout=5)
    start = time.monotonic()
    conn.request("GET", f"http://drip.{D}/")
    resp = conn.getresponse()
    headers_after = time.monotonic() - start
    body = resp.read()
    assert headers_after < 0.3
    assert time.monotonic() - start >= 0.5
    assert numbers_in(body.decode()) == [JING]
    conn.close()


def test_redirect_scenarios(web):
    status, headers, _ = fetch(web, f"http://redirect.{D}/")
    assert (status, headers["location"]) == (301, f"http://redirect.{D}/home")
    assert fetch(web, headers["location"])[0] == 200

    status, headers, _ = fetch(web, f"http://offsite.{D}/")
    assert (status, headers["location"]) == (302, SITES[f"offsite.{D}"].final_url)
    assert JING in numbers_in(fetch(web, headers["location"])[2].decode())

    _, headers, _ = fetch(web, f"http://loop.{D}/")
    assert fetch(web, headers["location"])[1]["location"] == f"http://loop.{D}/"

    url, hops = f"http://redirect-chain.{D}/", 0
    while (reply := fetch(web, url))[0] == 302:
        url, hops = f"http://redirect-chain.{D}{reply[1]['location']}", hops + 1
    assert (reply[0], hops) == (200, REDIRECT_CHAIN)

    _, _, body = fetch(web, f"http://meta-refresh.{D}/")
    assert b'<meta http-equiv="refresh" content="0;url=/real">' in body
    assert fetch(web, f"http://meta-refresh.{D}/real")[0] == 200


def test_flaky_site_fails_once_then_serves(web):
    assert fetch(web, f"http://flaky.{D}/")[0] == 503
    assert fetch(web, f"http://flaky.{D}/")[0] == 200
    assert web.hits[f"flaky.{D}", "/"] == 2


def test_gzip_bomb_is_small_on_the_wire_and_expands_fully(web):
    status, headers, body = fetch(web, f"http://gzip-bomb.{D}/")
    assert (status, headers["content-encoding"]) == (200, "gzip")
    assert len(body) < 600_000
    inflate, size, pending = zlib.decompressobj(31), 0, body
    while pending:
        size += len(inflate.decompress(pending, 1 << 24))
        pending = inflate.unconsumed_tail
    assert inflate.eof  # the gzip trailer (CRC, length) checked out
    assert size == GZIP_BOMB_MIB << 20


def test_huge_page_announces_its_size(web):
    status, headers, body = fetch(web, f"http://huge.{D}/", method="HEAD")
    assert (status, body) == (200, b"")
    assert int(headers["content-length"]) >= HUGE_MIB << 20


def test_pages_without_a_verdict_look_the_part(web):
    status, headers, body = fetch(web, f"http://image-only.{D}/")
    assert (headers["content-type"], body[:8]) == ("image/png", b"\x89PNG\r\n\x1a\n")
    status, headers, body = fetch(web, f"http://empty.{D}/")
    assert (status, headers["content-length"], body) == (200, "0", b"")
    assert fetch(web, f"http://not-found.{D}/")[0] == 404
    assert fetch(web, f"http://server-error.{D}/")[0] == 500
    status, _, body = fetch(web, f"http://waf.{D}/")
    assert status == 200
    assert all(m in body.decode() for m in ("安全验证", "滑动验证", "acw_sc__v2"))
    status, headers, body = fetch(web, f"http://waf-403.{D}/")
    assert (status, headers["cf-mitigated"]) == (403, "challenge")
    assert b"__cf_chl" in body


def test_robots(web):
    assert fetch(web, f"http://robots.{D}/robots.txt")[2] == b"User-agent: *\nDisallow: /\n"
    assert fetch(web, f"http://compliant.{D}/robots.txt")[2] == b"User-agent: *\nDisallow:\n"


def test_app_shell_shows_nothing_until_its_scripts_run(web):
    _, _, shell = fetch(web, f"http://spa.{D}/")
    assert b'<div id="app"></div>' in shell and numbers_in(shell.decode()) == []
    for src in re.findall(rb'<script src="([^"]+)"', shell):
        status, headers, js = fetch(web, f"http://spa.{D}{src.decode()}")
        assert (status, headers["content-type"]) == (200, "application/javascript; charset=utf-8")
    assert b'"2099" + "0001"' in js  # app.js assembles the number at run time


def test_site_table_agrees_with_the_licence_documents():
    listed: dict[str, str] = {}
    for doc in LICENCES.glob("demo-*.txt"):
        text = doc.read_text(encoding="utf-8")
        number = re.search(r"经营许可证编号：\**(\S+?)\**$", text, re.M)[1]
        hosts = re.findall(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com\.cn|cn)\b", text)
        listed |= dict.fromkeys(hosts, number)
    assert listed == {s.host: s.licence for s in SITES.values() if s.licence}
    offsite_target = urlsplit(SITES[f"offsite.{D}"].final_url).hostname
    assert offsite_target in SITES and offsite_target not in listed
    for site in SITES.values():
        assert site.verdict in VERDICTS
        page_judged = site.verdict not in ("unreachable", "http_error", "blocked", "not_html")
        assert page_judged == (site.outcome in ("ok", "offsite_redirect")), site.host


def test_wrong_number_pages_are_a_near_miss_and_someone_elses(web):
    near = numbers_in(fetch(web, f"http://near-miss.{D}/")[2].decode())
    other = numbers_in(fetch(web, f"http://other-number.{D}/")[2].decode())
    assert is_near_miss(near[0], JING) and not is_near_miss(other[0], JING)


def test_bench_mode_serves_pages_round_robin_without_serialising_delays(tmp_path):
    pages = [f"<html><body>page {i} {'x' * 1000 * i}</body></html>".encode() for i in (1, 2, 3)]
    for i, page in enumerate(pages):
        (tmp_path / f"{i}.html").write_bytes(page)
    with ExampleWeb(bench_pages=tmp_path, bench_sites=4, delay_ms=300) as bench:
        start = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(lambda i: fetch(bench, f"http://{bench_host(i)}/"), range(1, 5)))
        elapsed = time.monotonic() - start
        assert [body for _, _, body in got] == [*pages, pages[0]]
        assert 0.3 <= elapsed < 0.9  # four 300 ms delays served side by side
        assert fetch(bench, f"http://{bench_host(5)}/")[0] == 502


def test_bench_demo_mode_plays_the_demo_sites_with_a_page_round_robin(web):
    playing = {s.scenario: s.host for s in reversed(SITES.values())}  # first site per scenario

    def page(server: ExampleWeb, host: str, path: str = "/") -> tuple[int, bytes]:
        status, _, body = fetch(server, f"http://{host}{path}")
        return status, body

    n = len(BENCH_SCENARIOS)
    with ExampleWeb(bench_demo=True, bench_sites=n + 1) as bench:
        for i, scenario in enumerate(BENCH_SCENARIOS, 1):
            assert page(bench, bench_host(i)) == page(web, playing[scenario]), scenario
        spa = bench_host(BENCH_SCENARIOS.index("needs_render") + 1)
        assert page(bench, spa, "/static/js/app.js")[0] == 200  # the app shell's own bundle
        assert page(bench, bench_host(n + 1)) == page(bench, bench_host(1))
        assert page(bench, bench_host(n + 2))[0] == 502
    assert "never_loads" not in BENCH_SCENARIOS and "redirect_loop" not in BENCH_SCENARIOS


def test_routes_hook_answers_first_and_stream_replies_write_raw_bytes():
    async def raw(writer):
        writer.write(b"HTTP/1.1 299 Odd\r\nX-Raw: 1\r\nConnection: close\r\n\r\nraw body")
        await writer.drain()

    def routes(host: str, path: str) -> Reply | None:
        if host == "extra.example-test.cn":
            return Reply(stream=raw) if path == "/raw" else Reply(200, (b"extra",), "text/plain")
        return None  # everything else: the example web's own sites

    with ExampleWeb(routes=routes) as web:
        assert fetch(web, "http://extra.example-test.cn/")[::2] == (200, b"extra")
        status, headers, body = fetch(web, "http://extra.example-test.cn/raw")
        assert (status, headers["x-raw"], body) == (299, "1", b"raw body")
        assert fetch(web, f"http://compliant.{D}/")[0] == 200
        assert web.hits["extra.example-test.cn", "/raw"] == 1


def test_command_line_prints_its_address_and_stops_on_sigterm():
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.testing.example_web", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        match = re.fullmatch(r"listening on http://127\.0\.0\.1:(\d+)\n", line)
        assert match, line
        conn = http.client.HTTPConnection("127.0.0.1", int(match[1]), timeout=5)
        conn.request("GET", f"http://compliant.{D}/")
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        proc.terminate()
    assert proc.wait(timeout=5) == 0
