"""The external programs a scan goes through (Tesseract, poppler), run bounded in time, with
the two ways reading a scan can fail: a tool not installed, or a file that is not a readable
scan. Both messages are one line naming what to do or what was wrong."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

#: What to install when a tool is missing (Debian / Ubuntu package names).
INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-chi-sim poppler-utils"
#: One page of OCR takes seconds; a tool still busy after this is stuck on a hostile file.
TOOL_TIMEOUT = 120.0
#: What a tool may print (a text layer of a 20-page licence is tens of KB).
MAX_TOOL_OUTPUT = 16 * 1024 * 1024


class ScanToolMissing(RuntimeError):
    """Tesseract, its Chinese model or poppler is not installed; the message names the
    Debian packages."""


class UnreadableScan(ValueError):
    """The file is not a scan icpwatch can read (corrupt, too many pages or pixels, no text)."""


def tool(name: str, package: str) -> str:
    """The path of an installed tool, or :class:`ScanToolMissing` naming its package."""
    found = shutil.which(name)
    if found is None:
        raise ScanToolMissing(f"{name} not found (Debian package {package}): {INSTALL_HINT}")
    return found


def _environment() -> dict[str, str]:
    """One OpenMP thread per Tesseract unless the user chose: measured on this 2-core machine
    under load, 3.5-9.4 s a page instead of 12 s (its threads spin waiting for each other)."""
    return {"OMP_THREAD_LIMIT": "1", **os.environ}


def run_tool(args: list[str], what: str, *, cwd: Path | None = None) -> str:
    """A tool's standard output as text; a crash, a timeout or an error exit is
    :class:`UnreadableScan` with the tool's last error line (``what`` names the step)."""
    try:
        done = subprocess.run(
            args,
            cwd=cwd,
            env=_environment(),
            capture_output=True,
            timeout=TOOL_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise UnreadableScan(f"{what} took over {TOOL_TIMEOUT:.0f} s; gave up") from exc
    if done.returncode != 0:
        errors = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = errors[-1][:200] if errors else f"exit status {done.returncode}"
        raise UnreadableScan(f"{what} failed: {detail}")
    if len(done.stdout) > MAX_TOOL_OUTPUT:
        raise UnreadableScan(f"{what} printed over {MAX_TOOL_OUTPUT // 2**20} MiB")
    return done.stdout.decode("utf-8", "replace")


def tool_version(args: list[str]) -> str:
    """The first line a tool prints for its version (poppler prints it on standard error)."""
    try:
        done = subprocess.run(args, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    lines = (done.stdout + done.stderr).decode("utf-8", "replace").strip().splitlines()
    return lines[0].strip() if lines else "unknown"
