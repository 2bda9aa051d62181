"""Checks that misbehave on purpose, for the check pool's tests: its workers import them by
name, as they import ``assess_page``."""

from __future__ import annotations

import os
import time
from typing import Any

from crawler.check.outcome import Outcome, assess_page


def burn_on_marker(**facts: Any) -> Outcome:
    """A page with ``BURN`` in it spins the CPU for a minute: a check that never ends."""
    if b"BURN" in facts["body"]:
        end = time.process_time() + 60
        while time.process_time() < end:
            pass
    return assess_page(**facts)


def die_on_marker(**facts: Any) -> Outcome:
    """A page with ``DIE`` in it kills the process checking it (as a crash in C would)."""
    if b"DIE" in facts["body"]:
        os._exit(70)
    return assess_page(**facts)


class _Unpicklable(RuntimeError):
    def __reduce__(self) -> Any:
        raise TypeError("no pickling")


def raising(**facts: Any) -> Outcome:
    """Fails outside the footer check, with an exception that cannot cross the pipe."""
    raise _Unpicklable("unpicklable failure")
