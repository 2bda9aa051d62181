"""Expected filings: reading registry exports (CSV, JSON, ICP_Query's look-up answer) with bad
lines named, ``filings import|add|list``, one row per host with the latest import winning, and
the look-up a crawl target and ``check-html --db`` use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.check.rules import DEFAULT_OFF, Expected
from crawler.cli import main
from crawler.store.database import open_database
from crawler.store.filings import (
    BadFiling,
    UnreadableExport,
    canonical_filing,
    canonical_police,
    expected_for,
    read_filings,
)
from crawler.store.runs import CrawlOptions, select_targets
from tests.unit.test_report import JING, A, B, build

CSV = """domain,filing,police
www.A-Shop.cn,京ICP备 12345678号-1,京公网安备 11010502000001号
bad host,京ICP备1234号
b-shop.cn,not a filing
https://c-shop.cn/index.html,京ＩＣＰ备87654321号
"""
ICP_QUERY = {
    "code": 200,
    "msg": "操作成功",
    "params": {
        "endRow": 1,
        "list": [
            {
                "contentTypeName": "",
                "domain": "baidu.com",
                "domainId": 1,
                "mainLicence": "京ICP证030173号",
                "serviceLicence": "京ICP证030173号-1",
                "unitName": "北京百度网讯科技有限公司",
                "natureName": "企业",
            },
            {"domain": "qq.com", "mainLicence": "粤B2-20090059", "unitName": "深圳市腾讯计算机"},
            "not a record",
            {"domain": "example.cn", "mainLicence": "粤ICP备10000000号"},
        ],
    },
}


def run(db_path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", str(db_path), *args])
    return result.exit_code, result.stdout, result.stderr


def rows(db_path: Path) -> dict[str, dict]:
    code, out, _ = run(db_path, "filings", "list", "--json")
    assert code == 0
    return {r["host"]: r for r in json.loads(out)}


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("京ICP备12345678号", "京ICP备12345678号"),
        ("京ICP备 1234 5678 号-12", "京ICP备12345678号-12"),
        ("粤ＩＣＰ备１２３４５６７８号", "粤ICP备12345678号"),
        ("京icp备12345678", "京ICP备12345678号"),
        ("京ICP证030173号-1", "京ICP证030173号-1"),
        ("粵ICP備12345678號-1", "粤ICP备12345678号-1"),
        ("滬ＩＣＰ備 １２３４５６７８ 號", "沪ICP备12345678号"),
        ("京ICP證030173號", "京ICP证030173号"),
    ],
)
def test_filing_numbers_in_any_written_form(text: str, canonical: str) -> None:
    assert canonical_filing(text) == canonical


#: Province abbreviations whose traditional form differs (陇 is 甘's alternative).
TRADITIONAL_PROVINCES = list(
    zip("滬晉遼蘇閩贛魯粵瓊貴雲陝隴寧", "沪晋辽苏闽赣鲁粤琼贵云陕陇宁", strict=True)
)


@pytest.mark.parametrize(("traditional", "simplified"), TRADITIONAL_PROVINCES)
def test_traditional_province_is_stored_simplified(traditional: str, simplified: str) -> None:
    assert canonical_filing(f"{traditional}ICP備12345678號") == f"{simplified}ICP备12345678号"
    assert canonical_police(f"{traditional}公網安備11010502000001號") == (
        f"{simplified}公网安备11010502000001号"
    )


@pytest.mark.parametrize("text", ["", "ICP备12345678号", "京ICP备12号", "京B2-20252223", "备案中"])
def test_what_is_no_filing_number(text: str) -> None:
    with pytest.raises(BadFiling):
        canonical_filing(text)


@pytest.mark.parametrize(
    "text",
    ["京公网安备 11010502000001 号", "京公網安備11010502000001號", "京 公 網 安 備 11010502000001"],
)
def test_police_numbers(text: str) -> None:
    assert canonical_police(text) == "京公网安备11010502000001号"


def test_what_is_no_police_number() -> None:
    with pytest.raises(BadFiling):
        canonical_police("京公网安备123")


def test_csv_with_a_header_keeps_the_good_lines_and_names_the_bad() -> None:
    records, problems = read_filings(CSV.encode(), "export.csv")
    assert [(r.host, r.filing, r.police) for r in records] == [
        ("a-shop.cn", "京ICP备12345678号-1", "京公网安备11010502000001号"),
        ("c-shop.cn", "京ICP备87654321号", None),
    ]
    assert [p.where for p in problems] == ["line 3", "line 4"]
    assert "bad host" in problems[0].reason and "not a filing" in problems[1].reason


def test_csv_in_traditional_characters_is_stored_simplified() -> None:
    text = "域名,備案號,公網安備\na-shop.cn,粵ICP備12345678號-1,粵公網安備44030502000001號\n"
    records, problems = read_filings(text.encode(), "export.csv")
    assert [(r.host, r.filing, r.police) for r in records] == [
        ("a-shop.cn", "粤ICP备12345678号-1", "粤公网安备44030502000001号")
    ]
    assert problems == []


def test_csv_without_a_header_is_domain_filing_police_and_gbk_reads() -> None:
    text = "# exported 2026-01-01\na-shop.cn,京ICP备12345678号\n\nb-shop.cn,京ICP备2号,x,y\n"
    records, problems = read_filings(text.encode("gb18030"), "export.csv")
    assert [(r.host, r.filing) for r in records] == [("a-shop.cn", "京ICP备12345678号")]
    assert [p.where for p in problems] == ["line 4"]


def test_plain_json_list() -> None:
    data = [
        {
            "domain": "a-shop.cn",
            "filing": "京ICP备12345678号",
            "police": "京公网安备11010502000001号",
        },
        {"host": "b-shop.cn"},
    ]
    records, problems = read_filings(json.dumps(data).encode(), "filings.json")
    assert [r.expected() for r in records] == [
        Expected(filing="京ICP备12345678号", police="京公网安备11010502000001号")
    ]
    assert [(p.where, p.reason) for p in problems] == [("record 2", "b-shop.cn: no filing number")]


def test_icp_query_answer_prefers_the_site_filing_and_keeps_the_unit() -> None:
    records, problems = read_filings(json.dumps(ICP_QUERY, ensure_ascii=False).encode(), "q")
    assert [(r.host, r.filing, r.unit_name) for r in records] == [
        ("baidu.com", "京ICP证030173号-1", "北京百度网讯科技有限公司"),
        ("example.cn", "粤ICP备10000000号", None),
    ]
    assert [p.where for p in problems] == ["record 2", "record 3"]


def test_a_single_wrapped_record_and_other_wrappers() -> None:
    one = {"code": 200, "data": {"domain": "a-shop.cn", "mainLicence": "京ICP备12345678号"}}
    assert [r.host for r in read_filings(json.dumps(one).encode(), "x.json")[0]] == ["a-shop.cn"]
    data = {"data": [{"domain": "b-shop.cn", "serviceLicence": "京ICP备1234567号-2"}]}
    assert [r.filing for r in read_filings(json.dumps(data).encode(), "x.json")[0]] == [
        "京ICP备1234567号-2"
    ]


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"{not json", "x.json"),
        (b'{"code": 500, "msg": "busy"}', "x.json"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "x.csv"),
        (b"domain,filing", "x.xlsx"),
    ],
)
def test_unreadable_exports(data: bytes, name: str) -> None:
    with pytest.raises(UnreadableExport):
        read_filings(data, name)


def test_import_stores_the_good_lines_and_exits_1(db_path: Path, tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(CSV, encoding="utf-8")
    code, out, err = run(db_path, "filings", "import", str(export))
    assert code == 1
    assert "imported 2 filing(s)" in out and "2 bad" in out
    assert f"{export}: line 3: " in err and f"{export}: line 4: " in err
    stored = rows(db_path)
    assert set(stored) == {"a-shop.cn", "c-shop.cn"}
    assert stored["a-shop.cn"]["source_file"] == str(export)
    assert stored["a-shop.cn"]["imported_at"]


def test_import_of_icp_query_json_exits_0_when_all_good(db_path: Path, tmp_path: Path) -> None:
    export = tmp_path / "baidu.json"
    good = {"params": {"list": [ICP_QUERY["params"]["list"][0]]}}
    export.write_text(json.dumps(good, ensure_ascii=False), encoding="utf-8")
    assert run(db_path, "filings", "import", str(export))[0] == 0
    assert rows(db_path)["baidu.com"]["unit_name"] == "北京百度网讯科技有限公司"


@pytest.mark.parametrize(
    ("name", "content"), [("missing.csv", None), ("bad.json", "{oops"), ("x.pdf", "%PDF")]
)
def test_an_unreadable_file_exits_2_and_stores_nothing(
    db_path: Path, tmp_path: Path, name: str, content: str | None
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    code, _, err = run(db_path, "filings", "import", str(path))
    assert code == 2 and err.startswith(f"error: {path}")
    assert not db_path.exists() or rows(db_path) == {}


def test_the_latest_import_wins(db_path: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text(
        "a-shop.cn,京ICP备11111111号,京公网安备11010502000001号\nb-shop.cn,京ICP备22222222号\n"
    )
    second.write_text("www.a-shop.cn,京ICP备33333333号\n")
    assert run(db_path, "filings", "import", str(first))[0] == 0
    assert run(db_path, "filings", "import", str(second))[0] == 0
    stored = rows(db_path)
    assert (stored["a-shop.cn"]["filing"], stored["a-shop.cn"]["police"]) == (
        "京ICP备33333333号",
        None,
    )
    assert stored["a-shop.cn"]["source_file"] == str(second)
    assert stored["b-shop.cn"]["filing"] == "京ICP备22222222号"


def test_add_and_list(db_path: Path) -> None:
    code, out, _ = run(
        db_path, "filings", "add", "HTTPS://WWW.A-Shop.cn/", "京ICP备 12345678号", "--police",
        "京公网安备11010502000001号",
    )  # fmt: skip
    assert code == 0 and out.split() == [
        "stored",
        "a-shop.cn",
        "京ICP备12345678号",
        "京公网安备11010502000001号",
    ]
    assert run(db_path, "filings", "add", "a-shop.cn", "京ICP备87654321号")[0] == 0
    code, out, _ = run(db_path, "filings", "list")
    assert out.splitlines() == ["a-shop.cn  京ICP备87654321号  -"]
    assert rows(db_path)["a-shop.cn"]["source_file"] == "manual"


@pytest.mark.parametrize(
    "args",
    [
        ("not a host", "京ICP备12345678号"),
        ("a-shop.cn", "12345678"),
        ("a-shop.cn", "京ICP备12345678号", "--police", "x"),
    ],
)
def test_add_refuses_bad_input(db_path: Path, args: tuple[str, ...]) -> None:
    assert run(db_path, "filings", "add", *args)[0] == 2


def test_list_on_a_missing_database_is_a_usage_error(db_path: Path) -> None:
    assert run(db_path, "filings", "list")[0] == 2 and not db_path.exists()


def test_targets_and_check_html_see_the_host_filing(db_path: Path) -> None:
    db = build(db_path)
    db["filings"].insert(
        {"host": A, "filing": "京ICP备12345678号", "imported_at": "2026-01-01T00:00:00+00:00"}
    )
    assert {t.rules_off for t in select_targets(db, CrawlOptions())} == {DEFAULT_OFF}
    stamp = "2026-01-01T00:00:00+00:00"
    db["rule_switches"].insert_all(
        [
            {"license_no": JING, "code": "BIZ001", "state": "on", "since": stamp},
            {"license_no": JING, "code": "PSB002", "state": "off", "since": stamp},
        ]
    )
    targets = {t.host: t for t in select_targets(db, CrawlOptions())}
    assert targets[A].expected == Expected(filing="京ICP备12345678号")
    assert targets[B].expected is None
    assert targets[A].rules_off == targets[B].rules_off == frozenset({"PSB002"})
    assert expected_for(db, f"http://www.{A}/") == Expected(filing="京ICP备12345678号")
    assert expected_for(db, B) is None and expected_for(db, "not a host") is None


def test_the_migration_is_rerunnable(db_path: Path) -> None:
    from crawler.store.migrations import m004_filings_and_rules

    db = open_database(db_path)
    m004_filings_and_rules(db)  # again, on a database that has it: no error, same schema
    assert {"filings", "rule_switches"} <= set(db.table_names())
    assert {"rule_results", "rule_failures"} <= set(db.view_names())
    assert "rules" in db["checks"].columns_dict
