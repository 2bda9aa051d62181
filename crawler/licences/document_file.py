"""Reading one licence file from disk, bounded: the checks every document (text or scan) passes
before its bytes are read, so a FIFO, a device or a huge file fails alone with one clear line."""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: A licence document is a few KB of OCR text; anything this big is not one.
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
_NOT_REGULAR = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class UnreadableDocument(ValueError):
    """Not something to read as a document: not a regular file, or too big."""


def _regular(st: os.stat_result, limit: int) -> None:
    for test, kind in _NOT_REGULAR:
        if test(st.st_mode):
            raise UnreadableDocument(f"{kind}, not a regular file")
    if not stat.S_ISREG(st.st_mode):
        raise UnreadableDocument("not a regular file")
    if st.st_size > limit:
        raise UnreadableDocument(f"{st.st_size:,} bytes, over the {limit // 2**20} MiB limit")


def read_document(path: Path, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes. Checked before opening (a FIFO
    would block, /dev/zero never ends) and again on the open file, in case it was swapped."""
    _regular(os.stat(path), limit)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as stream:
        _regular(os.fstat(stream.fileno()), limit)
        data = stream.read(limit + 1)
    if len(data) > limit:  # it grew while we read
        raise UnreadableDocument(f"over the {limit // 2**20} MiB limit")
    return data
