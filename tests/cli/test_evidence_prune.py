"""Pruning screenshots deletes files and clears their path, nothing else."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from crawler.cli import main
from crawler.store.database import open_database
from tests.unit.test_crawl_run import loaded  # noqa: F401 - fixture


def _runs_with_shots(db_path: Path, tmp_path: Path) -> list[Path]:
    db = open_database(db_path)
    (domain_id,) = db.execute("select id from domains limit 1").fetchone()
    shots = []
    for run, age in ((1, 100), (2, 10), (3, 0)):
        started = (datetime.now(UTC) - timedelta(days=age)).isoformat()
        db["runs"].insert(
            {
                "id": run,
                "started_at": started,
                "status": "finished",
                "options": "{}",
                "version": "t",
                "counts": "{}",
            }
        )
        shot = tmp_path / "evidence" / f"run-{run}" / "a.png"
        shot.parent.mkdir(parents=True)
        shot.write_bytes(b"\x89PNG" + bytes(run))
        shots.append(shot)
        db["checks"].insert(
            {
                "run_id": run,
                "domain_id": domain_id,
                "license_no": "x",
                "host": "a",
                "verdict": "compliant",
                "checked_at": started,
                "screenshot_path": str(shot),
                "screenshot_size": 5,
                "screenshot_sha256": "f" * 64,
            }
        )
    db.conn.commit()
    return shots


def test_prune_keeps_latest_runs_and_the_rows(loaded: Path, tmp_path: Path) -> None:  # noqa: F811
    shots = _runs_with_shots(loaded, tmp_path)
    before = (
        open_database(loaded)
        .execute("select id, verdict, screenshot_size, screenshot_sha256 from checks order by id")
        .fetchall()
    )
    dry = CliRunner().invoke(
        main, ["--db", str(loaded), "evidence", "prune", "--keep-runs", "1", "--dry-run"]
    )
    assert dry.exit_code == 0 and "would delete 2" in dry.output
    assert all(s.exists() for s in shots)
    result = CliRunner().invoke(
        main, ["--db", str(loaded), "evidence", "prune", "--keep-runs", "1"]
    )
    assert result.exit_code == 0 and "deleted 2" in result.output, result.output
    assert [s.exists() for s in shots] == [False, False, True]
    assert not shots[0].parent.exists()  # empty run folders go too
    db = open_database(loaded)
    assert db.execute("select run_id from checks where screenshot_path is not null").fetchall() == [
        (3,)
    ]
    after = db.execute(
        "select id, verdict, screenshot_size, screenshot_sha256 from checks order by id"
    ).fetchall()
    assert after == before


def test_prune_by_age(loaded: Path, tmp_path: Path) -> None:  # noqa: F811
    shots = _runs_with_shots(loaded, tmp_path)
    result = CliRunner().invoke(
        main, ["--db", str(loaded), "evidence", "prune", "--older-than", "30d"]
    )
    assert result.exit_code == 0
    assert [s.exists() for s in shots] == [False, True, True]


def test_prune_needs_a_rule(loaded: Path) -> None:  # noqa: F811
    assert CliRunner().invoke(main, ["--db", str(loaded), "evidence", "prune"]).exit_code == 2
    bad = CliRunner().invoke(main, ["--db", str(loaded), "evidence", "prune", "--older-than", "x"])
    assert bad.exit_code == 2


def _prune(db_path: Path, *args: str):
    return CliRunner().invoke(
        main, ["--db", str(db_path), "evidence", "prune", "--keep-runs", "0", *args]
    )


def _point_at(db_path: Path, paths: list[str]) -> None:
    """A check row (runs 9, 10, …) holding each of ``paths`` as its screenshot: a doctored
    database."""
    db = open_database(db_path)
    (domain_id,) = db.execute("select id from domains limit 1").fetchone()
    for run, path in enumerate(paths, start=9):
        db["runs"].insert(
            {
                "id": run,
                "started_at": "2020",
                "status": "finished",
                "options": "{}",
                "version": "t",
                "counts": "{}",
            }
        )
        db["checks"].insert(
            {
                "run_id": run,
                "domain_id": domain_id,
                "license_no": "x",
                "host": "a",
                "verdict": "compliant",
                "checked_at": "2020",
                "screenshot_path": path,
            }
        )
    db.conn.commit()


def test_prune_never_leaves_the_evidence_directory(loaded: Path, tmp_path: Path) -> None:  # noqa: F811
    """Whatever paths the database holds, only regular files inside the evidence directory go:
    no file outside it, no file reached through a symlink out of it, no folder."""
    evidence = tmp_path / "evidence"
    outside = tmp_path / "outside"
    (outside / "tree").mkdir(parents=True)
    precious = [outside / "passwd", outside / "tree" / "keep.png", outside / "linked.png"]
    for path in precious:
        path.write_text("precious")
    (evidence / "run-9").mkdir(parents=True)
    (evidence / "run-9" / "out.png").symlink_to(outside / "linked.png")  # a symlink out
    (evidence / "run-9" / "tree").symlink_to(outside / "tree")  # a folder symlink out
    (evidence / "run-9" / "folder").mkdir()
    (evidence / "run-9" / "folder" / "inner.png").write_text("png")
    ok = evidence / "run-9" / "ok.png"
    ok.write_text("png")
    rel = os.path.relpath(outside / "passwd", evidence / "run-9")
    hostile = [
        str(evidence / "run-9" / rel),  # evidence/run-9/../../outside/passwd
        str(outside / "passwd"),  # absolute, elsewhere
        str(evidence / "run-9" / "out.png"),
        str(evidence / "run-9" / "tree" / "keep.png"),
        str(evidence / "run-9" / "folder"),  # a folder, never rmdir'd or emptied
        str(evidence / "run-9" / ".."),
        str(evidence),
        "",
    ]
    _point_at(loaded, [*hostile, str(ok)])

    dry = _prune(loaded, "--dry-run")
    assert dry.exit_code == 0 and "would delete 1 screenshot" in dry.stdout, dry.output
    result = _prune(loaded)
    assert result.exit_code == 0, result.output
    assert "deleted 1 screenshot" in result.stdout
    assert f"left {len(hostile)} screenshot path(s) alone" in result.stderr
    assert all(p.read_text() == "precious" for p in precious)
    assert not ok.exists()
    assert (evidence / "run-9" / "out.png").is_symlink()
    assert (evidence / "run-9" / "folder" / "inner.png").exists()
    # the refused rows keep their paths (someone should look); the deleted one is cleared
    db = open_database(loaded)
    kept = [p for (p,) in db.execute("select screenshot_path from checks where run_id >= 9")]
    assert sorted(p for p in kept if p is not None) == sorted(hostile)


def test_prune_follows_a_symlinked_evidence_dir(loaded: Path, tmp_path: Path) -> None:  # noqa: F811
    """An evidence directory that is itself a symlink (to a bigger disk) is still inside."""
    disk = tmp_path / "disk"
    shot = disk / "run-9" / "a.png"
    shot.parent.mkdir(parents=True)
    shot.write_text("png")
    (tmp_path / "evidence").symlink_to(disk)
    _point_at(loaded, [str(tmp_path / "evidence" / "run-9" / "a.png")])
    result = _prune(loaded)
    assert result.exit_code == 0 and "deleted 1" in result.stdout, result.output
    assert not shot.exists() and not shot.parent.exists() and disk.is_dir()


def test_prune_with_another_evidence_dir(loaded: Path, tmp_path: Path) -> None:  # noqa: F811
    shot = tmp_path / "elsewhere" / "run-9" / "a.png"
    shot.parent.mkdir(parents=True)
    shot.write_text("png")
    _point_at(loaded, [str(shot)])
    assert "left 1 screenshot path(s) alone" in _prune(loaded).stderr  # not under ./evidence
    assert shot.exists()
    result = _prune(loaded, "--evidence-dir", str(tmp_path / "elsewhere"))
    assert result.exit_code == 0 and "deleted 1" in result.stdout, result.output
    assert not shot.exists() and (tmp_path / "elsewhere").is_dir()
