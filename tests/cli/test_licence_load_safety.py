"""``licenses load`` under pressure: interrupted saves leave whole licences, an older document
never replaces a newer one, and only regular files of sane size are read."""

from __future__ import annotations

import os
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

import crawler.licences.store as store
from crawler.cli import main
from crawler.licences.store import compare_versions
from tests.conftest import REPO
from tests.unit.test_licence_parser import SITES, doc

EXAMPLES = REPO / "examples" / "licenses"
NUMBER = "京B2-20252223"


def run(db: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(db), *args])


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def sites(*hosts: str) -> str:
    return "\n\n".join(SITES.replace("example-shop.cn", h) for h in hosts)


def dates(issued: str, expires: str) -> str:
    return f"发证日期：{issued}\n\n有效期至：{expires}"


# --- 12: one transaction per licence ------------------------------------------------------


def _interrupt_on_call(monkeypatch, n: int) -> None:
    """KeyboardInterrupt (Ctrl-C) on the ``n``-th domain write of the run."""
    real = store._upsert_domain
    calls = [0]

    def upsert(*args, **kwargs):
        calls[0] += 1
        if calls[0] == n:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "_upsert_domain", upsert)


def test_ctrl_c_mid_save_leaves_only_whole_licences(db_path: Path, monkeypatch) -> None:
    # demo-hu (2 domains) is loaded first, then demo-jing (39 domains): interrupt its 5th.
    _interrupt_on_call(monkeypatch, 2 + 5)
    result = run(db_path, "licenses", "load", str(EXAMPLES))
    assert result.exit_code == 1  # click: "Aborted!"
    assert rows(db_path, "select license_no from licenses") == [("沪B2-20170001",)]
    assert rows(db_path, "select distinct license_no from domains") == [("沪B2-20170001",)]
    assert rows(db_path, "select license_no from license_documents") == [("沪B2-20170001",)]
    assert rows(db_path, "select count(*) from domains") == [(2,)]


def test_ctrl_c_mid_renewal_keeps_the_previous_version_whole(
    db_path: Path, tmp_path: Path, monkeypatch
) -> None:
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text(doc(sites=sites("a.cn", "b.cn")))
    new.write_text(doc(sites=sites("c.cn", "d.cn", "e.cn"), rep="李四"))
    assert run(db_path, "licenses", "load", str(old)).exit_code == 0
    before = [
        rows(db_path, f"select * from {t} order by 1")
        for t in ("licenses", "domains", "license_documents")
    ]
    _interrupt_on_call(monkeypatch, 2)
    assert run(db_path, "licenses", "load", str(new)).exit_code == 1
    after = [
        rows(db_path, f"select * from {t} order by 1")
        for t in ("licenses", "domains", "license_documents")
    ]
    assert after == before


def test_sigint_during_a_folder_load_leaves_whole_licences(tmp_path: Path) -> None:
    """A real Ctrl-C: whatever moment it lands, every stored licence has its document row and
    all of its domains."""
    folder = tmp_path / "docs"
    folder.mkdir()
    per_licence = 20
    for i in range(200):
        hosts = [f"s{j}.l{i}.example.cn" for j in range(per_licence)]
        text = doc(number=f"京B2-2030{i:04d}", sites=sites(*hosts))
        (folder / f"{i:04d}.txt").write_text(text, encoding="utf-8")
    db = tmp_path / "icpwatch.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler", "--db", str(db), "licenses", "load", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if rows(db, "select count(*) from licenses")[0][0] >= 3:
                break
        except sqlite3.Error:
            pass
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    stored = rows(db, "select count(*) from licenses")[0][0]
    assert 3 <= stored < 200, "the load finished before the interrupt: make it slower"
    assert rows(db, "select count(*) from license_documents") == [(stored,)]
    assert (
        rows(
            db,
            "select l.license_no from licenses l left join domains d using (license_no) "
            f"group by l.license_no having count(d.id) != {per_licence}",
        )
        == []
    )
    assert rows(db, "select count(*) from domains") == [(stored * per_licence,)]


# --- 13: an older document never replaces a newer one -----------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((date(2024, 1, 1), date(2029, 1, 1)), (date(2021, 1, 1), date(2026, 1, 1)), 1),
        ((date(2021, 1, 1), date(2026, 1, 1)), (date(2024, 1, 1), date(2029, 1, 1)), -1),
        # the issue date decides even against the expiry (a re-issue after a change)
        ((date(2024, 1, 1), date(2026, 1, 1)), (date(2021, 1, 1), date(2027, 1, 1)), 1),
        # same or unreadable issue date: the expiry decides
        ((date(2021, 1, 1), date(2027, 1, 1)), (date(2021, 1, 1), date(2026, 1, 1)), 1),
        ((None, date(2026, 1, 1)), (date(2021, 1, 1), date(2027, 1, 1)), -1),
        # cannot tell: the last loaded wins
        ((date(2021, 1, 1), date(2026, 1, 1)), (date(2021, 1, 1), date(2026, 1, 1)), 0),
        ((None, None), (date(2021, 1, 1), date(2026, 1, 1)), 0),
    ],
)
def test_compare_versions(a, b, expected: int) -> None:
    assert compare_versions(a, b) == expected


@pytest.fixture
def versions(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "2021.txt", tmp_path / "2024-renewal.txt"
    old.write_text(
        doc(dates=dates("2021年08月30日", "2026年08月30日"), sites=sites("a.cn", "b.cn"))
    )
    new.write_text(
        doc(
            dates=dates("2024年03月01日", "2029年03月01日"),
            sites=sites("b.cn", "c.cn"),
            rep="李四",
        )
    )
    return old, new


def _state(db: Path) -> tuple:
    return (
        rows(db, "select issued_on, expires_on, legal_rep, source_file from licenses"),
        rows(db, "select host from domains where active order by host"),
    )


def test_renewal_loaded_after_the_old_document_updates(db_path: Path, versions) -> None:
    old, new = versions
    assert run(db_path, "licenses", "load", str(old)).exit_code == 0
    result = run(db_path, "licenses", "load", str(new))
    assert result.exit_code == 0 and result.output.startswith("updated")
    assert _state(db_path) == (
        [("2024-03-01", "2029-03-01", "李四", str(new))],
        [("b.cn",), ("c.cn",)],
    )


def test_old_document_loaded_after_the_renewal_is_kept_out(db_path: Path, versions) -> None:
    old, new = versions
    assert run(db_path, "licenses", "load", str(new)).exit_code == 0
    stored = _state(db_path), rows(db_path, "select * from license_documents")
    result = run(db_path, "licenses", "load", str(old))
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        f"kept newer {old}: {NUMBER} issued 2021-08-30, expires 2026-08-30 is older than "
        f"{new} (issued 2024-03-01, expires 2029-03-01); not loaded"
    ]
    assert (_state(db_path), rows(db_path, "select * from license_documents")) == stored


def test_both_versions_in_one_folder_keep_the_newer_whatever_the_order(
    db_path: Path, tmp_path: Path, versions
) -> None:
    old, _ = versions  # sorted: "2021.txt" before "2024-renewal.txt"
    result = run(db_path, "licenses", "load", str(tmp_path))
    assert result.exit_code == 0
    assert _state(db_path)[0][0][:2] == ("2024-03-01", "2029-03-01")
    renamed = tmp_path / "zz-old.txt"  # now the old one comes last
    old.rename(renamed)
    result = run(db_path, "licenses", "load", str(tmp_path))
    assert "kept newer" in result.output and str(renamed) in result.output
    assert _state(db_path)[0][0][:2] == ("2024-03-01", "2029-03-01")


# --- 16: regular files only, 5 MiB at most -----------------------------------------------


def test_non_regular_and_huge_files_fail_one_by_one(db_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text(doc(), encoding="utf-8")
    os.mkfifo(folder / "pipe.txt")
    (folder / "folder.md").mkdir()
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(folder / "socket.txt"))
    big = folder / "huge.txt"
    with big.open("wb") as stream:
        stream.truncate(6 * 1024 * 1024)
    try:
        result = run(db_path, "licenses", "load", str(folder))
    finally:
        listener.close()
    assert result.exit_code == 1
    lines = result.output.splitlines()
    for name, reason in [
        ("pipe.txt", "a FIFO (named pipe), not a regular file"),
        ("folder.md", "a directory, not a regular file"),
        ("socket.txt", "a socket, not a regular file"),
        ("huge.txt", "6,291,456 bytes, over the 5 MiB limit"),
    ]:
        assert (
            [line for line in lines if name in line]
            == [line for line in lines if line.startswith(f"FAILED     {folder / name}: {reason}")]
            != []
        ), name
    assert any(line.startswith("new ") and "good.txt" in line for line in lines)
    assert rows(db_path, "select license_no from licenses") == [(NUMBER,)]


def _limit_memory() -> None:
    """On today's code /dev/zero would be read until memory runs out: fail fast instead."""
    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_named_devices_fail_with_a_line_and_the_rest_loads(
    device: str, db_path: Path, tmp_path: Path
) -> None:
    good = tmp_path / "good.txt"
    good.write_text(doc(), encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "crawler",
            "--db",
            str(db_path),
            "licenses",
            "load",
            device,
            str(good),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limit_memory,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        f"FAILED     {device}: a character device, not a regular file"
    ]
    assert rows(db_path, "select license_no from licenses") == [(NUMBER,)]


def test_an_empty_path_is_a_usage_error(db_path: Path) -> None:
    result = run(db_path, "licenses", "load", "")
    assert result.exit_code == 2
    assert "an empty path" in result.output
    assert not db_path.exists()
