"""The licence parser on synthetic documents: one table per rule, in every layout we know."""

from __future__ import annotations

from datetime import date

import pytest

from crawler.licences.parser import NotALicence, decode_document, parse_date, parse_licence

BODY = """中华人民共和国 增值电信业务经营许可证

经营许可证编号：{number}

公司名称：{company}

法定代表人：{rep}

业务种类
(服务项目)
及覆盖范围：

{services}

发证机关(盖章):

{dates}

经营许可证编号：{number2}

中华人民共和国增值电信业务经营许可证
(附页)

{company}获准经营{annex_service}相关信息

{sites}

经营许可证编号：{number3}

特别规定事项

二、你公司应当在公司主要经营场所、网站主页、业务宣传手册等显著位置标明经营许可证编号。
十六、你公司在经营信息服务业务时不得开展固定网电话信息服务业务。
"""

SITES = """网站名称：示例网

网站域名：example-shop.cn

服务器放置地：北京市

网站接入服务提供单位：阿里云计算有限公司"""


def doc(
    number: str = "京B2-20252223",
    number2: str | None = None,
    number3: str | None = None,
    company: str = "北京示例科技有限公司",
    rep: str = "张三",
    services: str = "信息服务业务（仅限互联网信息服务）",
    dates: str = "发证日期：2021年08月30日\n\n有效期至：2026年08月30日",
    sites: str = SITES,
    annex_service: str | None = None,
) -> str:
    return BODY.format(
        number=number,
        number2=number2 or number,
        number3=number3 or number,
        company=company,
        rep=rep,
        services=services,
        dates=dates,
        sites=sites,
        annex_service=annex_service or services.split("\n")[0],
    )


# --- licence numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("京B2-20252223", "京B2-20252223"),
        ("B2-20180123", "B2-20180123"),
        ("A2.B1.B2-20090003", "A2.B1.B2-20090003"),
        ("京ICP证030173号", "京ICP证030173号"),
        ("粤Ｂ２－２０１９０４５６", "粤B2-20190456"),
        ("京 B2 - 2025 2223", "京B2-20252223"),
        ("京B2—20252223", "京B2-20252223"),
        ("京B2–20252223", "京B2-20252223"),
        ("**京B2-20252223**", "京B2-20252223"),
        ("沪Ｂ１．Ｂ２－２０１７０００１", "沪B1.B2-20170001"),
    ],
)
def test_number_forms(written: str, expected: str) -> None:
    licence = parse_licence(doc(number=written, number2=written, number3=written))
    assert licence.license_no == expected
    assert not [w for w in licence.warnings if w.startswith("licence number")]


@pytest.mark.parametrize(
    ("number2", "number3", "damage"),
    [
        ("///B2-20252223", None, "lost its province"),
        ("京B2-2O252223", None, "letters for digits"),
        ("京B2-2025222l", None, "letters for digits"),
        ("B2-20252223", "京B2-20252223", "without its province"),
    ],
)
def test_damaged_copy_takes_the_agreed_value_and_warns(
    number2: str, number3: str | None, damage: str
) -> None:
    licence = parse_licence(doc(number="京B2-20252223", number2=number2, number3=number3))
    assert licence.license_no == "京B2-20252223"
    assert any(damage in w and "京B2-20252223" in w for w in licence.warnings), licence.warnings


def test_only_damaged_copies_is_never_guessed() -> None:
    damaged = "京B2-2O252223"
    with pytest.raises(NotALicence, match="damaged"):
        parse_licence(doc(number=damaged, number2=damaged, number3=damaged))


def test_disagreeing_clean_numbers_keep_the_majority_and_warn() -> None:
    licence = parse_licence(
        doc(number="京B2-20252223", number2="京B2-20252223", number3="沪B2-20170001")
    )
    assert licence.license_no == "京B2-20252223"
    assert any("沪B2-20170001" in w for w in licence.warnings)


# --- labels and values --------------------------------------------------------------------


@pytest.mark.parametrize(
    "dates",
    [
        "发证日期：2021年08月30日\n有效期至：2026年08月30日",
        "发证日期:2021年08月30日\n有效期至:2026年08月30日",
        "发 证 日 期 ：2021年08月30日\n有 效 期 至：2026年08月30日",
        "发证日期：\n\n2021年08月30日\n\n有效期至：\n\n2026年08月30日",
        "发证日期:\n有效期至:\n\n\n2021年08月30日\n2026年08月30日",
        "发 证 期:\n有效期至:\n\n2021 年 08 月 30 日\n\n2026 年 08 月 30 日",
        "**发证日期**：**2021年08月30日**\n**有效期至**：**2026年08月30日**",
        "| 发证日期 | 2021年08月30日 |\n| 有效期至 | 2026年08月30日 |",
    ],
)
def test_date_labels_in_every_layout(dates: str) -> None:
    licence = parse_licence(doc(dates=dates))
    assert (licence.issued_on, licence.expires_on) == (date(2021, 8, 30), date(2026, 8, 30))
    assert licence.issued_raw and "2021" in licence.issued_raw


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021年08月30日", date(2021, 8, 30)),
        ("2021年8月3日", date(2021, 8, 3)),
        ("2021 年 08 月 30 日", date(2021, 8, 30)),
        ("2022 03 16", date(2022, 3, 16)),
        ("2023-05-10", date(2023, 5, 10)),
        ("2023.05.10", date(2023, 5, 10)),
        ("2023/5/10", date(2023, 5, 10)),
        ("2025年 0月 2日", None),
        ("2025年02月30日", None),
        ("2025年13月01日", None),
        ("年 月 日", None),
    ],
)
def test_date_formats(raw: str, expected: date | None) -> None:
    assert parse_date(raw) == expected


def test_impossible_date_keeps_raw_text_and_warns() -> None:
    licence = parse_licence(doc(dates="发证日期：2025年 0月 2日\n有效期至：2030年 0月 2日"))
    assert licence.issued_on is None and licence.expires_on is None
    assert (licence.issued_raw, licence.expires_raw) == ("2025年 0月 2日", "2030年 0月 2日")
    assert sum("not a valid date" in w for w in licence.warnings) == 2


@pytest.mark.parametrize(
    ("company", "rep", "want_company", "want_rep"),
    [
        ("北京示例科技有限公司", "陈 伟 强", "北京示例科技有限公司", "陈伟强"),
        ("**北京示例科技有限公司**", "林　晓", "北京示例科技有限公司", "林晓"),
        ("北京 示例 科技 有限公司", "Zhang San", "北京示例科技有限公司", "Zhang San"),
        ("腾讯云计算（北京）有限责任公司", "王五", "腾讯云计算(北京)有限责任公司", "王五"),
    ],
)
def test_names_lose_ocr_spaces_and_markup(
    company: str, rep: str, want_company: str, want_rep: str
) -> None:
    licence = parse_licence(doc(company=company, rep=rep))
    assert (licence.company, licence.legal_rep) == (want_company, want_rep)


@pytest.mark.parametrize("gap", ["    ", " ", "\u3000\u3000"])
def test_two_column_certificate_rows_are_two_fields(gap: str) -> None:
    """A two-column certificate read row by row (a PDF text layer, OCR): two label:value pairs
    in one line."""
    text = (
        doc()
        .replace(
            "公司名称：北京示例科技有限公司",
            f"公司名称：北京示例科技有限公司{gap}发证日期：2021年08月30日",
        )
        .replace("法定代表人：张三", f"法定代表人：张三{gap}有效期至：2026年08月30日")
    )
    text = text.replace("发证日期：2021年08月30日\n\n有效期至：2026年08月30日", "")
    lic = parse_licence(text)
    assert (lic.company, lic.legal_rep) == ("北京示例科技有限公司", "张三")
    assert (lic.issued_on, lic.expires_on) == (date(2021, 8, 30), date(2026, 8, 30))


def test_a_label_word_inside_a_value_does_not_split_it() -> None:
    lic = parse_licence(doc(company="北京网站名称科技有限公司"))
    assert lic.company == "北京网站名称科技有限公司"


def test_wrapped_server_address_is_joined() -> None:
    sites = SITES.replace(
        "服务器放置地：北京市",
        "服务器放置地:四川省成都高新区益州大道1666号中国电信中国\n\n西部信息中心1层",
    )
    (site,) = parse_licence(doc(sites=sites)).websites
    assert site.server_location == "四川省成都高新区益州大道1666号中国电信中国西部信息中心1层"
    assert site.access_provider == "阿里云计算有限公司"


def test_labels_first_then_values_for_a_website() -> None:
    sites = "\n".join(
        [
            "网站名称：",
            "网站域名：",
            "服务器放置地：",
            "网站接入服务提供单位：",
            "示例网",
            "example-shop.cn",
            "北京市",
            "阿里云计算有限公司",
        ]
    )
    (site,) = parse_licence(doc(sites=sites)).websites
    assert (site.site_name, site.host, site.server_location, site.access_provider) == (
        "示例网",
        "example-shop.cn",
        "北京市",
        "阿里云计算有限公司",
    )


# --- services -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("信息服务业务（仅限互联网信息服务）", ["B25"]),
        (
            "在线数据处理与交易处理业务(仅限经营类电子商务)\n信息服务业务(仅限互联网信息服务)",
            ["B21", "B25"],
        ),
        ("互联网数据中心业务\n内容分发网络业务\n互联网接入服务业务", ["B11", "B12", "B14"]),
        ("国内互联网虚拟专用网业务、国内多方通信服务业务、存储转发类业务", ["B13", "B22", "B23"]),
        ("国内呼叫中心业务\n编码和规程转换业务", ["B24", "B26"]),
        ("信息服务业务(仅限互联网\n信息服务)", ["B25"]),
    ],
)
def test_services_map_to_catalogue_codes(text: str, codes: list[str]) -> None:
    licence = parse_licence(doc(services=text, annex_service=text))
    assert [s.code for s in licence.services] == codes


def test_service_scope_is_read_and_provisions_are_not_services() -> None:
    licence = parse_licence(
        doc(
            services="在线数据处理与交易处理业务(仅限经营类电子商务)",
            annex_service="信息服务业务(仅限互联网信息服务)",
        )
    )
    # 固定网电话信息服务业务 in the special provisions is not a licensed service; the 附页
    # heading adds 信息服务业务 with its scope.
    assert [(s.name, s.code, s.scope) for s in licence.services] == [
        ("在线数据处理与交易处理业务", "B21", "仅限经营类电子商务"),
        ("信息服务业务", "B25", "仅限互联网信息服务"),
    ]


# --- domains ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "hosts"),
    [
        ("a-shop.cn、b-shop.com.cn", ["a-shop.cn", "b-shop.com.cn"]),
        (
            "a-shop.cn，b-shop.cn,c-shop.cn；d-shop.cn;e-shop.cn",
            ["a-shop.cn", "b-shop.cn", "c-shop.cn", "d-shop.cn", "e-shop.cn"],
        ),
        ("a-shop.cn b-shop.cn", ["a-shop.cn", "b-shop.cn"]),
        ("a-shop.cn、\nb-shop.cn", ["a-shop.cn", "b-shop.cn"]),
        ("HTTPS://WWW.A-Shop.CN:8443/index.html", ["a-shop.cn"]),
        ("http://www.a-shop.cn/", ["a-shop.cn"]),
        ("shop.a-shop.cn", ["shop.a-shop.cn"]),
        ("例子.中国", ["xn--fsqu00a.xn--fiqs8s"]),
        ("中文网.cn、a-shop.cn", ["xn--fiq228c5hs.cn", "a-shop.cn"]),
    ],
)
def test_domain_fields(field: str, hosts: list[str]) -> None:
    sites = SITES.replace("example-shop.cn", field)
    assert [w.host for w in parse_licence(doc(sites=sites)).websites] == hosts


@pytest.mark.parametrize("bad", ["暂无", "not_a_host", "a-shop.notatld", "192.168.1.1"])
def test_bad_domain_tokens_are_dropped_with_a_warning(bad: str) -> None:
    sites = SITES.replace("example-shop.cn", f"example-shop.cn、{bad}")
    licence = parse_licence(doc(sites=sites))
    assert [w.host for w in licence.websites] == ["example-shop.cn"]
    assert any("dropped" in w and bad in w for w in licence.warnings)


def test_registrable_domain_is_recorded() -> None:
    sites = SITES.replace("example-shop.cn", "shop.example-shop.com.cn")
    (site,) = parse_licence(doc(sites=sites)).websites
    assert site.registrable_domain == "example-shop.com.cn"


def test_same_domain_under_two_services_is_one_website() -> None:
    sites = (
        SITES
        + "\n\n北京示例科技有限公司获准经营"
        + "在线数据处理与交易处理业务(仅限经营类电子商务)相关信息\n\n"
        + SITES
    )
    licence = parse_licence(doc(sites=sites))
    (site,) = licence.websites
    assert site.services == ("B25", "B21")


def test_two_websites_in_one_section() -> None:
    second = SITES.replace("示例网", "第二网").replace("example-shop.cn", "second-shop.cn")
    licence = parse_licence(doc(sites=SITES + "\n\n" + second))
    assert [(w.site_name, w.host) for w in licence.websites] == [
        ("示例网", "example-shop.cn"),
        ("第二网", "second-shop.cn"),
    ]


def test_no_website_loads_with_zero_domains_and_a_warning() -> None:
    licence = parse_licence(doc(sites=""))
    assert licence.websites == ()
    assert any("no website" in w for w in licence.warnings)


def test_disagreeing_listings_keep_the_clean_value_and_warn() -> None:
    first = SITES.replace("阿里云计算有限公司", "腾讯云计算、北京、有限责任公司")
    second = SITES.replace("阿里云计算有限公司", "腾讯云计算(北京)有限责任公司")
    licence = parse_licence(doc(sites=first + "\n\n" + second))
    assert licence.websites[0].access_provider == "腾讯云计算(北京)有限责任公司"
    assert any("differs between listings" in w for w in licence.warnings)


# --- markdown -----------------------------------------------------------------------------

MARKDOWN = """# 中华人民共和国增值电信业务经营许可证

**经营许可证编号**：**沪B2-20170001**

- **公司名称**：上海示例信息技术有限公司
- **法定代表人**：李 四

## 业务种类
在线数据处理与交易处理业务（仅限经营类电子商务）

| 发证日期 | 有效期至 |
|---|---|
| 2024-03-01 | 2029-03-01 |

## 附页

| 网站名称 | 网站域名 | 服务器放置地 | 网站接入服务提供单位 |
|:---|:---|---|---|
| 示例商城 | www.shop-example.cn、m.shop-example.cn | 上海市 | 华为云计算技术有限公司 |
| **示例论坛** | https://bbs-example.com.cn/ | 浙江省杭州市 | 阿里云计算有限公司 |

经营许可证编号：沪B2-20170001
"""


def test_markdown_with_headings_bold_and_tables() -> None:
    licence = parse_licence(MARKDOWN)
    assert licence.license_no == "沪B2-20170001"
    assert (licence.company, licence.legal_rep) == ("上海示例信息技术有限公司", "李四")
    assert [(s.code, s.scope) for s in licence.services] == [("B21", "仅限经营类电子商务")]
    assert [
        (w.host, w.site_name, w.server_location, w.access_provider, w.services)
        for w in licence.websites
    ] == [
        ("shop-example.cn", "示例商城", "上海市", "华为云计算技术有限公司", ("B21",)),
        ("m.shop-example.cn", "示例商城", "上海市", "华为云计算技术有限公司", ("B21",)),
        ("bbs-example.com.cn", "示例论坛", "浙江省杭州市", "阿里云计算有限公司", ("B21",)),
    ]


def test_column_table_of_dates() -> None:
    licence = parse_licence(MARKDOWN)
    assert (licence.issued_on, licence.expires_on) == (date(2024, 3, 1), date(2029, 3, 1))


# --- encodings and broken files -----------------------------------------------------------


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode("utf-8"),
        lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
        lambda t: t.encode("gb18030"),
        lambda t: t.encode("gbk"),
        lambda t: t.encode("utf-16"),
        lambda t: t.replace("\n", "\r\n").encode("utf-8"),
    ],
    ids=["utf8", "utf8-bom", "gb18030", "gbk", "utf16-bom", "crlf"],
)
def test_encodings(encode) -> None:
    licence = parse_licence(encode(doc(rep="陈伟强")))
    assert (licence.license_no, licence.company, licence.legal_rep) == (
        "京B2-20252223",
        "北京示例科技有限公司",
        "陈伟强",
    )
    assert [w.host for w in licence.websites] == ["example-shop.cn"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"   \n\n  ", "empty"),
        (b"%PDF-1.7\n...", "PDF"),
        (b"\x89PNG\r\n\x1a\n....", "PNG"),
        (b"abc\x00\x01\x02def", "binary"),
        ("会议纪要：今天讨论网站改版。".encode(), "no licence number"),
        (
            "中华人民共和国增值电信业务经营许可证 经营许可证编号：京ICP备20252223号-1".encode(),
            "no licence number",
        ),
    ],
)
def test_not_a_licence(data: bytes, reason: str) -> None:
    with pytest.raises(NotALicence, match=reason):
        parse_licence(data)


def test_decode_refuses_undecodable_bytes() -> None:
    with pytest.raises(NotALicence):
        decode_document(bytes(range(0x80, 0x100)) * 50)
