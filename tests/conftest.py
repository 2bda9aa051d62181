"""Shared fixtures: where the test data lives, and a fresh database per test."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: The four real OCR'd licences (the user's documents, small): test data in the repository, so
#: a fresh clone with nothing beside it runs every licence test.
SEED_LICENCES = REPO / "tests" / "data" / "licences"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "icpwatch.db"
