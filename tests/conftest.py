"""Shared fixtures: where the read-only shared data lives, and a fresh database per test."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def shared_dir(name: str) -> Path:
    """``../shared/<name>``: real documents and pages, read in place, never copied."""
    path = SHARED / name
    if not path.is_dir():
        pytest.fail(f"{path} is missing: the real test data must sit beside the repository")
    return path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "icpwatch.db"
