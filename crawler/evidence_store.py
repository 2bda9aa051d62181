"""Screenshot evidence on disk: pruning old runs' files without touching their findings.

A pruned check keeps every column but ``screenshot_path`` (set to NULL): its verdict, evidence
text and the screenshot's size and SHA-256 stay, so the record of what was seen survives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from crawler.crawl_run import parse_duration


@dataclass(frozen=True)
class Pruned:
    files: int
    bytes: int
    missing: int  # rows whose file was already gone


def prune_screenshots(
    db: Database,
    *,
    keep_runs: int | None = None,
    older_than: str | None = None,
    dry_run: bool = False,
) -> Pruned:
    """Delete the screenshots of all but the ``keep_runs`` latest runs and/or of runs started
    more than ``older_than`` ago."""
    where, args = ["screenshot_path IS NOT NULL"], []
    if keep_runs is not None:
        where.append("run_id NOT IN (SELECT id FROM runs ORDER BY id DESC LIMIT ?)")
        args.append(keep_runs)
    if older_than is not None:
        cutoff = (datetime.now(UTC) - parse_duration(older_than)).isoformat()
        where.append("run_id IN (SELECT id FROM runs WHERE started_at < ?)")
        args.append(cutoff)
    rows = db.execute(
        f"SELECT id, screenshot_path FROM checks WHERE {' AND '.join(where)}", args
    ).fetchall()
    files = size = missing = 0
    for check_id, name in rows:
        path = Path(name)
        if path.is_file():
            files += 1
            size += path.stat().st_size
            if not dry_run:
                path.unlink()
                if not any(path.parent.iterdir()):
                    path.parent.rmdir()
        else:
            missing += 1
        if not dry_run:
            with db.conn:
                db.execute("UPDATE checks SET screenshot_path = NULL WHERE id = ?", [check_id])
    return Pruned(files, size, missing)
