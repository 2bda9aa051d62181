"""``icpwatch licenses`` / ``domains`` end to end through click, on a temporary database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from tests.conftest import SEED_LICENCES
from tests.unit.test_licence_parser import SITES, doc

JSON_KEYS = {
    "license_no",
    "company",
    "legal_rep",
    "issued_on",
    "expires_on",
    "issued_raw",
    "expires_raw",
    "status",
    "services",
    "domains",
    "warnings",
    "source_file",
}
DOMAIN_KEYS = {
    "host",
    "registrable_domain",
    "site_name",
    "server_location",
    "access_provider",
    "services",
    "source",
    "active",
}


def run(db: Path, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, ["--db", str(db), *args], env=env)


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_load_real_licences_twice_changes_nothing(db_path: Path) -> None:
    first = run(db_path, "licenses", "load", str(SEED_LICENCES))
    assert first.exit_code == 0, first.output
    assert first.output.count("new ") == 4
    before = (
        rows(db_path, "select * from licenses order by 1"),
        rows(db_path, "select * from domains"),
    )
    second = run(db_path, "licences", "load", str(SEED_LICENCES))
    assert second.exit_code == 0
    assert second.output.count("unchanged") == 4
    assert (
        rows(db_path, "select * from licenses order by 1"),
        rows(db_path, "select * from domains"),
    ) == before
    assert rows(db_path, "select count(*) from license_documents") == [(4,)]
    status = rows(
        db_path, "select license_no, status, active_domains from license_status order by 1"
    )
    assert status == [
        ("京B2-20252223", "unknown", 1),
        ("川B2-20200036", "expired", 2),
        ("苏B2-20200928", "expired", 0),
        ("陕B2-20210271", "expired", 1),
    ]


def test_broken_files_get_a_line_each_and_the_rest_is_stored(db_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    (folder / "nested").mkdir(parents=True)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "scan.md").write_bytes(b"%PDF-1.4 binary")
    (folder / "minutes.txt").write_text("会议纪要：讨论网站改版。", encoding="utf-8")
    (folder / "nested" / "good.md").write_text(doc(), encoding="gbk")
    (folder / "broken.pdf").write_bytes(b"%PDF")  # a scan now: read, and failing alone
    (folder / "ignored.docx").write_bytes(b"PK\x03\x04")
    result = run(db_path, "licenses", "load", str(folder), str(tmp_path / "nope.txt"))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 6
    for name, reason in [
        ("empty.txt", "empty file"),
        ("scan.md", "name it *.pdf to load it as a scan"),
        ("broken.pdf", ""),
        ("minutes.txt", "no licence number"),
        ("nope.txt", "No such file"),
    ]:
        assert any(name in line and reason in line and "FAILED" in line for line in lines), name
    assert any("good.md" in line and "京B2-20252223" in line for line in lines)
    assert rows(db_path, "select license_no from licenses") == [("京B2-20252223",)]


def test_usage_errors_exit_2(db_path: Path, tmp_path: Path) -> None:
    assert run(db_path, "licenses", "load").exit_code == 2
    assert run(db_path, "licenses", "show", "not-a-number").exit_code == 2
    bad_db = run(tmp_path, "licenses", "list")
    assert bad_db.exit_code == 2 and "is a directory" in bad_db.output


def test_new_version_marks_dropped_domains_removed(db_path: Path, tmp_path: Path) -> None:
    second = SITES.replace("示例网", "第二网").replace("example-shop.cn", "second-shop.cn")
    v1, v2 = tmp_path / "v1.txt", tmp_path / "v2.txt"
    v1.write_text(doc(sites=SITES + "\n\n" + second))
    v2.write_text(doc(sites=second, rep="李四"))
    assert run(db_path, "licenses", "load", str(v1)).exit_code == 0
    result = run(db_path, "licenses", "load", str(v2))
    assert result.exit_code == 0 and "updated" in result.output
    got = rows(db_path, "select host, active, removed_at is not null from domains order by host")
    assert got == [("example-shop.cn", 0, 1), ("second-shop.cn", 1, 0)]
    assert rows(db_path, "select legal_rep, source_file from licenses") == [("李四", str(v2))]
    # the old version comes back: the domain is active again, its row (and id) the same
    ids = rows(db_path, "select id, host from domains order by host")
    assert run(db_path, "licenses", "load", str(v1)).exit_code == 0
    assert rows(db_path, "select id, host from domains order by host") == ids
    assert rows(db_path, "select count(*) from domains where active") == [(2,)]


def test_list_and_show_json(db_path: Path) -> None:
    run(db_path, "licenses", "load", str(SEED_LICENCES))
    listed = json.loads(run(db_path, "licenses", "list", "--json").output)
    assert [item["license_no"] for item in listed] == sorted(item["license_no"] for item in listed)
    assert len(listed) == 4
    for item in listed:
        assert set(item) >= JSON_KEYS
        for d in item["domains"]:
            assert set(d) >= DOMAIN_KEYS
    shown = run(db_path, "licenses", "show", "川Ｂ２－２０２０００３６", "--json")
    assert shown.exit_code == 0
    item = json.loads(shown.output)
    assert item == next(i for i in listed if i["license_no"] == "川B2-20200036")
    assert item["status"] == "expired"
    assert item["issued_on"] == "2022-09-29" and item["issued_raw"] == "2022 年 09 月 29 日"
    assert item["services"][0] == {
        "name": "在线数据处理与交易处理业务",
        "code": "B21",
        "scope": "仅限经营类电子商务",
    }
    assert item["domains"][0] == {
        "host": "kwaigobuy.com",
        "registrable_domain": "kwaigobuy.com",
        "site_name": "成都快购科技有限公司",
        "server_location": "四川省成都高新区益州大道1666号中国电信中国西部信息中心1层",
        "access_provider": "腾讯云计算(北京)有限责任公司",
        "services": ["B21", "B25"],
        "source": "document",
        "active": True,
    }
    text = run(db_path, "licenses", "show", "京B2-20252223")
    assert "2025年 0月 2日" in text.output and "unknown" in text.output
    missing = run(db_path, "licenses", "show", "沪B2-20170001")
    assert missing.exit_code == 1 and "not in the database" in missing.output


def test_manual_domains(db_path: Path) -> None:
    run(db_path, "licenses", "load", str(SEED_LICENCES))
    added = run(
        db_path, "domains", "add", "苏B2-20200928", "HTTPS://WWW.Shop500px.CN/", "m.500px.com.cn"
    )
    assert added.exit_code == 0, added.output
    assert rows(
        db_path,
        "select host, source, active from domains where license_no = '苏B2-20200928' order by host",
    ) == [("m.500px.com.cn", "manual", 1), ("shop500px.cn", "manual", 1)]
    assert "unchanged" in run(db_path, "domains", "add", "苏B2-20200928", "shop500px.cn").output
    removed = run(db_path, "domains", "remove", "苏B2-20200928", "shop500px.cn")
    assert removed.exit_code == 0 and "removed" in removed.output
    assert rows(db_path, "select active from domains where host = 'shop500px.cn'") == [(0,)]
    # reloading the documents leaves manual entries alone
    run(db_path, "licenses", "load", str(SEED_LICENCES))
    assert rows(db_path, "select count(*) from domains where source = 'manual'") == [(2,)]
    bad = run(db_path, "domains", "add", "苏B2-20200928", "ok.cn", "not a host")
    assert bad.exit_code == 2 and "not a host" in bad.output
    assert rows(db_path, "select count(*) from domains where host = 'ok.cn'") == [(0,)]
    unknown = run(db_path, "domains", "add", "沪B2-20170001", "ok.cn")
    assert unknown.exit_code == 1 and "not in the database" in unknown.output


@pytest.mark.parametrize("alias", ["licenses", "licences"])
def test_db_from_environment(alias: str, db_path: Path) -> None:
    result = CliRunner().invoke(
        main, [alias, "load", str(SEED_LICENCES)], env={"ICPWATCH_DB": str(db_path)}
    )
    assert result.exit_code == 0
    assert rows(db_path, "select count(*) from licenses") == [(4,)]
