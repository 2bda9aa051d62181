"""Pruning screenshots deletes files and clears their path, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from crawler.cli import main
from crawler.database import open_database
from tests.test_crawl_run import loaded  # noqa: F401 - fixture


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
