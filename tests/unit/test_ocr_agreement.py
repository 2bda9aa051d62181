"""Two OCR readings of one licence: the fields they differ on become warnings."""

from __future__ import annotations

import pytest

from crawler.licences.ocr_agreement import checked_fields, disagreements
from crawler.licences.parser import parse_licence

TEXT = """经营许可证编号:川B2-20200036
公司名称:成都快购科技有限公司
法定代表人:杨远熙
业务种类 信息服务业务(仅限互联网信息服务)
发证日期:2022年09月29日
有效期至:2025年01月21日
成都快购科技有限公司获准经营信息服务业务(仅限互联网信息服务)相关信息
网站名称:快购
网站域名:kwaigobuy.com
服务器放置地:四川省成都市
网站接入服务提供单位:腾讯云计算(北京)有限责任公司
"""


def fields(text: str = TEXT) -> dict[str, tuple[str, str | None]]:
    return checked_fields(parse_licence(text))


def test_checked_fields_key_every_field_a_user_relies_on() -> None:
    got = fields()
    assert got["license_no"] == ("经营许可证编号", "川B2-20200036")
    assert got["legal_rep"] == ("法定代表人", "杨远熙")
    assert got["service B25"] == ("业务种类", "信息服务业务(仅限互联网信息服务)")
    assert got["website 1 host"] == ("网站域名", "kwaigobuy.com")
    assert got["website 1 services"] == ("网站 kwaigobuy.com 的业务种类", "B25")
    assert got["website 1 access_provider"][1] == "腾讯云计算(北京)有限责任公司"


@pytest.mark.parametrize(
    ("second", "warnings"),
    [
        (TEXT, []),
        # spacing and full-width forms are the same reading
        (TEXT.replace("腾讯云计算(北京)", "腾讯云计算（北京）").replace("杨远熙", "杨 远熙"), []),
        (
            TEXT.replace("杨远熙", "杨远申"),
            ["OCR engines disagree on 法定代表人: 杨远熙 (PP-OCR), 杨远申 (Tesseract)"],
        ),
        (
            TEXT.replace("四川省成都市\n", "\n"),
            ["OCR engines disagree on 服务器放置地: 四川省成都市 (PP-OCR), (nothing) (Tesseract)"],
        ),
        # a website only the second reading has is named too
        (
            TEXT + "网站名称:二号\n网站域名:example.cn\n",
            [
                "OCR engines disagree on 网站域名: (nothing) (PP-OCR), example.cn (Tesseract)",
                "OCR engines disagree on 网站名称: (nothing) (PP-OCR), 二号 (Tesseract)",
                "OCR engines disagree on 网站 example.cn 的业务种类: (nothing) (PP-OCR), "
                "B25 (Tesseract)",
            ],
        ),
    ],
)
def test_disagreements(second: str, warnings: list[str]) -> None:
    assert disagreements(fields(), fields(second), "PP-OCR", "Tesseract") == warnings


def test_a_second_reading_that_is_no_licence_leaves_every_field_unconfirmed() -> None:
    got = disagreements(fields(), {}, "PP-OCR", "Tesseract")
    assert len(got) == len(fields())
    assert (
        got[0]
        == "OCR engines disagree on 经营许可证编号: 川B2-20200036 (PP-OCR), (nothing) (Tesseract)"
    )
