"""Which databases icpwatch agrees to open, and how it behaves when another writer holds one:
foreign and newer files are refused untouched, readers never create or write a file, a locked
database is one line and exit 1 for every command."""

from __future__ import annotations

import hashlib
import importlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.store.database import (
    DatabaseLocked,
    ForeignDatabase,
    NewerDatabase,
    NoSuchDatabase,
    open_database,
)
from tests.conftest import REPO
from tests.unit.test_report import add_run, build

EXAMPLES = REPO / "examples" / "licenses"
JING = "京B2-20990001"
LOCKED = "error: database is locked: {} (another icpwatch is writing; try again)"


def run(db: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(db), *args])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def loaded(db_path: Path) -> Path:
    result = run(db_path, "licenses", "load", str(EXAMPLES))
    assert result.exit_code == 0, result.output
    return db_path


READERS = [["licenses", "list"], ["licenses", "show", JING], ["report"]]
#: Read-only too, with nothing to print about the licence.
QUIET_READERS = [["evidence", "prune", "--keep-runs", "1", "--dry-run"], ["serve", "--port", "0"]]
WRITERS = [
    ["licenses", "load", str(EXAMPLES)],
    ["domains", "add", JING, "extra.example.cn"],
    ["domains", "remove", JING, "extra.example.cn"],
    ["crawl", "--license", JING],
    ["evidence", "prune", "--keep-runs", "1"],
]


# --- foreign and newer databases --------------------------------------------------------


@pytest.mark.parametrize("args", READERS + WRITERS, ids=lambda a: " ".join(a[:2]))
def test_foreign_database_is_refused_and_left_byte_identical(tmp_path: Path, args) -> None:
    other = tmp_path / "notes.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('keep me')")
    conn.close()
    before = digest(other)
    result = run(other, *args)
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"error: {other} is not an icpwatch database (tables: notes; no icpwatch migrations in "
        "_sqlite_migrations); refusing to use it"
    ]
    assert digest(other) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]  # no -wal / -shm


def test_another_programs_migrations_are_not_icpwatch_ones(tmp_path: Path) -> None:
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE _sqlite_migrations (migration_set, name, applied_at)")
        conn.execute("INSERT INTO _sqlite_migrations VALUES ('someapp', 'm001', 'x')")
    conn.close()
    with pytest.raises(ForeignDatabase):
        open_database(other)


def test_newer_database_is_refused_for_writing_but_readable(loaded: Path) -> None:
    with sqlite3.connect(loaded) as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('icpwatch', 'm999_from_the_future', '2030-01-01')"
        )
    conn.close()
    before = digest(loaded)
    for args in WRITERS[:3]:
        result = run(loaded, *args)
        assert result.exit_code == 2, result.output
        assert result.output.strip().splitlines() == [
            f"error: database {loaded} was written by a newer icpwatch (migration "
            "m999_from_the_future unknown here); upgrade icpwatch to write to it"
        ]
    with pytest.raises(NewerDatabase):
        open_database(loaded)
    assert digest(loaded) == before
    listed = run(loaded, "licenses", "list")
    assert listed.exit_code == 0 and JING in listed.output


# --- readers never create, never write ---------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [*READERS, *QUIET_READERS, ["domains", "add", JING, "a.cn"]],
    ids=lambda a: " ".join(a[:2]),
)
def test_typo_db_is_an_error_and_creates_nothing(tmp_path: Path, args) -> None:
    typo = tmp_path / "icpwach.db"
    result = run(typo, *args)
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [f"error: no such database: {typo}"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [READERS[0], WRITERS[0]], ids=lambda a: " ".join(a[:2]))
def test_a_device_or_fifo_is_not_a_database(tmp_path: Path, args) -> None:
    fifo = tmp_path / "fifo.db"
    os.mkfifo(fifo)
    for path in (Path("/dev/zero"), fifo):
        result = run(path, *args)
        assert result.exit_code == 2, result.output
        assert result.output.strip().splitlines() == [
            f"error: database {str(path)!r} is not a regular file"
        ]


def test_no_such_database_in_the_api(tmp_path: Path) -> None:
    with pytest.raises(NoSuchDatabase):
        open_database(tmp_path / "missing.db", write=False)
    assert list(tmp_path.iterdir()) == []


def test_load_and_crawl_still_create_a_new_database(tmp_path: Path) -> None:
    assert run(tmp_path / "a.db", "licenses", "load", str(EXAMPLES)).exit_code == 0
    open_database(tmp_path / "b.db").close()  # what `crawl` and CrawlRun.open call
    assert (tmp_path / "a.db").exists() and (tmp_path / "b.db").exists()


@pytest.fixture
def read_only(loaded: Path) -> Iterator[Path]:
    """The loaded database with a finished run, its file 0444 and its folder 0555."""
    db = build(loaded)
    add_run(db, "finished", {})
    db.close()
    folder = loaded.parent
    assert sorted(p.name for p in folder.iterdir()) == [loaded.name]  # clean close
    loaded.chmod(0o444)
    folder.chmod(0o555)
    try:
        yield loaded
    finally:
        folder.chmod(0o755)
        loaded.chmod(0o644)


@pytest.mark.parametrize(
    "args",
    [*READERS, ["licenses", "list", "--json"], ["report", "--format", "json"]],
    ids=lambda a: " ".join(a),
)
def test_readers_work_on_a_read_only_file_and_folder(read_only: Path, args) -> None:
    before = digest(read_only)
    result = run(read_only, *args)
    assert result.exit_code == 0, result.output
    assert JING in result.output
    assert digest(read_only) == before
    assert sorted(p.name for p in read_only.parent.iterdir()) == [read_only.name]


def test_writers_refuse_a_read_only_file_with_one_line(read_only: Path) -> None:
    result = run(read_only, "domains", "add", JING, "a.cn")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: database {str(read_only)!r} is read-only (it and its folder must be writable "
        "for this command)"
    ]


# --- another writer holds the database ----------------------------------------------------


@pytest.fixture
def held(loaded: Path, monkeypatch) -> Iterator[Path]:
    """Another connection holds the write lock (BEGIN EXCLUSIVE) for the whole test."""
    monkeypatch.setenv("ICPWATCH_BUSY_TIMEOUT", "0.2")
    conn = sqlite3.connect(loaded, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    yield loaded
    conn.execute("ROLLBACK")
    conn.close()


@pytest.mark.parametrize("args", WRITERS, ids=lambda a: " ".join(a[:2]))
def test_writers_on_a_held_database_say_locked_in_one_line(held: Path, args) -> None:
    result = run(held, *args)
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [LOCKED.format(held)]


def test_readers_of_a_wal_database_do_not_wait_for_a_writer(held: Path) -> None:
    for args in READERS[:2]:
        result = run(held, *args)
        assert result.exit_code == 0, result.output


def test_readers_of_a_rollback_journal_database_say_locked(loaded: Path, monkeypatch) -> None:
    with sqlite3.connect(loaded) as conn:
        assert conn.execute("PRAGMA journal_mode = DELETE").fetchone() == ("delete",)
    conn.close()
    monkeypatch.setenv("ICPWATCH_BUSY_TIMEOUT", "0.2")
    holder = sqlite3.connect(loaded, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        for args in READERS:
            result = run(loaded, *args)
            assert result.exit_code == 1, result.output
            assert result.output.strip().splitlines() == [LOCKED.format(loaded)]
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_lock_taken_after_opening_is_reported_by_the_top_level(
    loaded: Path, tmp_path: Path, monkeypatch
) -> None:
    """The lock is met halfway through the command, not at open: same line, same exit."""
    licenses_cli = importlib.import_module("crawler.cli.licenses")  # the package shadows it
    monkeypatch.setenv("ICPWATCH_BUSY_TIMEOUT", "0.2")
    holders: list[sqlite3.Connection] = []
    real_open_db = licenses_cli.open_db

    def open_then_lose_the_race(ctx, **kwargs):
        db = real_open_db(ctx, **kwargs)
        holders.append(sqlite3.connect(loaded, isolation_level=None))
        holders[0].execute("BEGIN EXCLUSIVE")
        return db

    monkeypatch.setattr(licenses_cli, "open_db", open_then_lose_the_race)
    renewal = tmp_path / "renewal.txt"
    renewal.write_text(
        (EXAMPLES / "demo-hu-b2-20170001.txt").read_text(encoding="utf-8") + "\n附注：换发。\n",
        encoding="utf-8",
    )
    result = run(loaded, "licenses", "load", str(renewal))
    holders[0].execute("ROLLBACK")
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [LOCKED.format(loaded)]


def test_load_on_a_held_database_in_a_subprocess_has_no_traceback(held: Path) -> None:
    env = {**os.environ, "ICPWATCH_BUSY_TIMEOUT": "0.5"}
    result = subprocess.run(
        [sys.executable, "-m", "crawler", "--db", str(held), "licenses", "load", str(EXAMPLES)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [LOCKED.format(held)]


def test_busy_timeout_setting_is_checked(db_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ICPWATCH_BUSY_TIMEOUT", "soon")
    result = run(db_path, "licenses", "load", str(EXAMPLES))
    assert result.exit_code == 2
    assert "ICPWATCH_BUSY_TIMEOUT='soon'" in result.output


def test_database_locked_message() -> None:
    assert str(DatabaseLocked("x.db")) == LOCKED.format("x.db")[len("error: ") :]
