"""``icpwatch domains import|export``: list files in, every bad line named, lists out again."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from crawler.cli import main
from tests.conftest import SEED_LICENCES

LICENCE = "苏B2-20200928"  # a seed licence whose document lists no website
DOC_LICENCE = "川B2-20200036"  # lists two


def run(db: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(db), *args])


def manual(db: Path, license_no: str = LICENCE) -> list[tuple[str, int]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT host, active FROM domains WHERE license_no = ? AND source = 'manual' "
            "ORDER BY host",
            [license_no],
        ).fetchall()


@pytest.fixture
def db(db_path: Path) -> Path:
    assert run(db_path, "licenses", "load", str(SEED_LICENCES)).exit_code == 0
    return db_path


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_bad_lines_are_named_and_the_good_ones_stored(db: Path, tmp_path: Path) -> None:
    listed = write(
        tmp_path / "list.txt",
        "# our shops\nshop.example.cn\nnot a host\nhttps://www.shop.example.cn/cart\n"
        "m.example.cn\n\x1b]0;pwned\x07.cn\n",
    )
    result = run(db, "domains", "import", listed, "--license", LICENCE)
    assert result.exit_code == 1
    assert f"error: {listed}: line 3: one host per line" in result.stderr
    assert f"error: {listed}: line 6: " in result.stderr and "\x1b" not in result.output
    assert f"note: {listed}: shop.example.cn is listed 2 times (lines 2, 4)" in result.stderr
    assert f"added      {LICENCE} shop.example.cn" in result.stdout
    assert "2 domain(s), 2 added, 0 removed, 2 bad line(s)" in result.stdout
    assert manual(db) == [("m.example.cn", 1), ("shop.example.cn", 1)]
    again = run(db, "domains", "import", write(tmp_path / "ok.txt", "m.example.cn\n"),
                "--license", LICENCE)  # fmt: skip
    assert again.exit_code == 0 and f"unchanged  {LICENCE} m.example.cn" in again.stdout


def test_replace_makes_the_manual_list_exact_and_keeps_the_documents(
    db: Path, tmp_path: Path
) -> None:
    added = run(db, "domains", "add", DOC_LICENCE, "old.example.cn", "keep.example.cn")
    assert added.exit_code == 0
    listed = write(tmp_path / "l.csv", "Domain,site\nkeep.example.cn,x\nnew.example.cn,y\n")
    result = run(db, "domains", "import", listed, "--license", DOC_LICENCE, "--replace")
    assert result.exit_code == 0, result.output
    assert manual(db, DOC_LICENCE) == [
        ("keep.example.cn", 1),
        ("new.example.cn", 1),
        ("old.example.cn", 0),
    ]
    assert f"removed    {DOC_LICENCE} old.example.cn" in result.stdout
    assert "kept 2 domain(s) of the licence document" in result.stdout
    with sqlite3.connect(db) as conn:
        documents = conn.execute(
            "SELECT count(*) FROM domains WHERE license_no = ? AND source = 'document' AND active",
            [DOC_LICENCE],
        ).fetchone()
    assert documents == (2,)


def test_replace_with_a_bad_line_changes_nothing(db: Path, tmp_path: Path) -> None:
    assert run(db, "domains", "add", LICENCE, "old.example.cn").exit_code == 0
    listed = write(tmp_path / "l.txt", "new.example.cn\nbad line here\n")
    result = run(db, "domains", "import", listed, "--license", LICENCE, "--replace")
    assert result.exit_code == 1
    assert "nothing changed: --replace" in result.stderr
    assert manual(db) == [("old.example.cn", 1)]


def test_xlsx_rows_are_reported_by_row(db: Path, tmp_path: Path) -> None:
    book = Workbook()
    cells = {"A1": "DOMAIN", "A2": "a.example.cn", "A4": 42, "A5": "b.example.cn"}
    for ref, value in cells.items():
        book.active[ref] = value
    book.save(tmp_path / "l.xlsx")
    result = run(db, "domains", "import", str(tmp_path / "l.xlsx"), "--license", LICENCE)
    assert result.exit_code == 1
    assert "l.xlsx: row 4: '42' is not a host name" in result.stderr
    assert manual(db) == [("a.example.cn", 1), ("b.example.cn", 1)]


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: write(p / "l.csv", "host\na.example.cn\n"), "no 'domain' column"),
        (lambda p: write(p / "l.txt", ""), "empty file"),
        (lambda p: str(p), "is a directory"),
        (lambda p: (os.mkfifo(p / "fifo"), str(p / "fifo"))[1], "a FIFO"),
        (lambda p: (os.truncate(write(p / "big.txt", ""), 6 * 2**20), str(p / "big.txt"))[1],
         "over the 5 MiB limit"),
        (lambda p: str(p / "missing.txt"), "No such file"),
    ],
)  # fmt: skip
def test_a_file_that_is_no_list_is_a_usage_error(db: Path, tmp_path: Path, make, reason) -> None:
    path = make(tmp_path)
    result = run(db, "domains", "import", path, "--license", LICENCE)
    assert result.exit_code == 2, result.output
    assert reason in result.output
    assert manual(db) == []


def test_unknown_licence_and_bad_number(db: Path, tmp_path: Path) -> None:
    listed = write(tmp_path / "l.txt", "a.example.cn\n")
    unknown = run(db, "domains", "import", listed, "--license", "沪B2-20170001")
    assert unknown.exit_code == 1 and "not in the database" in unknown.stderr
    assert run(db, "domains", "import", listed, "--license", "nonsense").exit_code == 2


@pytest.mark.parametrize("fmt", ["txt", "csv"])
def test_export_round_trips_through_import(db: Path, tmp_path: Path, fmt: str) -> None:
    assert run(db, "domains", "add", LICENCE, "a.example.cn", "例子.中国").exit_code == 0
    out = tmp_path / f"list.{fmt}"
    exported = run(db, "domains", "export", "--license", LICENCE, "--format", fmt, "-o", str(out))
    assert exported.exit_code == 0, exported.output
    assert run(db, "domains", "remove", LICENCE, "a.example.cn").exit_code == 0
    back = run(db, "domains", "import", str(out), "--license", LICENCE, "--replace")
    assert back.exit_code == 0, back.output
    assert manual(db) == [("a.example.cn", 1), ("xn--fsqu00a.xn--fiqs8s", 1)]


def test_export_csv_is_formula_safe(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE domains SET site_name = '=HYPERLINK(\"http://x\")' WHERE license_no = ?",
            [DOC_LICENCE],
        )
    result = run(db, "domains", "export", "--license", DOC_LICENCE, "--format", "csv")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "domain,license_no,source,site_name"
    assert len(lines) == 3 and all(",\"'=HYPERLINK" in line for line in lines[1:])


def test_export_txt_groups_by_licence(db: Path) -> None:
    result = run(db, "domains", "export")
    assert result.exit_code == 0
    assert result.stdout.startswith("# ") and f"# {DOC_LICENCE}\n" in result.stdout
