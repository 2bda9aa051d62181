"""Screenshot evidence on disk: pruning old runs' files without touching their findings.

A pruned check keeps every column but ``screenshot_path`` (set to NULL): its verdict, evidence
text and the screenshot's size and SHA-256 stay, so the record of what was seen survives.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from crawler.store.runs import parse_duration


@dataclass(frozen=True)
class Pruned:
    files: int
    bytes: int
    missing: int  # rows whose file was already gone
    refused: int = 0  # rows left as they are: outside the evidence directory, or not a file


def _inside(path: Path, root: Path) -> Path | None:
    """``path`` with every symlink of its folders resolved, when that is a regular file (not a
    symlink itself) directly or deeper inside ``root`` (resolved); else None."""
    folder = path.parent.resolve()
    if not folder.is_relative_to(root):
        return None
    real = folder / path.name
    try:
        mode = real.lstat().st_mode
    except FileNotFoundError:
        return real  # gone already: nothing to delete, the row can forget it
    return real if stat.S_ISREG(mode) else None


def _remove_empty_folders(folder: Path, root: Path) -> None:
    """``rmdir`` of ``folder`` and its parents while empty, stopping at ``root`` (kept)."""
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()  # only an empty folder, never a tree
        except OSError:
            return
        folder = folder.parent


def prune_screenshots(
    db: Database,
    evidence_dir: str | Path,
    *,
    keep_runs: int | None = None,
    older_than: str | None = None,
    dry_run: bool = False,
) -> Pruned:
    """Delete the screenshots of all but the ``keep_runs`` latest runs and/or of runs started
    more than ``older_than`` ago.

    Only regular files inside ``evidence_dir`` go, whatever path a row holds (a doctored
    database, a worker's item): a path outside it, a symlink or a folder is left alone with its
    row, and counted as refused.
    """
    root = Path(evidence_dir).resolve()
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
    files = size = missing = refused = 0
    for check_id, name in rows:
        path = _inside(Path(name), root) if name else None
        if path is None:
            refused += 1
            continue
        try:
            size += path.stat().st_size
            files += 1
            if not dry_run:
                path.unlink()
                _remove_empty_folders(path.parent, root)
        except FileNotFoundError:
            missing += 1
        if not dry_run:
            with db.conn:
                db.execute("UPDATE checks SET screenshot_path = NULL WHERE id = ?", [check_id])
    return Pruned(files, size, missing, refused)
