"""``icpwatch rules off|on|list``: per-licence switches, stored with who and why; an unknown
code or licence number is a usage error, an unknown licence exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.store.filings import ISSUE_RULE_CODES, known_rule_codes
from tests.unit.test_report import HU, JING, build


def run(db_path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", str(db_path), "rules", *args])
    return result.exit_code, result.stdout, result.stderr


def switches(db_path: Path, *number: str) -> list[tuple[str, str]]:
    code, out, _ = run(db_path, "list", "--json", *number)
    assert code == 0
    return [(r["license_no"], r["code"], r["state"]) for r in json.loads(out)]


@pytest.fixture
def db_path(db_path: Path) -> Path:
    build(db_path).close()
    return db_path


def test_the_issue_codes_are_known() -> None:
    assert set(ISSUE_RULE_CODES) <= set(known_rule_codes())


def test_off_on_and_list(db_path: Path) -> None:
    code, out, _ = run(
        db_path, "off", "京Ｂ２－20252223", "icp003", "PSB002", "--by", "li", "--why", "no filing"
    )
    assert code == 0
    assert out.splitlines() == [f"off        {JING} ICP003", f"off        {JING} PSB002"]
    assert run(db_path, "off", JING, "ICP003")[1].startswith("unchanged")
    assert run(db_path, "off", HU, "PSB002")[0] == 0
    assert switches(db_path) == [
        (JING, "ICP003", "off"),
        (JING, "PSB002", "off"),
        (HU, "PSB002", "off"),
    ]
    assert switches(db_path, JING) == [(JING, "ICP003", "off"), (JING, "PSB002", "off")]
    code, out, _ = run(db_path, "list", JING)
    assert code == 0 and f"{JING}  ICP003  off since " in out and "li · no filing" in out

    code, out, _ = run(db_path, "on", JING, "PSB002", "ICP001")
    assert out.splitlines() == [f"on         {JING} PSB002", f"unchanged  {JING} ICP001"]
    assert (JING, "PSB002", "on") in switches(db_path)


def test_biz001_is_off_until_a_licence_switches_it_on(db_path: Path) -> None:
    """《电子商务法》 binds e-commerce operators only: BIZ001 is switched on per licence."""
    code, out, _ = run(db_path, "on", JING, "BIZ001", "--why", "online shop")
    assert code == 0 and out.splitlines() == [f"on         {JING} BIZ001"]
    assert run(db_path, "on", JING, "BIZ001")[1].startswith("unchanged")
    assert run(db_path, "off", HU, "BIZ001")[1].startswith("unchanged")  # off already
    assert switches(db_path) == [(JING, "BIZ001", "on"), (HU, "BIZ001", "off")]


def test_comma_lists_and_repeats(db_path: Path) -> None:
    assert run(db_path, "off", JING, "ICP001,icp002", "ICP001")[0] == 0
    assert switches(db_path) == [(JING, "ICP001", "off"), (JING, "ICP002", "off")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("off", JING, "XYZ001"), "'XYZ001' is not a rule code"),
        (("on", JING, "ICP*"), "is not a rule code"),
        (("off", JING), "Missing argument"),
        (("off", "not-a-number", "BIZ001"), "NUMBER"),
    ],
)
def test_usage_errors(db_path: Path, args: tuple[str, ...], message: str) -> None:
    code, _, err = run(db_path, *args)
    assert code == 2 and message in err
    assert switches(db_path) == []


def test_an_unknown_licence_exits_1(db_path: Path) -> None:
    code, _, err = run(db_path, "off", "京B2-29999999", "BIZ001")
    assert code == 1 and err == "error: licence 京B2-29999999 is not in the database\n"


def test_list_names_the_known_codes(db_path: Path) -> None:
    code, out, _ = run(db_path, "list")
    assert code == 0
    assert out.splitlines() == [
        f"rules: {' '.join(known_rule_codes())}; off unless switched on: BIZ001",
        "no licence has a switch",
    ]
