"""Which hosts the crawl refuses (crawler/fetch/addresses.py): every form of a non-public address a
browser or resolver accepts, and the public ones it must not refuse."""

from __future__ import annotations

import pytest

from crawler.fetch.addresses import (
    literal_address,
    literal_refusal,
    parse_ipv4,
    resolved_refusal,
    unsupported_redirect,
)


@pytest.mark.parametrize(
    ("host", "address", "kind"),
    [
        # loopback, every spelling
        ("127.0.0.1", "127.0.0.1", "loopback address"),
        ("127.255.255.254", "127.255.255.254", "loopback address"),
        ("2130706433", "127.0.0.1", "loopback address"),  # decimal
        ("0x7f000001", "127.0.0.1", "loopback address"),  # hex
        ("0X7F000001", "127.0.0.1", "loopback address"),
        ("0177.0.0.1", "127.0.0.1", "loopback address"),  # octal
        ("0177.0.0.01", "127.0.0.1", "loopback address"),
        ("0x7f.0.0.1", "127.0.0.1", "loopback address"),
        ("0x7f.1", "127.0.0.1", "loopback address"),
        ("127.1", "127.0.0.1", "loopback address"),  # short forms
        ("127.0.1", "127.0.0.1", "loopback address"),
        ("017700000001", "127.0.0.1", "loopback address"),
        ("127.0.0.1.", "127.0.0.1", "loopback address"),  # trailing dot
        ("%31%32%37.0.0.1", "127.0.0.1", "loopback address"),  # percent-encoded
        ("１２７．０．０．１", "127.0.0.1", "loopback address"),  # full-width
        ("::1", "::1", "loopback address"),
        ("[::1]", "::1", "loopback address"),
        ("[0:0:0:0:0:0:0:1]", "::1", "loopback address"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1", "loopback address"),  # IPv4-mapped
        ("[::ffff:7f00:1]", "::ffff:7f00:1", "loopback address"),
        ("[2002:7f00:1::]", "2002:7f00:1::", "loopback address"),  # 6to4 of 127.0.0.1
        ("localhost", "localhost", "loopback name"),
        ("LOCALHOST", "localhost", "loopback name"),
        ("localhost.", "localhost", "loopback name"),
        ("admin.localhost", "admin.localhost", "loopback name"),
        # unspecified (connecting to it reaches this machine)
        ("0", "0.0.0.0", "unspecified address"),
        ("0.0.0.0", "0.0.0.0", "unspecified address"),
        ("0x0", "0.0.0.0", "unspecified address"),
        ("[::]", "::", "unspecified address"),
        # private
        ("10.0.0.1", "10.0.0.1", "private address"),
        ("167772161", "10.0.0.1", "private address"),
        ("172.16.0.1", "172.16.0.1", "private address"),
        ("172.31.255.255", "172.31.255.255", "private address"),
        ("192.168.1.1", "192.168.1.1", "private address"),
        ("0xc0.0xa8.1.1", "192.168.1.1", "private address"),
        ("192.168.257", "192.168.1.1", "private address"),
        ("[fc00::1]", "fc00::1", "private address"),
        ("[fd12:3456::1]", "fd12:3456::1", "private address"),
        ("[::ffff:10.0.0.1]", "::ffff:a00:1", "private address"),
        ("[64:ff9b::10.0.0.1]", "64:ff9b::a00:1", "private address"),  # NAT64
        # link-local (cloud metadata services live here)
        ("169.254.169.254", "169.254.169.254", "link-local address"),
        ("2852039166", "169.254.169.254", "link-local address"),
        ("[fe80::1]", "fe80::1", "link-local address"),
        ("[fe80::1%25eth0]", "fe80::1", "link-local address"),  # zone id
        # multicast
        ("224.0.0.1", "224.0.0.1", "multicast address"),
        ("239.255.255.250", "239.255.255.250", "multicast address"),
        ("[ff02::1]", "ff02::1", "multicast address"),
        # reserved, shared and documentation ranges
        ("240.0.0.1", "240.0.0.1", "reserved address"),
        ("255.255.255.255", "255.255.255.255", "reserved address"),
        ("100.64.0.1", "100.64.0.1", "non-public address"),  # carrier-grade NAT
        ("192.0.2.1", "192.0.2.1", "private address"),
        ("198.18.0.1", "198.18.0.1", "private address"),
        ("[2001:db8::1]", "2001:db8::1", "private address"),
    ],
)
def test_refused(host: str, address: str, kind: str) -> None:
    refusal = literal_refusal(host)
    assert refusal is not None
    assert (refusal.address, refusal.kind) == (address, kind)
    assert not refusal.resolved


@pytest.mark.parametrize(
    "host",
    [
        "example.cn",
        "www.icpwatch-demo.cn",
        "localhost.example.cn",  # a name that merely starts with localhost
        "mylocalhost",
        "8.8.8.8",
        "134744072",  # 8.8.8.8 as one number
        "0x08080808",
        "1.1.1.1",
        "223.5.5.5",  # Aliyun DNS
        "100.128.0.1",  # just past carrier-grade NAT
        "172.32.0.1",  # just past 172.16.0.0/12
        "[2606:4700:4700::1111]",
        "[2400:3200::1]",
        "[::ffff:8.8.8.8]",
        "[64:ff9b::8.8.8.8]",
        "1.2.3.256",  # not an address (browsers reject the URL), a name for the resolver
        "example.123",
        "0x7g.0.0.1",
        "1.2.3.4.5",
        "",
    ],
)
def test_public_or_not_an_address(host: str) -> None:
    assert literal_refusal(host) is None


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("0", "0.0.0.0"),
        ("0x", "0.0.0.0"),
        ("1", "0.0.0.1"),
        ("1.2", "1.0.0.2"),
        ("1.2.3", "1.2.0.3"),
        ("1.2.65535", "1.2.255.255"),
        ("4294967295", "255.255.255.255"),
        ("4294967296", None),
        ("256.0.0.1", None),
        ("1.2.65536", None),
        ("09.0.0.1", None),  # not octal
        ("a.b", None),
    ],
)
def test_whatwg_ipv4(host: str, address: str | None) -> None:
    parsed = parse_ipv4(host)
    assert (str(parsed) if parsed else None) == address


def test_a_name_is_no_literal() -> None:
    assert literal_address("example.cn") is None
    assert str(literal_address("[::1]")) == "::1"


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("10.1.2.3", "private address"),
        ("127.0.0.53", "loopback address"),
        ("::1", "loopback address"),
        ("fe80::1%eth0", "link-local address"),
        ("0.0.0.0", "unspecified address"),
        ("203.119.25.1", None),
        ("not an address", None),
    ],
)
def test_resolved(address: str, kind: str | None) -> None:
    refusal = resolved_refusal("intranet.example.cn", address)
    assert (refusal.kind if refusal else None) == kind
    if refusal:
        assert refusal.resolved


@pytest.mark.parametrize(
    ("refusal", "step", "text"),
    [
        (
            literal_refusal("127.0.0.1"),
            "redirect to ",
            "redirect to 127.0.0.1 (loopback address) refused; --allow-private allows it",
        ),
        (
            literal_refusal("2130706433"),
            "meta refresh to ",
            "meta refresh to 2130706433 (127.0.0.1, loopback address) refused;"
            " --allow-private allows it",
        ),
        (
            resolved_refusal("intranet.example.cn", "10.1.2.3"),
            "",
            "intranet.example.cn (resolves to 10.1.2.3, a private address) refused;"
            " --allow-private allows it",
        ),
        (
            literal_refusal("x" * 200 + ".localhost"),
            "",
            "x" * 80 + "… (loopback name) refused; --allow-private allows it",
        ),
    ],
)
def test_describe(refusal, step: str, text: str) -> None:
    assert refusal.describe(step) == text


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://example.cn/", None),
        ("https://example.cn/", None),
        ("javascript:alert(1)", "redirect to unsupported scheme javascript: javascript:alert(1)"),
        ("JavaScript:void(0)", "redirect to unsupported scheme javascript: JavaScript:void(0)"),
        ("data:text/html,hi", "redirect to unsupported scheme data: data:text/html,hi"),
        ("file:///etc/passwd", "redirect to unsupported scheme file: file:///etc/passwd"),
        ("ftp://example.cn/", "redirect to unsupported scheme ftp: ftp://example.cn/"),
        ("mailto:a@example.cn", "redirect to unsupported scheme mailto: mailto:a@example.cn"),
        (
            "data:text/html;base64," + "A" * 500,
            "redirect to unsupported scheme data: data:text/html;base64," + "A" * 58 + "…",
        ),
    ],
)
def test_unsupported_redirect(url: str, error: str | None) -> None:
    assert unsupported_redirect(url) == error
