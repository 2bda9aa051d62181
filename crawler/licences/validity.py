"""Licence validity on a given day: clause 12 asks for renewal 90 days before expiry."""

from __future__ import annotations

from datetime import date

RENEWAL_WINDOW_DAYS = 90
STATUSES = ("valid", "renewal_due", "expired", "unknown")


def licence_status(expires_on: date | None, today: date) -> str:
    """``unknown`` when no expiry could be read; the expiry day itself still counts as valid."""
    if expires_on is None:
        return "unknown"
    if today > expires_on:
        return "expired"
    if (expires_on - today).days <= RENEWAL_WINDOW_DAYS:
        return "renewal_due"
    return "valid"


#: The same rule in SQL, for views (``:today`` defaults to the local date).
STATUS_SQL = f"""CASE
    WHEN {{expires}} IS NULL THEN 'unknown'
    WHEN {{today}} > {{expires}} THEN 'expired'
    WHEN julianday({{expires}}) - julianday({{today}}) <= {RENEWAL_WINDOW_DAYS} THEN 'renewal_due'
    ELSE 'valid'
END"""
