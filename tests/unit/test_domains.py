"""Domain normalising: URLs, case, IDN, and what is not a host name."""

from __future__ import annotations

import pytest

from crawler.licences.domains import InvalidDomain, normalise_host, split_domains


@pytest.mark.parametrize(
    ("token", "host", "registrable"),
    [
        ("serve24h.com", "serve24h.com", "serve24h.com"),
        ("SERVE24H.COM", "serve24h.com", "serve24h.com"),
        ("www.serve24h.com", "serve24h.com", "serve24h.com"),
        ("https://www.serve24h.com:8443/a/b?c=1#d", "serve24h.com", "serve24h.com"),
        ("http://shop.serve24h.com.cn/", "shop.serve24h.com.cn", "serve24h.com.cn"),
        ("serve24h.com.", "serve24h.com", "serve24h.com"),
        ("（serve24h.com）", "serve24h.com", "serve24h.com"),
        ("ｓｅｒｖｅ２４ｈ．ｃｏｍ", "serve24h.com", "serve24h.com"),
        ("例子.中国", "xn--fsqu00a.xn--fiqs8s", "xn--fsqu00a.xn--fiqs8s"),
        ("例子。中国", "xn--fsqu00a.xn--fiqs8s", "xn--fsqu00a.xn--fiqs8s"),
        ("xn--fsqu00a.xn--fiqs8s", "xn--fsqu00a.xn--fiqs8s", "xn--fsqu00a.xn--fiqs8s"),
        ("a.b.gov.cn", "a.b.gov.cn", "b.gov.cn"),
    ],
)
def test_normalise_host(token: str, host: str, registrable: str) -> None:
    result = normalise_host(token)
    assert (result.host, result.registrable_domain) == (host, registrable)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "暂无",
        "localhost",
        "a.notatld",
        "192.168.0.1",
        "[::1]",
        "-a.com",
        "a_b.com",
        "a..com",
        "x" * 64 + ".com",
        "com.cn",
    ],
)
def test_not_a_host(token: str) -> None:
    with pytest.raises(InvalidDomain):
        normalise_host(token)


def test_split_domains() -> None:
    assert split_domains("a.cn、b.cn，c.cn,d.cn；e.cn;f.cn g.cn\nh.cn\u3000i.cn") == [
        f"{c}.cn" for c in "abcdefghi"
    ]
