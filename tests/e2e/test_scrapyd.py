"""Scrapyd end to end, the way docs/scheduling.md runs it.

A real ``scrapyd`` on 127.0.0.1 (a free port) with examples/scrapyd/scrapyd.conf in a temporary
folder, the project deployed by ``scrapyd-deploy``, crawls scheduled with ``curl … -d`` and
followed through ``listjobs.json``, the results read from SQLite. Covers the egg's contents, a
crawl of the whole example web, a job without a (usable) database, two jobs at once, and
``cancel.json`` followed by a resuming job.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crawler.testing.example_web import SITES
from tests.e2e import test_crawl_e2e as e2e
from tests.e2e.test_crawl_e2e import LISTED, REPO, SLOW_SITES, TIMEOUT, icpwatch, query

pytestmark = pytest.mark.scrapyd

if not (importlib.util.find_spec("scrapyd") and importlib.util.find_spec("scrapyd_client")):
    if os.environ.get("CI"):
        raise ImportError("scrapyd and scrapyd-client are missing: pip install -e '.[test]'")
    pytest.skip(
        "scrapyd and scrapyd-client are not installed (pip install -e '.[scheduler]')",
        allow_module_level=True,
    )

# The example web, and the slow one with a database of its 120 sites, as the crawl's tests use.
web, slow_web, slow_db = e2e.web, e2e.slow_web, e2e.slow_db

PROJECT = "icpwatch"
BIN = Path(sys.executable).parent  # the venv's scripts: scrapyd-deploy
PACKAGES = [  # the top-level packages pyproject.toml's package discovery includes
    pattern.rstrip("*")
    for pattern in tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]["find"]["include"]
]
DOCS = (REPO / "docs" / "scheduling.md").read_text()
DOC_URL = "http://localhost:6800"  # the docs' Scrapyd; the tests' listens on another port
#: docs/scheduling.md's commands; the tests add ``-d`` fields to them.
SCHEDULE = f"curl {DOC_URL}/schedule.json -d project={PROJECT} -d spider=homepages"
LISTJOBS = f"curl '{DOC_URL}/listjobs.json?project={PROJECT}'"
CANCEL = f"curl {DOC_URL}/cancel.json -d project={PROJECT}"
#: This environment without proxies (curl would send 127.0.0.1 through them) and without
#: SCRAPY*/SCRAPYD* variables (they override scrapyd.conf and the egg's settings module).
ENV = {
    k: v
    for k, v in os.environ.items()
    if not k.lower().endswith("_proxy") and not k.startswith("SCRAPY")
}
#: A crawl of the slow web that lasts long enough to overlap and cancel (4 requests in flight).
SLOW = ("setting=CONCURRENT_REQUESTS=4", "setting=ROBOTSTXT_OBEY=False", "render=never")


class Scrapyd:
    """A running Scrapyd: its folder (config, eggs, logs) and its JSON API, called with curl."""

    def __init__(self, home: Path, port: int, process: subprocess.Popen) -> None:
        self.home = home
        self.url = f"http://127.0.0.1:{port}"
        self.process = process

    def curl(self, command: str, *fields: str) -> dict:
        """A curl line of the docs, sent to this Scrapyd, with ``-d`` for each of ``fields``."""
        args = shlex.split(command.replace(DOC_URL, self.url))
        args += [a for field in fields for a in ("-d", field)]
        result = subprocess.run(
            args, capture_output=True, text=True, env=ENV, timeout=30, check=False
        )
        assert result.returncode == 0, f"{args}: {result.stderr}"
        reply = json.loads(result.stdout)
        assert reply["status"] == "ok", reply
        return reply

    def schedule(self, *fields: str) -> str:
        return self.curl(SCHEDULE, *fields)["jobid"]

    def jobs(self, state: str) -> dict[str, dict]:
        """Jobs in ``pending``, ``running`` or ``finished``, by id."""
        return {job["id"]: job for job in self.curl(LISTJOBS)[state]}

    def log(self, job: str) -> str:
        return (self.home / "logs" / PROJECT / "homepages" / f"{job}.log").read_text()

    def wait_for(self, condition: Callable[[], object], what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None or time.monotonic() > deadline:
                said = (self.home / "scrapyd.out").read_text()[-3000:]
                pytest.fail(f"waited in vain for {what}; scrapyd said:\n{said}")
            time.sleep(0.2)

    def wait_finished(self, *jobs: str, timeout: float = 60) -> None:
        self.wait_for(lambda: set(jobs) <= self.jobs("finished").keys(), f"{jobs}", timeout)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    command = ["curl", "-sSf", "--max-time", "2", f"{url}/daemonstatus.json"]
    return subprocess.run(command, capture_output=True, env=ENV, check=False).returncode == 0


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapyd]:
    """The example scrapyd.conf with a free port and folders of its own; killed at the end."""
    home = tmp_path_factory.mktemp("scrapyd")
    port = _free_port()
    config = configparser.ConfigParser()
    config.read(REPO / "examples" / "scrapyd" / "scrapyd.conf")
    config["scrapyd"].update(
        bind_address="127.0.0.1",
        http_port=str(port),
        eggs_dir=str(home / "eggs"),
        dbs_dir=str(home / "dbs"),
        logs_dir=str(home / "logs"),
        poll_interval="0.2",  # start queued jobs at once
    )
    with (home / "scrapyd.conf").open("w") as f:  # read from the working directory
        config.write(f)
    with (home / "scrapyd.out").open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "scrapyd"],
            cwd=home,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**ENV, "HOME": str(home)},  # no ~/.scrapyd.conf of the user's
            start_new_session=True,  # its jobs join its process group: one kill ends them all
        )
    try:
        server = Scrapyd(home, port, process)
        server.wait_for(lambda: _answers(server.url), "scrapyd to answer", timeout=30)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="module")
def egg(scrapyd: Scrapyd, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``scrapyd-deploy`` as documented, from a copy of the project folder (the build writes
    build/ and *.egg-info there) whose [deploy] url names this Scrapyd; the uploaded egg."""
    project = tmp_path_factory.mktemp("project")
    for name in ("scrapy.cfg", "setup.py", "pyproject.toml", "README.md"):
        shutil.copy(REPO / name, project)
    for package in PACKAGES:
        shutil.copytree(
            REPO / package, project / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    cfg = configparser.ConfigParser()
    cfg.read(project / "scrapy.cfg")
    assert (cfg["deploy"]["project"], cfg["deploy"]["url"]) == (PROJECT, f"{DOC_URL}/")
    cfg["deploy"]["url"] = f"{scrapyd.url}/"
    with (project / "scrapy.cfg").open("w") as f:
        cfg.write(f)
    result = subprocess.run(
        [BIN / "scrapyd-deploy"], cwd=project, capture_output=True, text=True, env=ENV, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "ok", result.stdout
    (egg,) = (scrapyd.home / "eggs" / PROJECT).glob("*.egg")
    return egg


def _rows(db: Path) -> int:
    try:
        return query(db, "select count(*) from checks")[0][0]
    except sqlite3.OperationalError:  # no checks table yet
        return 0


def test_the_docs_show_the_commands_tested_here() -> None:
    for command in ("\nscrapyd-deploy\n", f"{SCHEDULE} -d db=/", LISTJOBS, f"{CANCEL} -d job="):
        assert command in DOCS, command


def test_deploy_packs_every_package_and_the_settings(scrapyd: Scrapyd, egg: Path) -> None:
    with zipfile.ZipFile(egg) as z:
        tops = {name.split("/")[0] for name in z.namelist()}
        # sub-packages and package data too: the CLI, the Datasette metadata
        assert {"crawler/cli/crawl.py", "crawler/datasette/metadata.yaml"} <= set(z.namelist())
        assert not [n for n in z.namelist() if n.startswith("crawler/testing/")]  # a test fake
        entry_points = configparser.ConfigParser()
        entry_points.read_string(z.read("EGG-INFO/entry_points.txt").decode())
    assert set(PACKAGES) <= tops
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "scrapy.cfg")
    assert entry_points["scrapy"]["settings"] == cfg["settings"]["default"]
    reply = scrapyd.curl(f"curl '{DOC_URL}/listspiders.json?project={PROJECT}'")
    assert "homepages" in reply["spiders"]


def test_scheduled_crawl_checks_every_example_site(
    scrapyd: Scrapyd, egg: Path, web, tmp_path: Path
) -> None:
    db = tmp_path / "icpwatch.db"
    assert icpwatch(db, "licenses", "load", str(REPO / "examples" / "licenses")).returncode == 0
    job = scrapyd.schedule(
        f"db={db}",
        f"proxy={web.proxy_url}",
        "render=never",  # the static verdicts, as in test_crawl_e2e
        f"setting=DOWNLOAD_TIMEOUT={TIMEOUT}",
        "license=京B2-20990001,沪B2-20170001",  # raw UTF-8 through curl -d
    )
    scrapyd.wait_finished(job)
    log = scrapyd.log(job)
    assert f"run 1: {len(LISTED)} domain(s) to check in {db}" in log, log[-3000:]
    ((status, targets, options),) = query(db, "select status, targets, options from runs")
    assert (status, targets) == ("finished", len(LISTED))
    options = json.loads(options)
    assert options["licences"] == ["京B2-20990001", "沪B2-20170001"]
    assert options["extra"]["proxy"] == web.proxy_url and options["extra"]["timeout"] == TIMEOUT
    verdicts = dict(query(db, "select host, verdict from checks"))
    assert verdicts == {host: SITES[host].verdict for host in LISTED}


def test_job_without_an_absolute_database_fails_at_once(scrapyd: Scrapyd, egg: Path) -> None:
    missing, relative = scrapyd.schedule(), scrapyd.schedule("db=icpwatch.db")
    scrapyd.wait_finished(missing, relative, timeout=30)
    assert "ERROR: icpwatch: no database given" in scrapyd.log(missing)
    assert "ERROR: icpwatch: db=icpwatch.db is a relative path" in scrapyd.log(relative)
    assert not (scrapyd.home / "icpwatch.db").exists()  # jobs run in Scrapyd's folder


def test_two_jobs_at_once_make_one_run(
    scrapyd: Scrapyd, egg: Path, slow_web, slow_db: Path
) -> None:
    fields = (f"db={slow_db}", f"proxy={slow_web.proxy_url}", *SLOW)
    jobs = {scrapyd.schedule(*fields), scrapyd.schedule(*fields)}
    scrapyd.wait_for(lambda: scrapyd.jobs("finished").keys() & jobs, "the second job to give up")
    (loser,) = scrapyd.jobs("finished").keys() & jobs
    (winner,) = jobs - {loser}
    assert "another crawl (pid" in scrapyd.log(loser)
    running = scrapyd.jobs("running")
    assert winner in running, "the first job goes on"
    assert query(slow_db, "select id, status, pid from runs") == [
        (1, "running", running[winner]["pid"])
    ]
    scrapyd.curl(CANCEL, f"job={winner}")
    scrapyd.wait_finished(winner)
    assert query(slow_db, "select id, status from runs") == [(1, "interrupted")]


def test_cancel_records_interrupted_and_next_job_resumes(
    scrapyd: Scrapyd, egg: Path, slow_web, slow_db: Path
) -> None:
    fields = (f"db={slow_db}", f"proxy={slow_web.proxy_url}")
    first = scrapyd.schedule(*fields, *SLOW)
    scrapyd.wait_for(lambda: _rows(slow_db) >= 10, "the first rows")
    reply = scrapyd.curl(CANCEL, f"job={first}")
    assert reply["prevstate"] == "running"
    scrapyd.wait_finished(first)
    done = _rows(slow_db)
    assert 0 < done < SLOW_SITES
    assert query(slow_db, "select status, targets, error from runs") == [
        ("interrupted", SLOW_SITES, "shutdown")
    ]

    second = scrapyd.schedule(*fields, "setting=ROBOTSTXT_OBEY=False", "render=never")
    scrapyd.wait_finished(second)
    runs = query(slow_db, "select id, status, targets, resumed_from from runs order by id")
    assert runs == [(1, "interrupted", SLOW_SITES, None), (2, "finished", SLOW_SITES - done, 1)]
    assert query(slow_db, "select count(*), count(distinct domain_id) from checks") == [
        (SLOW_SITES, SLOW_SITES)
    ]
