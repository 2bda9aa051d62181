"""``--redis`` and ``--proxy`` of ``crawl`` and ``worker``: either URL may carry a password, and a
command line is public (``ps``, ``/proc/PID/cmdline``), so each also comes from the environment
(``ICPWATCH_REDIS``, ``ICPWATCH_PROXY``) or from a file only its owner may read (``--redis-file``,
``ICPWATCH_REDIS_FILE``, …; systemd's ``LoadCredential=`` makes one)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])
#: More than any URL needs: a file this long is the wrong file.
MAX_URL_FILE_BYTES = 8192


def url_options(name: str, dest: str, help: str) -> Callable[[F], F]:
    """``--NAME URL`` (or ``$ICPWATCH_NAME``) into ``dest``, and ``--NAME-file PATH`` (or
    ``$ICPWATCH_NAME_FILE``) into ``NAME_file``; the command turns them into one URL with
    :func:`secret_url`."""
    env = f"ICPWATCH_{name.upper()}"

    def decorate(f: F) -> F:
        f = click.option(
            f"--{name}-file",
            f"{name}_file",
            metavar="PATH",
            envvar=f"{env}_FILE",
            show_envvar=True,
            type=click.Path(dir_okay=False),
            help=f"Read the --{name} URL from this file, readable by its owner only: "
            "no password on the command line.",
        )(f)
        return click.option(
            f"--{name}", dest, metavar="URL", envvar=env, show_envvar=True, help=help
        )(f)

    return decorate


def _private(path: Path) -> bool:
    """Only the owner may read or write ``path``, or systemd keeps it: a credential in
    ``$CREDENTIALS_DIRECTORY`` is readable by the service's user alone, whatever its mode bits
    say (they may show the ACL's group entry)."""
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    if credentials and path.resolve().is_relative_to(Path(credentials).resolve()):
        return True
    return not path.stat().st_mode & 0o077


def secret_url(value: str | None, file: str | None, name: str) -> str | None:
    """The ``--NAME`` URL (command line or environment), or the one in ``--NAME-file`` (stripped);
    never both. A file that others may read is refused, as ssh refuses such a key."""
    if file is None:
        return value
    option = f"--{name}-file"
    if value is not None:
        raise click.UsageError(
            f"give --{name} (or ICPWATCH_{name.upper()}) or {option} "
            f"(or ICPWATCH_{name.upper()}_FILE), not both"
        )
    path = Path(file)
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise click.BadParameter(f"{file} is not a regular file", param_hint=option)
        if not _private(path):
            mode = stat.S_IMODE(path.stat().st_mode)
            raise click.BadParameter(
                f"{file} may be read by others (mode {mode:04o}): chmod 600 it",
                param_hint=option,
            )
        with path.open("rb") as stream:
            data = stream.read(MAX_URL_FILE_BYTES + 1)
    except OSError as exc:
        raise click.BadParameter(f"cannot read {file}: {exc.strerror}", param_hint=option) from None
    try:
        url = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        url = ""
    if not url or len(data) > MAX_URL_FILE_BYTES or any(c.isspace() for c in url):
        # never quote the content: it is a secret, even when it is the wrong one
        raise click.BadParameter(f"{file} must hold one URL and nothing else", param_hint=option)
    return url
