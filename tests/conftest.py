"""Shared fixtures: where the test data lives, and a fresh database per test."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: The four real OCR'd licences (the user's documents, small): test data in the repository, so
#: a fresh clone with nothing beside it runs every licence test.
SEED_LICENCES = REPO / "tests" / "data" / "licences"
#: 71 real pages with labels, read in place beside the repository (never copied into it): tests
#: that need them skip with a reason when they are absent; CI has them.
CORPUS = REPO.parent / "shared" / "corpus"


#: Tests that use these fixtures need the service behind them (markers in pyproject.toml).
FIXTURE_MARKS = {"redis_server": "redis", "browser": "chromium", "render_crawl": "chromium"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``e2e`` for everything under tests/e2e; ``redis`` / ``chromium`` for tests that use a
    fixture starting one, so ``-m`` selects by what a test needs, not where it lives."""
    e2e = REPO / "tests" / "e2e"
    for item in items:
        if e2e in item.path.parents:
            item.add_marker("e2e")
        for fixture in set(getattr(item, "fixturenames", ())) & FIXTURE_MARKS.keys():
            item.add_marker(FIXTURE_MARKS[fixture])


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "icpwatch.db"
