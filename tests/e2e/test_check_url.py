"""``icpwatch check URL``: one live page through the crawl's own path, against the example web."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.testing.example_web import JING, ExampleWeb, Reply
from tests.conftest import REPO

D = "icpwatch-demo.cn"
#: What 127.0.0.1 answers when fetched directly (no proxy): a compliant page.
LOCAL_PAGE = f"<html><body><footer>北京示例网络科技有限公司 {JING}</footer></body></html>"
#: The Finding keys of ``check-html --json`` (docs/finding-json.md).
FINDING_KEYS = {
    "verdict", "near_miss", "expected", "displayed", "hidden", "filings", "police_filings",
    "miit_link", "miit_href", "company", "company_shown", "label_links", "encoding", "url",
    "notes", "rules",
}  # fmt: skip
FETCH_KEYS = {
    "requested_url", "urls", "final_url", "status", "error", "attempts", "redirects",
    "offsite_redirect", "render", "screenshot", "elapsed_ms", "run_id",
}  # fmt: skip


def local(host: str, path: str) -> Reply | None:
    if host == "127.0.0.1" and path == "/":
        return Reply(200, (LOCAL_PAGE.encode(),))
    return None


@pytest.fixture(scope="module")
def web():
    with ExampleWeb(routes=local) as server:
        yield server


def icpwatch(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICPWATCH_")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "crawler", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def check(
    web: ExampleWeb, cwd: Path, host: str, *args: str, db: Path | None = None
) -> subprocess.CompletedProcess:
    first = ("--db", str(db)) if db else ()
    return icpwatch(
        cwd, *first, "check", host, "--license", JING, "--proxy", web.proxy_url,
        "--render", "never", *args,
    )  # fmt: skip


def test_a_compliant_site_exits_0_and_writes_no_database(web, tmp_path: Path) -> None:
    result = check(web, tmp_path, f"compliant.{D}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"compliant.{D}: compliant\n")
    assert f"tried http://compliant.{D}/  200" in result.stdout
    assert "not rendered: --render never" in result.stdout
    assert list(tmp_path.iterdir()) == []  # not even ./icpwatch.db


def test_a_missing_number_exits_1_with_the_finding_json(web, tmp_path: Path) -> None:
    result = check(web, tmp_path, f"http://missing.{D}/", "--json", "--company", "北京示例")
    assert result.returncode == 1, result.stderr
    found = json.loads(result.stdout)
    assert set(found) == FINDING_KEYS | {"fetch"}
    assert (found["verdict"], found["expected"], found["company"]) == ("missing", JING, "北京示例")
    facts = found["fetch"]
    assert set(facts) == FETCH_KEYS
    assert facts["requested_url"] == f"http://missing.{D}/"
    assert facts["urls"][0] == f"http://missing.{D}/"  # the typed scheme first
    assert (facts["final_url"], facts["status"], facts["error"]) == (
        f"http://missing.{D}/",
        200,
        None,
    )
    assert facts["render"] == {
        "decision": False,
        "reason": "--render never",
        "rendered": False,
        "static_verdict": "missing",
        "error": None,
    }
    assert facts["run_id"] is None and facts["elapsed_ms"] >= 0


def test_redirects_and_fallbacks_are_the_crawls(web, tmp_path: Path) -> None:
    redirected = json.loads(check(web, tmp_path, f"redirect.{D}", "--json").stdout)
    assert redirected["verdict"] == "compliant"
    assert redirected["fetch"]["final_url"] == f"http://redirect.{D}/home"
    assert redirected["fetch"]["redirects"][0]["status"] == 301
    www = json.loads(check(web, tmp_path, "icpwatch-www.cn", "--json").stdout)
    assert www["fetch"]["final_url"] == "http://www.icpwatch-www.cn/"
    assert [a["url"] for a in www["fetch"]["attempts"]][-1] == "http://www.icpwatch-www.cn/"


def test_a_site_that_fails_exits_1_with_its_error(web, tmp_path: Path) -> None:
    result = check(web, tmp_path, f"gone.{D}", "--json")
    assert result.returncode == 1
    found = json.loads(result.stdout)
    assert set(found) == {"verdict", "expected", "fetch"} and found["verdict"] == "unreachable"
    assert len(found["fetch"]["attempts"]) == 4 and found["fetch"]["final_url"] is None


def test_a_private_address_is_refused_unless_allowed(web, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{web.port}/"
    refused = icpwatch(tmp_path, "check", url, "--license", JING, "--render", "never")
    assert refused.returncode == 1
    assert "blocked: 127.0.0.1 (loopback address) refused" in refused.stdout
    assert web.hits["127.0.0.1", "/"] == 0
    allowed = icpwatch(
        tmp_path, "check", url, "--license", JING, "--render", "never", "--allow-private"
    )
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert web.hits["127.0.0.1", "/"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check", "not a host", "--license", JING), "Invalid value for URL: 'not a host'"),
        (("check", "ftp://x.cn/", "--license", JING), "only http:// and https://"),
        (("check", "x.cn", "--license", "12345"), "'12345' is not a licence number"),
        (("check", "x.cn", "--license", JING, "--proxy", "socks5://p:1"), "--proxy"),
        (("check", "x.cn", "--license", JING, "--save"), "--save stores the check in a database"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = icpwatch(tmp_path, *args)
    assert result.returncode == 2 and message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_save_stores_a_one_target_run(web, tmp_path: Path) -> None:
    db = tmp_path / "icpwatch.db"
    load = icpwatch(tmp_path, "--db", str(db), "licenses", "load", str(REPO / "examples/licenses"))
    assert load.returncode == 0
    other = check(web, tmp_path, "not-listed.example.cn", "--save", db=db)
    assert other.returncode == 2 and "is not an active domain of licence" in other.stderr
    unsaved = check(web, tmp_path, f"compliant.{D}", db=db)
    assert unsaved.returncode == 0
    saved = check(web, tmp_path, f"https://compliant.{D}/", "--save", "--json", db=db)
    assert saved.returncode == 0, saved.stderr
    assert json.loads(saved.stdout)["fetch"]["run_id"] == 1
    with sqlite3.connect(db) as conn:
        runs = conn.execute("SELECT id, status, targets, counts FROM runs").fetchall()
        checks = conn.execute("SELECT run_id, host, verdict, final_url FROM checks").fetchall()
    assert runs == [(1, "finished", 1, '{"compliant": 1}')]
    assert checks == [(1, f"compliant.{D}", "compliant", f"http://compliant.{D}/")]


def test_without_save_the_licences_rule_switches_still_apply(web, tmp_path: Path) -> None:
    def rules(result: subprocess.CompletedProcess) -> dict[str, str]:
        assert result.returncode == 0, result.stderr
        return {r["code"]: r["status"] for r in json.loads(result.stdout)["rules"]}

    # no database: the crawl's defaults (BIZ001 off unless a licence switches it on)
    assert rules(check(web, tmp_path, f"compliant.{D}", "--json"))["BIZ001"] == "not_applicable"
    db = tmp_path / "icpwatch.db"
    load = icpwatch(tmp_path, "--db", str(db), "licenses", "load", str(REPO / "examples/licenses"))
    assert load.returncode == 0
    switched = icpwatch(tmp_path, "--db", str(db), "rules", "on", JING, "BIZ001", "--why", "shop")
    assert switched.returncode == 0, switched.stderr
    assert icpwatch(tmp_path, "--db", str(db), "rules", "off", JING, "ICP002").returncode == 0
    got = rules(check(web, tmp_path, f"compliant.{D}", "--json", db=db))
    assert got["BIZ001"] != "not_applicable" and got["ICP002"] == "not_applicable"
