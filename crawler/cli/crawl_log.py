"""Where a crawl's Scrapy log goes: a file next to the database when a person watches the
terminal (the bar and the summary stay readable), stderr under cron and Scrapyd as before; and
a count of the warnings, summarised at the end so none is missed."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

LOG_NAME = "icpwatch-crawl.log"
KEEP = 5  # earlier logs kept as .1 … .5


def log_file_beside(db_path: str) -> Path:
    return Path(db_path).resolve().parent / LOG_NAME


def rotate(path: Path, keep: int = KEEP) -> None:
    """``log`` → ``log.1`` → … → ``log.KEEP``: one file per crawl, the last ones kept."""
    for n in range(keep - 1, 0, -1):
        older = path.with_name(f"{path.name}.{n}")
        if older.exists():
            older.replace(path.with_name(f"{path.name}.{n + 1}"))
    if path.exists() and path.stat().st_size:
        path.replace(path.with_name(f"{path.name}.1"))


class WarningTally(logging.Handler):
    """Counts WARNING and worse by their first line, for the summary after the crawl."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage().strip() if record.msg else record.levelname
        self.lines[f"{record.levelname}: {(text.splitlines() or [''])[0][:160]}"] += 1

    def summary(self, path: Path, most: int = 3) -> str | None:
        total = sum(self.lines.values())
        if not total:
            return None
        top = "\n".join(f"  {n} × {line}" for line, n in self.lines.most_common(most))
        return f"{total} warning(s) or error(s) logged to {path}, most often:\n{top}"
