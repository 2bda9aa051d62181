"""The four real OCR'd licences in tests/data/licences: every field a careful reader can read."""

from __future__ import annotations

from datetime import date

import pytest

from crawler.licences.parser import parse_licence
from tests.conftest import SEED_LICENCES

EXPECTED = {
    "000_ec3a6ef2340836b9.txt": dict(
        license_no="京B2-20252223",
        company="北京踏行天际科技发展有限公司",
        legal_rep="乔庆军",
        issued_on=None,  # printed 2025年 0月 2日: month 0 is never guessed
        expires_on=None,
        issued_raw="2025年 0月 2日",
        expires_raw="2030年 0月 2日",
        services=[
            ("在线数据处理与交易处理业务", "B21", "仅限经营类电子商务"),
            ("信息服务业务", "B25", "仅限互联网信息服务"),
        ],
        websites=[
            (
                "serve24h.com",
                "serve24h.com",
                "北京踏行天际科技发展有限公司",
                "北京市昌平区北七家镇九厂路中国电信大厦",
                "阿里云计算有限公司",
                ("B21", "B25"),
            )
        ],
        warnings=["issue date", "expiry date"],
    ),
    "001_0b8f8b01f59ead7d.txt": dict(
        license_no="苏B2-20200928",
        company="常州五百像素网络科技有限公司",
        legal_rep="柴继军",
        issued_on=date(2022, 3, 16),
        expires_on=date(2025, 7, 30),
        issued_raw="2022 03 16",
        expires_raw="2025 07 30",
        services=[
            ("在线数据处理与交易处理业务", "B21", "仅限经营类电子商务"),
            ("信息服务业务", "B25", "仅限互联网信息服务"),
        ],
        websites=[],
        warnings=["no website"],
    ),
    "002_2d028435e3eea829.txt": dict(
        license_no="陕B2-20210271",
        company="西安朝前智能科技有限公司",
        legal_rep="梁栋",
        issued_on=date(2021, 8, 30),
        expires_on=date(2026, 8, 30),
        issued_raw="2021年08月30日",
        expires_raw="2026年08月30日",
        services=[("信息服务业务", "B25", "仅限互联网信息服务")],
        websites=[
            (
                "chaoqiankeji.com",
                "chaoqiankeji.com",
                "西安朝前智能科技有限公司",
                "北京市",
                "阿里云计算有限公司",
                ("B25",),
            )
        ],
        warnings=[],
    ),
    "003_8e0e6486c24e04c5.txt": dict(
        license_no="川B2-20200036",
        company="成都快购科技有限公司",
        legal_rep="杨远熙",
        issued_on=date(2022, 9, 29),
        expires_on=date(2025, 1, 21),
        issued_raw="2022 年 09 月 29 日",
        expires_raw="2025 年 01 月 21 日",
        services=[
            ("在线数据处理与交易处理业务", "B21", "仅限经营类电子商务"),
            ("信息服务业务", "B25", "仅限互联网信息服务"),
        ],
        websites=[
            (
                host,
                host,
                "成都快购科技有限公司",
                "四川省成都高新区益州大道1666号中国电信中国西部信息中心1层",
                "腾讯云计算(北京)有限责任公司",
                ("B21", "B25"),
            )
            for host in ("kwaigobuy.com", "kwaixiaodian.com")
        ],
        warnings=["lost its province", "differs between listings"],
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_licence(name: str) -> None:
    want = EXPECTED[name]
    licence = parse_licence((SEED_LICENCES / name).read_bytes())
    for key in (
        "license_no",
        "company",
        "legal_rep",
        "issued_on",
        "expires_on",
        "issued_raw",
        "expires_raw",
    ):
        assert getattr(licence, key) == want[key], key
    assert [(s.name, s.code, s.scope) for s in licence.services] == want["services"]
    assert [
        (
            w.host,
            w.registrable_domain,
            w.site_name,
            w.server_location,
            w.access_provider,
            w.services,
        )
        for w in licence.websites
    ] == want["websites"]
    for fragment in want["warnings"]:
        assert any(fragment in w for w in licence.warnings), (fragment, licence.warnings)
    if not want["warnings"]:
        assert licence.warnings == ()


def test_every_real_licence_is_covered() -> None:
    assert sorted(p.name for p in SEED_LICENCES.glob("*.txt")) == sorted(EXPECTED)
