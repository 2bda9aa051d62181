"""Crawl runs in SQLite without Scrapy: selection, resume, the lock and duplicate-free writes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.licences.parser import parse_licence
from crawler.licences.store import save_licence
from crawler.store.database import open_database
from crawler.store.runs import (
    BadSelection,
    CrawlLocked,
    CrawlOptions,
    CrawlRun,
    parse_duration,
    redact_url,
    select_targets,
)
from tests.unit.test_licence_parser import SITES, doc


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1.5h", timedelta(minutes=90)),
        (" 12H ", timedelta(hours=12)),
    ],
)
def test_parse_duration(text: str, delta: timedelta) -> None:
    assert parse_duration(text) == delta


@pytest.mark.parametrize("text", ["", "24", "h", "-1h", "1y", "one day"])
def test_bad_duration(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@pytest.fixture
def loaded(db_path: Path) -> Path:
    db = open_database(db_path)
    two = SITES + "\n\n" + SITES.replace("示例网", "二").replace("example-shop.cn", "two-shop.cn")
    save_licence(db, parse_licence(doc(sites=two)), "a.txt", "a")
    other = doc(number="沪B2-20170001", sites=SITES.replace("example-shop.cn", "hu-shop.cn"))
    save_licence(db, parse_licence(other), "b.txt", "b")
    return db_path


def _row(target, verdict: str = "compliant", at: datetime | None = None) -> dict:
    return {
        "domain_id": target.domain_id,
        "license_no": target.license_no,
        "host": target.host,
        "verdict": verdict,
        "checked_at": (at or datetime.now(UTC)).isoformat(),
    }


def test_targets_and_filters(loaded: Path) -> None:
    db = open_database(loaded)
    everything = select_targets(db, CrawlOptions())
    assert [(t.license_no, t.host) for t in everything] == [
        ("京B2-20252223", "example-shop.cn"),
        ("京B2-20252223", "two-shop.cn"),
        ("沪B2-20170001", "hu-shop.cn"),
    ]
    assert everything[0].licensed_hosts == frozenset({"example-shop.cn", "two-shop.cn"})
    assert everything[0].company == "北京示例科技有限公司"
    assert [t.host for t in select_targets(db, CrawlOptions(licences=("沪B2-20170001",)))] == [
        "hu-shop.cn"
    ]
    assert [t.host for t in select_targets(db, CrawlOptions(domains=("two-shop.cn",)))] == [
        "two-shop.cn"
    ]


def test_unknown_selection_is_an_error(loaded: Path) -> None:
    with pytest.raises(BadSelection, match=r"粤B2-20090191"):
        CrawlRun.open(loaded, CrawlOptions(licences=("粤B2-20090191",)))
    with pytest.raises(BadSelection, match=r"nope\.cn"):
        CrawlRun.open(loaded, CrawlOptions(domains=("nope.cn",)))
    # a refused run leaves neither a row nor the lock behind
    assert open_database(loaded)["runs"].count == 0
    CrawlRun.open(loaded, CrawlOptions()).finish("finished")


def test_run_lifecycle_and_no_duplicates(loaded: Path) -> None:
    run = CrawlRun.open(loaded, CrawlOptions(extra={"concurrency": 4}))
    assert len(run.targets) == 3
    rows = [_row(t) for t in run.targets]
    run.save(rows[:2])
    run.save(rows)  # a late duplicate is ignored, never written twice
    counts = run.finish("finished")
    assert counts == {"compliant": 3}
    db = open_database(loaded)
    assert db["checks"].count == 3
    saved = db["runs"].get(run.run_id)
    assert saved["status"] == "finished" and saved["targets"] == 3 and saved["ended_at"]
    assert json.loads(saved["options"])["extra"] == {"concurrency": 4}
    assert json.loads(saved["counts"]) == {"compliant": 3}


def test_interrupted_run_is_marked_and_resumed(loaded: Path) -> None:
    first = CrawlRun.open(loaded, CrawlOptions())
    first.save([_row(first.targets[0])])
    first.lock.release()  # the process died: its lock is gone, its run still says "running"
    second = CrawlRun.open(loaded, CrawlOptions())
    db = open_database(loaded)
    assert db["runs"].get(first.run_id)["status"] == "interrupted"
    assert [t.host for t in second.targets] == ["two-shop.cn", "hu-shop.cn"]
    assert db["runs"].get(second.run_id)["resumed_from"] == first.run_id
    second.save([_row(second.targets[0])])
    second.lock.release()
    third = CrawlRun.open(loaded, CrawlOptions())  # resumes the whole chain
    assert [t.host for t in third.targets] == ["hu-shop.cn"]
    third.save([_row(third.targets[0])])
    third.finish("finished")
    fourth = CrawlRun.open(loaded, CrawlOptions())  # after a finished run: everything again
    assert len(fourth.targets) == 3
    fourth.finish("finished")


def test_a_run_with_targets_left_is_incomplete_and_the_next_checks_them(loaded: Path) -> None:
    first = CrawlRun.open(loaded, CrawlOptions())
    first.save([_row(t) for t in first.targets[:2]])
    first.finish("finished")  # Scrapy says finished, but one target got no row
    db = open_database(loaded)
    saved = db["runs"].get(first.run_id)
    assert (first.status, saved["status"]) == ("incomplete", "incomplete")
    assert saved["error"] == "1 of 3 target(s) got no row; the next crawl checks them"
    second = CrawlRun.open(loaded, CrawlOptions())
    assert [t.host for t in second.targets] == ["hu-shop.cn"]
    assert db["runs"].get(second.run_id)["resumed_from"] == first.run_id
    second.save([_row(second.targets[0])])
    second.finish("finished")
    assert db["runs"].get(second.run_id)["status"] == "finished"


def test_record_keeps_the_options_the_crawl_ran_with(loaded: Path) -> None:
    run = CrawlRun.open(loaded, CrawlOptions(due="1d"))
    run.record(CrawlOptions(due="1d", extra={"render": "never"}))
    run.finish("interrupted")
    options = json.loads(open_database(loaded)["runs"].get(run.run_id)["options"])
    assert (options["due"], options["extra"]) == ("1d", {"render": "never"})


def test_due_selects_stale_domains_only(loaded: Path) -> None:
    run = CrawlRun.open(loaded, CrawlOptions())
    old = datetime.now(UTC) - timedelta(days=2)
    run.save([_row(run.targets[0], at=old), _row(run.targets[1])])
    run.finish("finished")
    db = open_database(loaded)
    due = select_targets(db, CrawlOptions(due="24h"))
    assert [t.host for t in due] == ["example-shop.cn", "hu-shop.cn"]
    assert [t.host for t in select_targets(db, CrawlOptions(due="3d"))] == ["hu-shop.cn"]


def test_lock_is_exclusive_across_processes(loaded: Path) -> None:
    run = CrawlRun.open(loaded, CrawlOptions())
    code = (
        "import sys; from crawler.store.runs import *\n"
        "try:\n    CrawlRun.open(sys.argv[1], CrawlOptions())\n"
        "except CrawlLocked as e:\n    print(e); sys.exit(3)\n"
    )
    other = subprocess.run(
        [sys.executable, "-c", code, str(loaded)], capture_output=True, text=True, check=False
    )
    assert other.returncode == 3, other.stderr
    assert "another crawl" in other.stdout
    with pytest.raises(CrawlLocked):
        CrawlRun.open(loaded, CrawlOptions())
    run.finish("finished")
    CrawlRun.open(loaded, CrawlOptions()).finish("finished")


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("http://u:secret@proxy.example:3128/", "http://u:***@proxy.example:3128/"),
        ("redis://:secret@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("http://u:secret@proxy.example:99999/", "http://u:***@proxy.example:99999/"),
        ("http://u:secret@[::1]:8080", "http://u:***@[::1]:8080"),
        ("http://proxy.example:3128/", "http://proxy.example:3128/"),
        (None, None),
    ],
)
def test_redact_url_hides_the_password_whatever_the_port(url, redacted) -> None:
    assert redact_url(url) == redacted
