"""The progress display: on a terminal every redraw fits its width; off one, plain log lines."""

from __future__ import annotations

import io
import re
from collections import Counter

import pytest

from crawler.fetch.progress import ProgressDisplay, progress_line

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
COUNTS = Counter(
    {v: 1000 + i for i, v in enumerate(["compliant", "missing", "unreachable", "http_error",
                                         "wrong_number", "blocked", "not_html", "label_only"])}
)  # fmt: skip


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("columns", [40, 80, 160])
def test_on_a_terminal_every_line_fits_the_width(monkeypatch, columns: int) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    screen = Terminal()
    display = ProgressDisplay(screen, interval=10)
    for done in (0, 5_000, 20_000):
        display.show(done, 20_000, COUNTS, force=True)
    display.close(20_000, 20_000, COUNTS)
    redraws = ANSI.sub("", screen.getvalue()).replace("\r", "\n").splitlines()
    lines = [line for line in redraws if line.strip()]
    assert lines
    assert max(len(line) for line in lines) <= columns
    assert all("━" in line for line in lines), lines  # one line a redraw: nothing wrapped
    assert any("20000/20000" in line for line in lines)


def test_off_a_terminal_lines_go_to_emit_at_most_once_an_interval() -> None:
    lines: list[str] = []
    display = ProgressDisplay(io.StringIO(), interval=60, emit=lines.append)
    for done in range(100):
        display.show(done, 100, Counter(compliant=done))
    display.close(100, 100, Counter(compliant=100))
    assert len(lines) == 2  # the first call, then the final state
    assert lines[-1].startswith("[========================] 100/100 ")
    assert lines[-1].endswith("compliant 100")


def test_progress_line() -> None:
    line = progress_line(50, 200, 10.0, Counter(compliant=30, missing=20))
    assert line == "[======>                 ] 50/200  5.0/s  compliant 30 · missing 20"
