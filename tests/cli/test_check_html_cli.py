"""``icpwatch check-html``: exit codes, JSON shape and messages (click's CliRunner)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main

EXP = "京B2-20252223"
FOOTER = (
    "<html><body><p>正文</p><div class='footer'>"
    f"增值电信业务经营许可证：{EXP}-1 京ICP备20252223号-1</div></body></html>"
)
KEYS = {
    "verdict",
    "near_miss",
    "expected",
    "displayed",
    "hidden",
    "filings",
    "police_filings",
    "miit_link",
    "company_shown",
    "notes",
    "label_links",
    "encoding",
    "rules",
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _write(tmp_path: Path, html: str | bytes, name: str = "page.html") -> Path:
    path = tmp_path / name
    if isinstance(html, str):
        path.write_text(html, encoding="utf-8")
    else:
        path.write_bytes(html)
    return path


def _run(runner: CliRunner, *args: str):
    return runner.invoke(main, ["check-html", *args], catch_exceptions=False)


def test_json_output_has_the_documented_keys(runner: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, FOOTER)
    result = _run(runner, str(path), "--license", EXP, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= KEYS
    assert data["verdict"] == "compliant"
    assert data["expected"] == EXP
    assert data["near_miss"] is False
    assert [d["raw"] for d in data["displayed"]] == [f"{EXP}-1"]
    assert data["filings"] == ["京ICP备20252223号-1"]
    assert data["company_shown"] is None
    assert data["encoding"] == "utf-8"
    assert "shown with site suffix -1" in " ".join(data["notes"])


def test_json_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    result = _run(runner, str(_write(tmp_path, FOOTER)), "--license", EXP, "--json")
    assert result.output.count("\n") == 1


@pytest.mark.parametrize(
    ("html", "licence", "verdict"),
    [
        (FOOTER, EXP, "compliant"),
        (FOOTER, "沪B2-20170116", "wrong_number"),
        (FOOTER.replace(EXP, "京B2-20252232"), EXP, "wrong_number"),
        ("<html><body><!-- 京B2-20252223 --></body></html>", EXP, "hidden"),
        ("<html><body>京ICP备20252223号</body></html>", EXP, "missing"),
        ("<html><body><a href='/l.jpg'>经营许可证</a></body></html>", EXP, "label_only"),
        (
            "<html><body><div id='app'></div><script src='/a.js'></script></body></html>",
            EXP,
            "needs_render",
        ),
    ],
)
def test_exit_zero_whatever_the_verdict(runner, tmp_path, html, licence, verdict) -> None:
    result = _run(runner, str(_write(tmp_path, html)), "--license", licence, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verdict"] == verdict


def test_licence_is_normalised(runner: CliRunner, tmp_path: Path) -> None:
    result = _run(
        runner, str(_write(tmp_path, FOOTER)), "--license", "京Ｂ２－２０２５２２２３", "--json"
    )
    assert result.exit_code == 0
    assert json.loads(result.output)["expected"] == EXP


def test_readable_output(runner: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, FOOTER)
    result = _run(runner, str(path), "--license", EXP, "--company", "某某公司")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == f"{path}: compliant"
    assert f"expected: {EXP}" in lines
    assert any(line.strip().startswith(f"= {EXP}") and "footer" in line for line in lines)
    assert "ICP filings: 京ICP备20252223号-1" in lines
    assert "company 某某公司: shown no" in lines
    assert any(line.startswith("note: shown with site suffix -1") for line in lines)


def test_company_and_url_options(runner: CliRunner, tmp_path: Path) -> None:
    html = (
        "<html><body><footer>北京某某科技有限公司 <a href='lic.jpg'>ICP证</a></footer>"
        "</body></html>"
    )
    path = _write(tmp_path, html)
    result = _run(
        runner,
        str(path),
        "--license",
        EXP,
        "--company",
        "北京某某科技有限公司",
        "--url",
        "https://www.example.cn/a/",
        "--json",
    )
    data = json.loads(result.output)
    assert data["verdict"] == "label_only"
    assert data["company_shown"] is True
    assert data["label_links"][0]["href"] == "https://www.example.cn/a/lic.jpg"


def test_encoding_hint_option(runner: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, f"<html><body><footer>{EXP}</footer></body></html>".encode("gbk"))
    result = _run(runner, str(path), "--license", EXP, "--encoding", "gb2312", "--json")
    data = json.loads(result.output)
    assert (data["verdict"], data["encoding"]) == ("compliant", "gb18030")


@pytest.mark.parametrize(
    "bad", ["京B2-2025222", "京B2-202522231", "京ICP备20252223号", "hello", ""]
)
def test_bad_licence_exits_2_naming_it(runner: CliRunner, tmp_path: Path, bad: str) -> None:
    result = _run(runner, str(_write(tmp_path, FOOTER)), "--license", bad)
    assert result.exit_code == 2
    assert "--license" in result.output
    assert repr(bad) in result.output


def test_missing_file_exits_2_naming_it(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nope.html"
    result = _run(runner, str(missing), "--license", EXP)
    assert result.exit_code == 2
    assert "FILE" in result.output and str(missing) in result.output


def test_directory_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = _run(runner, str(tmp_path), "--license", EXP)
    assert result.exit_code == 2
    assert "directory" in result.output and str(tmp_path) in result.output


def test_unreadable_file_exits_2(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    path = _write(tmp_path, FOOTER)

    def deny(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", deny)
    result = _run(runner, str(path), "--license", EXP)
    assert result.exit_code == 2
    assert "Permission denied" in result.output and str(path) in result.output


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["page.html"],
        ["--license", EXP],
        ["page.html", "--license", EXP, "--bogus"],
        ["page.html", "other.html", "--license", EXP],
    ],
)
def test_bad_arguments_exit_2(runner: CliRunner, tmp_path: Path, monkeypatch, args) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, FOOTER)
    result = _run(runner, *args)
    assert result.exit_code == 2


def test_help(runner: CliRunner) -> None:
    result = _run(runner, "--help")
    assert result.exit_code == 0
    assert "--license" in result.output and "--json" in result.output


def test_check_failure_is_one_error_line_and_exit_1(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("chr() arg not in range(0x110000)\nsecond line")

    module = sys.modules["crawler.cli.check_html"]  # the package re-exports the command's name
    monkeypatch.setattr(module, "check_page", broken)
    path = _write(tmp_path, FOOTER)
    result = runner.invoke(main, ["check-html", str(path), "--license", EXP])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"error: {path}: ValueError: chr() arg not in range(0x110000) second line"
    )
    assert "Traceback" not in result.output


CODES = ["LIC001", "ICP001", "ICP002", "ICP003", "PSB001", "PSB002", "PSB003", "BIZ001"]


def _rules(result) -> dict[str, dict]:
    assert result.exit_code == 0, result.output
    return {r["code"]: r for r in json.loads(result.output)["rules"]}


def test_json_shows_every_rule(runner: CliRunner, tmp_path: Path) -> None:
    result = _run(runner, str(_write(tmp_path, FOOTER)), "--license", EXP, "--json")
    rules = json.loads(result.output)["rules"]
    assert [r["code"] for r in rules] == CODES
    by_code = {r["code"]: r for r in rules}
    assert by_code["LIC001"]["status"] == "pass"
    assert by_code["ICP001"] == {
        "code": "ICP001",
        "status": "pass",
        "message": "ICP filing number shown (visible text; placement at the bottom not checked)",
        "evidence": ["京ICP备20252223号-1"],
    }
    assert by_code["ICP002"]["status"] == "fail"  # no link to beian.miit.gov.cn
    assert by_code["ICP003"]["status"] == "unknown"  # no --filing


@pytest.mark.parametrize(
    ("filing", "status"),
    [("京ICP备20252223号", "pass"), ("京 ICP 备 20252223", "pass"), ("京ICP备20252224号", "fail")],
)
def test_filing_option_gives_icp003(runner, tmp_path, filing: str, status: str) -> None:
    path = str(_write(tmp_path, FOOTER))
    rules = _rules(_run(runner, path, "--license", EXP, "--filing", filing, "--json"))
    assert rules["ICP003"]["status"] == status


def test_police_option_gives_psb003(runner: CliRunner, tmp_path: Path) -> None:
    html = FOOTER.replace("</div>", " 京公网安备11010502000001号</div>")
    path = str(_write(tmp_path, html))
    args = ["--license", EXP, "--json", "--police"]
    assert _rules(_run(runner, path, *args, "京公网安备11010502000001号"))["PSB003"]["status"] == (
        "pass"
    )
    assert _rules(_run(runner, path, *args, "京公网安备11010502000009号"))["PSB003"]["status"] == (
        "fail"
    )


@pytest.mark.parametrize(
    ("option", "bad"), [("--filing", EXP), ("--filing", "12345678"), ("--police", "京ICP备1号")]
)
def test_bad_expected_filing_exits_2_naming_it(runner, tmp_path, option: str, bad: str) -> None:
    result = _run(runner, str(_write(tmp_path, FOOTER)), "--license", EXP, option, bad)
    assert result.exit_code == 2
    assert option in result.output and repr(bad) in result.output


def test_readable_output_lists_each_rule(runner: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, FOOTER)
    result = _run(runner, str(path), "--license", EXP, "--filing", "京ICP备20252223号")
    lines = result.output.splitlines()
    start = lines.index("rules:")
    listed = [
        line.split()[:2]
        for line in lines[start + 1 :]
        if line.startswith("  ") and line.split()[0] in CODES
    ]
    assert [code for code, _ in listed] == CODES
    assert dict(listed)["ICP003"] == "pass" and dict(listed)["PSB002"] == "not_applicable"


def test_url_looks_up_the_hosts_imported_filing(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--db DB check-html --url http://HOST/``: ICP003 compares with HOST's imported filing."""
    db = tmp_path / "icpwatch.db"
    assert runner.invoke(main, ["--db", str(db), "filings", "add", "shop.example.cn",
                                "京ICP备12345678号"]).exit_code == 0  # fmt: skip
    page = _write(tmp_path, FOOTER.replace("京ICP备20252223号-1", "京ICP备12345678号"))

    def icp003(*args: str, url: str | None = None) -> str:
        check = ["check-html", str(page), "--license", EXP, "--json", *(["--url", url] * bool(url))]
        result = runner.invoke(main, [*args, *check])
        assert result.exit_code == 0, result.output
        rules = {r["code"]: r for r in json.loads(result.stdout)["rules"]}
        return rules["ICP003"]["status"]

    assert icp003("--db", str(db)) == "unknown"  # no --url: no host to look up
    assert icp003("--db", str(db), url="http://www.shop.example.cn/") == "pass"
    assert icp003("--db", str(db), url="http://other.example.cn/") == "unknown"
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")
    assert icp003(url="http://shop.example.cn/") == "unknown"  # the default database is absent
    assert not (tmp_path / "empty" / "icpwatch.db").exists()
