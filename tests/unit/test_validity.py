"""Licence status on a day, in Python and in the ``license_status`` view: the same rule."""

from __future__ import annotations

from datetime import date

import pytest
from sqlite_utils import Database

from crawler.licences.validity import STATUS_SQL, licence_status

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("expires", "status"),
    [
        (None, "unknown"),
        (date(2026, 11, 22), "expired"),
        (date(2020, 1, 1), "expired"),
        (date(2026, 11, 23), "renewal_due"),
        (date(2027, 2, 21), "renewal_due"),  # 90 days ahead
        (date(2027, 2, 22), "valid"),  # 91 days ahead
        (date(2030, 1, 1), "valid"),
    ],
)
def test_status(expires: date | None, status: str) -> None:
    assert licence_status(expires, TODAY) == status
    sql = STATUS_SQL.format(expires=":expires", today=":today")
    row = (
        Database(memory=True)
        .execute(
            f"select {sql}",
            {"expires": expires and expires.isoformat(), "today": TODAY.isoformat()},
        )
        .fetchone()
    )
    assert row[0] == status
