"""Rendering in a real headless Chromium: ``icpwatch crawl --render …`` through the example web.

Needs Debian's ``chromium`` (``.ci/run`` installs it with ``fonts-noto-cjk``).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from crawler.render.rendering import DEFAULT_CHROMIUM
from crawler.testing.example_web import SITES, ExampleWeb
from tests.e2e.test_crawl_e2e import REPO, icpwatch, query

pytestmark = pytest.mark.chromium

if not Path(DEFAULT_CHROMIUM).exists() and not os.environ.get("CI"):
    pytest.skip(
        f"{DEFAULT_CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True
    )

RENDER_SITES = sorted(
    [h for h, s in SITES.items() if s.rendered or s.render_error]
    + ["spa.icpwatch-demo.cn", "compliant.icpwatch-demo.cn"]
)
TIMEOUT = "4"


def png_facts(data: bytes) -> tuple[int, int, int]:
    """(width, height, distinct byte values of the pixel data): enough to tell a blank PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


@pytest.fixture(scope="module")
def web():
    with ExampleWeb() as server:
        yield server


#: What the default policy leaves to --render always: a page that shows its number with no style
#: that could hide it, and a complete static footer no script writes (its hanging script is
#: not the footer's; --render always shows the render error kept with the static verdict).
NOT_RENDERED_BY_AUTO = {"compliant.icpwatch-demo.cn", "never-loads.icpwatch-demo.cn"}


@pytest.fixture(scope="module", params=["auto", "always"])
def mode(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def rendered(web, tmp_path_factory, mode: str) -> Path:
    """Every rendering case crawled with screenshots, in the default mode and in always."""
    db = tmp_path_factory.mktemp(f"render-{mode}") / "icpwatch.db"
    assert icpwatch(db, "licenses", "load", str(REPO / "examples" / "licenses")).returncode == 0
    domains = [arg for host in RENDER_SITES for arg in ("--domain", host)]
    result = icpwatch(
        db, "crawl", "--proxy", web.proxy_url, "--timeout", TIMEOUT, "--render", mode, *domains
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return db


@pytest.mark.parametrize("host", RENDER_SITES)
def test_rendered_verdicts(rendered: Path, mode: str, host: str) -> None:
    site = SITES[host]
    ((verdict, static, flag, error),) = query(
        rendered,
        "select verdict, static_verdict, rendered, render_error from checks where host = ?",
        host,
    )
    assert static == site.verdict
    if mode == "auto" and host in NOT_RENDERED_BY_AUTO:
        assert (verdict, flag, error) == (site.verdict, 0, None)
    elif site.render_error:  # the static result is kept, the render error recorded
        assert (verdict, flag) == (site.verdict, 0)
        assert error and "Timeout" in error
    else:
        expected = site.rendered or (
            "compliant" if site.verdict == "needs_render" else site.verdict
        )
        assert (verdict, flag, error) == (expected, 1, None)


def test_rendered_rows_carry_the_rules_as_the_crawl_runs_them(rendered: Path) -> None:
    """The rules on the rendered page see the licence's switches (BIZ001 off by default)."""
    rows = query(rendered, "select host, rules from checks where rendered")
    assert rows
    for host, rules in rows:
        by_code = {r["code"]: r for r in json.loads(rules)}
        assert by_code["LIC001"]["status"] in ("pass", "fail"), host
        assert by_code["BIZ001"]["status"] == "not_applicable", host


def test_screenshots_are_real_pngs_of_the_number(rendered: Path, mode: str) -> None:
    rows = query(
        rendered,
        "select host, verdict, screenshot_path, screenshot_size, "
        "screenshot_sha256, evidence from checks where rendered",
    )
    left = NOT_RENDERED_BY_AUTO if mode == "auto" else {"never-loads.icpwatch-demo.cn"}
    assert len(rows) == len(RENDER_SITES) - len(left)
    for host, verdict, path, size, sha, evidence in rows:
        data = Path(path).read_bytes()
        assert len(data) == size and len(sha) == 64
        assert Path(path).parent.name == "run-1" and Path(path).name == f"{host}.png"
        width, height, colours = png_facts(data)
        assert colours > 2, f"{host}: blank screenshot"
        box = json.loads(evidence)["screenshot_box"]
        assert (round(box[2]), round(box[3])) == (width, height)
        if verdict == "compliant":  # a tight shot of the number's element, not the page
            assert height < 200, host


def test_auto_renders_only_what_needs_it(web, tmp_path: Path) -> None:
    db = tmp_path / "auto.db"
    assert icpwatch(db, "licenses", "load", str(REPO / "examples" / "licenses")).returncode == 0
    domains = [arg for host in RENDER_SITES for arg in ("--domain", host)]
    result = icpwatch(
        db, "crawl", "--proxy", web.proxy_url, "--timeout", TIMEOUT, "--no-screenshots", *domains
    )
    assert result.returncode == 0, result.stderr[-3000:]
    got = dict(query(db, "select host, rendered from checks"))
    # scripted footers and styles that may hide a shown number are rendered; a plain compliant
    # page is not
    assert got == {
        h: int(h not in NOT_RENDERED_BY_AUTO and not SITES[h].render_error) for h in RENDER_SITES
    }
    assert query(db, "select count(*) from checks where screenshot_path is not null") == [(0,)]
    assert query(db, "select verdict from checks where host = 'spa.icpwatch-demo.cn'") == [
        ("compliant",)
    ]
    reasons = dict(query(db, "select host, render_reason from checks"))
    assert reasons["late-footer.icpwatch-demo.cn"].startswith("missing: a script writes into")
    assert reasons["spa.icpwatch-demo.cn"].startswith("needs_render")
    assert reasons["never-loads.icpwatch-demo.cn"].startswith("missing: the static footer")
    assert reasons["compliant.icpwatch-demo.cn"].startswith("compliant: a browser adds no")
    assert reasons["css-hidden.icpwatch-demo.cn"] == (
        "compliant: http://css-hidden.icpwatch-demo.cn/static/site.css may hide the footer "
        "(footer.footer {display: none})"
    )
    assert reasons["white-text.icpwatch-demo.cn"] == (
        "compliant: an inline style near the number (color:#fff) may hide it"
    )
    assert reasons["tiny-text.icpwatch-demo.cn"] == (
        "compliant: an inline style near the number (font-size:4px) may hide it"
    )


def test_a_missing_browser_keeps_the_static_verdict(web, tmp_path: Path) -> None:
    db = tmp_path / "nobrowser.db"
    assert icpwatch(db, "licenses", "load", str(REPO / "examples" / "licenses")).returncode == 0
    env = {**os.environ, "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "none")}
    result = icpwatch(
        db,
        "crawl",
        "--proxy",
        web.proxy_url,
        "--timeout",
        TIMEOUT,
        "--chromium",
        str(tmp_path / "no-chromium"),
        "--domain",
        "spa.icpwatch-demo.cn",
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ((verdict, rendered, error),) = query(db, "select verdict, rendered, render_error from checks")
    assert (verdict, rendered) == ("needs_render", 0)
    assert error


def test_chromium_is_on_path_or_default() -> None:
    assert shutil.which("chromium") or Path(DEFAULT_CHROMIUM).exists()
